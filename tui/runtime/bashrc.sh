# The rc file of the bash kernel's shell (tui/runtime/bash_start.py).
#
# Neither ~/.bashrc nor /etc/bash.bashrc: a context starts from the runtime's environment
# (PATH included), the same every time, fast. A user's rc file can do anything at start:
# `pyenv init` runs `pyenv rehash`, which waits up to 60 s for a lock that a killed kernel
# left behind, and bash_kernel gives up after 30 s. Source it yourself if you want it.

PS1="$"
unset PROMPT_COMMAND
bind 'set enable-bracketed-paste off' >/dev/null 2>&1

# runs have no stdin (it is the kernel's pty): `read` from it would wait forever
read() {
  if [ -t 0 ]; then
    echo 'read: runs have no stdin; pass values in the code or through env vars instead' >&2
    return 1
  fi
  builtin read "$@"
}
