"""The local runtime: a server speaking E2B's code-interpreter protocol over Jupyter kernels.

Headless by design: it never imports Textual, nor `tui.core`. Where things live:

- serve.py      the process: bind, announce the URL, stop cleanly on INT/TERM/HUP
- server.py     the HTTP routes (E2B's, plus GET /languages, GET /environment, GET /sandbox)
- manager.py    contexts and their kernels; which kernel a run goes to
- run.py        one request's NDJSON line queue (keepalive, end, cancel)
- stream.py     one execution's kernel messages -> protocol lines (the state machine)
- protocol.py   the shapes of those lines
- kernel.py     one kernel process over ZeroMQ; wire.py its signed message format
- spares.py     the warm spare kernels, following demand
- languages.py  kernel argv, availability and set-up snippets per language
- processes.py, guardian.py, folders.py   nothing left behind (processes, keys, sockets)
- launcher.py   start the runtime as a child process (the app, `run`, the tests)
- fileops.py, inotify.py   envd's file operations and watches (stdlib only: they also run
                inside the isolated sandbox); envd/ is envd's services over them
- isolation/    the isolated mode: the bubblewrap sandbox, its agent (PID 1), the bridge
- ipython_ext.py, bash_start.py, bashrc.sh   what runs inside the python and bash kernels
- sandboxenv/   the sandbox's own Python environment: profiles, build, what processes get
"""
