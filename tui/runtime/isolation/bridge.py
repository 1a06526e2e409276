"""Relays a kernel's TCP ports to Unix sockets, inside the isolated sandbox.

Deno's and jjava's kernels can only listen on TCP, and in the sandbox's own network namespace
their 127.0.0.1 is not the runtime's. Run as `python -I -S bridge.py PREFIX PORT... -- KERNEL
ARGV...`, this starts the kernel as its child and, for each port, listens on the Unix socket
`PREFIX-PORT` (in the kernel's own directory, which the runtime reaches from outside) and
relays every connection to 127.0.0.1:PORT byte for byte: ZeroMQ's ipc transport is a Unix
stream socket carrying the same ZMTP as TCP, so the runtime connects with `ipc://PREFIX-PORT`
and neither side knows. A connection made before the kernel listens is closed at once (ZeroMQ
connects again). It exits with the kernel's exit status. Standard library only.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import threading

CHUNK = 256 * 1024


def _pump(src: socket.socket, dst: socket.socket) -> None:
    try:
        while data := src.recv(CHUNK):
            dst.sendall(data)
    except OSError:
        pass
    finally:
        with contextlib.suppress(OSError):
            dst.shutdown(socket.SHUT_WR)
        with contextlib.suppress(OSError):
            src.shutdown(socket.SHUT_RD)


def _relay(client: socket.socket, port: int) -> None:
    try:
        upstream = socket.create_connection(("127.0.0.1", port))
    except OSError:
        client.close()  # the kernel does not listen yet: ZeroMQ will connect again
        return
    with contextlib.suppress(OSError):
        upstream.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    back = threading.Thread(target=_pump, args=(upstream, client), daemon=True)
    back.start()
    _pump(client, upstream)
    back.join()
    client.close()
    upstream.close()


def _serve(listener: socket.socket, port: int) -> None:
    while True:
        try:
            client, _ = listener.accept()
        except OSError:
            return
        threading.Thread(target=_relay, args=(client, port), daemon=True).start()


def main() -> None:
    args = sys.argv[1:]
    split = args.index("--")
    prefix, ports, argv = args[0], [int(p) for p in args[1:split]], args[split + 1 :]
    for port in ports:
        path = f"{prefix}-{port}"
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(path)
        listener.listen(16)
        threading.Thread(target=_serve, args=(listener, port), daemon=True).start()
    code = subprocess.Popen(argv).wait()  # stdio, session and group are the bridge's own
    os._exit(code if code >= 0 else 128 - code)


if __name__ == "__main__":
    main()
