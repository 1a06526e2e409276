"""The isolated mode: the local sandbox inside bubblewrap.

One sandbox per runtime: a bubblewrap container (its own user, PID, IPC, UTS and, unless
`--network`, network namespaces; the system read-only; `/home/user` the workspace; a private
`/tmp`) whose first process is the agent. Every kernel, command and terminal is started by
the agent inside it, and every envd file operation runs there too, so a path means what it
means to the sandbox's code. The runtime stays outside, with its secret and its keys.

- settings.py  what an isolated sandbox is (network, limits, workspace): flags and GET /sandbox
- bwrap.py     finding bubblewrap, checking that it works here, the container's mounts
- limits.py    processes and memory: rlimits inside, a cgroup where one can be had
- client.py    the runtime's side: start the container, spawn into it, its file backend
- agent.py     runs inside as PID 1: spawns, reaps, and hosts the file worker (stdlib only)
- bridge.py    runs inside: relays Deno's and jjava's TCP ports to Unix sockets (stdlib only)

Modules that run inside (agent, bridge) import only the standard library and the stdlib-only
`tui.runtime.fileops` / `tui.runtime.inotify`, so this package's `__init__` imports nothing.
"""
