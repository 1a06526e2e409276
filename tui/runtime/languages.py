"""The languages this runtime can run: kernel argv, availability, set-up snippets.

Names, aliases and normalisation come from the one registry, `tui.common.languages`:
the runtime accepts every alias it lists. What this module adds is what only the
machine running the kernels knows: which kernel each language uses, whether it is
installed here (and the command that installs it), and how to start and steer it.
Every kernel is started from an argv built here (never from globally installed
kernelspecs), so what runs is exactly what `doctor` and `GET /languages` report.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import sysconfig
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Literal

from tui.common import languages as registry
from tui.common.languages import UnknownLanguage

from . import sandboxenv

# Canonical names, in the registry's order (kept here for the callers that import it).
LANGUAGES: tuple[str, ...] = registry.NAMES
ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

# How a kernel takes an interrupt: SIGINT to its process group, or a control-channel
# `interrupt_request` (SIGINT kills Deno's and jjava's kernels).
InterruptMode = Literal["signal", "message"]
# How the runtime reaches a kernel's ZeroMQ sockets: `ipc` (Unix sockets in the runtime's
# private 0700 folder: no other local user can connect) wherever the kernel supports it,
# `tcp` on 127.0.0.1 (signed but readable by local users) where it cannot.
Transport = Literal["ipc", "tcp"]

__all__ = [
    "LANGUAGES",
    "Availability",
    "LanguageSpec",
    "LanguageUnavailable",
    "UnknownLanguage",
    "availability",
    "available_languages",
    "normalize_language",
    "require",
]


class LanguageUnavailable(RuntimeError):
    """A known language whose kernel is not installed on this machine."""


def normalize_language(name: str | None) -> str:
    """The canonical name a request means (none or empty: python); every registry alias works.

    Raises UnknownLanguage with a sentence listing the languages and which run here.
    """
    try:
        return registry.normalize(name)
    except UnknownLanguage:
        raise UnknownLanguage(
            f"Unknown language {name!r}. Languages: {registry.names_help()}; "
            f"available here: {', '.join(available_languages()) or 'none'}."
        ) from None


@dataclass(frozen=True)
class Availability:
    language: str
    available: bool
    detail: str  # the kernel used, or what is missing
    install: str = ""  # the command that installs it, when missing


@dataclass(frozen=True)
class LanguageSpec:
    """How to start and steer one language's kernel."""

    name: str
    kernel: str  # human name of the kernel
    argv: Callable[[str], list[str]]  # connection file -> argv
    interrupt_mode: InterruptMode = "signal"
    transport: Transport = "ipc"
    can_chdir: bool = True
    # Deno can publish `idle` a moment before the last output of a run: wait this long
    # after idle for stragglers before ending the run.
    idle_grace: float = 0.0
    init_code: str = ""  # run silently once the kernel is up
    start_timeout: float = 60.0  # a start that takes longer fails (with the kernel's output)
    extra_env: dict[str, str] = field(default_factory=dict)
    # awaited before each start of the kernel: None when it can start, else why not (the
    # python kernel waits for the sandbox environment)
    prepare: Callable[[], Awaitable[str | None]] | None = None


def _scripts_dir() -> Path:
    return Path(sysconfig.get_path("scripts"))


def deno_path() -> str | None:
    """The deno binary: the one installed next to this Python (PyPI wheel) first."""
    candidate = _scripts_dir() / "deno"
    if candidate.is_file():
        return str(candidate)
    return shutil.which("deno")


def jjava_dir() -> Path | None:
    """The folder holding jjava's jars (installed by the `jjava` wheel)."""
    for base in (sys.prefix, sysconfig.get_path("data"), os.path.expanduser("~/.local")):
        folder = Path(base) / "share" / "jupyter" / "kernels" / "java"
        if (folder / "jjava.jar").is_file() and (folder / "jjava-launcher.jar").is_file():
            return folder
    return None


def _python_argv(conn: str) -> list[str]:
    # ipykernel of the sandbox's own environment, never the workbench's (sandboxenv)
    return sandboxenv.active().python_argv(conn)


async def _prepare_python() -> str | None:
    return await sandboxenv.active().prepare()


def _deno_argv(conn: str) -> list[str]:
    return [deno_path() or "deno", "jupyter", "--kernel", "--conn", conn]


def _java_argv(conn: str) -> list[str]:
    folder = jjava_dir()
    assert folder is not None
    return [
        shutil.which("java") or "java",
        # what jjava's own launcher passes (we skip that extra JVM)
        "--add-opens=jdk.jshell/jdk.jshell=ALL-UNNAMED",
        # lets the runtime change a running JVM's environment for per-run env vars
        "--add-opens=java.base/java.util=ALL-UNNAMED",
        "--add-opens=java.base/java.lang=ALL-UNNAMED",
        *os.environ.get("JJAVA_JVM_OPTS", "").split(),
        "-jar",
        str(folder / "jjava.jar"),
        conn,
    ]


def _r_argv(conn: str) -> list[str]:
    return [shutil.which("R") or "R", "--slave", "-e", "IRkernel::main()", "--args", conn]


# bash_kernel starts from this runtime's own file, by path: `-m tui.runtime.bash_start` needs
# `tui` importable in the kernel, which an isolated sandbox's environment (no PYTHONPATH, only
# the checkout this runtime runs from mounted) does not give when the runtime runs from a
# checkout other than the installed one (bash contexts then failed to start). `-P` keeps the
# script's folder (this package's modules) off sys.path.
_BASH_START = Path(__file__).with_name("bash_start.py")


def _bash_argv(conn: str) -> list[str]:
    return [sys.executable, "-P", str(_BASH_START), "-f", conn]


# Deno's kernel (Deno.listen in its own JS) and jjava's (JeroMQ emulates ipc:// over TCP) can
# only listen on TCP: they keep 127.0.0.1, where messages are signed but not private.
# Deno loads node's built-ins (the first setTimeout loads node:timers) when first used, and
# an interrupt that lands while it does leaves the module half-made (or Deno panics): every
# later use fails. Loaded at start (about 0.1 s and 16 MB), none is loaded in a user's run.
_DENO_PRELOAD = """(() => {
  const load = globalThis.process?.getBuiltinModule;
  if (typeof load !== "function") return;
  for (const name of load("node:module").builtinModules) {
    try { load(name.startsWith("node:") ? name : `node:${name}`); } catch { /* not in this Deno */ }
  }
})();"""
_DENO = {
    "interrupt_mode": "message",
    "transport": "tcp",
    "idle_grace": 0.025,
    "init_code": _DENO_PRELOAD,
    # no update check (a network lookup at every start) and no permission prompt
    "extra_env": {"NO_COLOR": "1", "DENO_NO_UPDATE_CHECK": "1", "DENO_NO_PROMPT": "1"},
}

SPECS: dict[str, LanguageSpec] = {
    "python": LanguageSpec(
        "python",
        "ipykernel",
        _python_argv,
        extra_env={"MPLBACKEND": "module://matplotlib_inline.backend_inline"},
        prepare=_prepare_python,
    ),
    # SIGINT kills deno's kernel: it takes interrupts as control messages only
    "javascript": LanguageSpec("javascript", "deno", _deno_argv, **_DENO),  # type: ignore[arg-type]
    "typescript": LanguageSpec("typescript", "deno", _deno_argv, **_DENO),  # type: ignore[arg-type]
    "r": LanguageSpec("r", "IRkernel", _r_argv),
    "java": LanguageSpec(
        "java",
        "jjava",
        _java_argv,
        interrupt_mode="message",
        transport="tcp",
        can_chdir=False,
        start_timeout=120.0,  # a cold JVM on a busy 2-core machine
    ),
    # its shell's rc file (bashrc.sh) also makes `read` fail fast: the shell's stdin is a pty
    "bash": LanguageSpec("bash", "bash_kernel", _bash_argv),
}

PIP = f"{shlex.quote(sys.executable)} -m pip install"


def _module_present(module: str) -> bool:
    from importlib.util import find_spec

    return find_spec(module) is not None


@cache
def _r_has_irkernel(r_binary: str) -> bool:
    rscript = str(Path(r_binary).with_name("Rscript"))
    try:
        done = subprocess.run(
            [rscript, "-e", "quit(status = if (requireNamespace('IRkernel', quietly=TRUE)) 0 else 3)"],
            capture_output=True,
            timeout=30,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def check(language: str) -> Availability:
    """Whether `language` can run here; if not, what to install."""
    if language == "python":
        return Availability(language, *sandboxenv.active().availability())
    if language in ("javascript", "typescript"):
        deno = deno_path()
        if deno:
            return Availability(language, True, f"deno jupyter ({deno})")
        return Availability(language, False, "deno is not installed", f"{PIP} deno")
    if language == "bash":
        if not _module_present("bash_kernel"):
            return Availability(language, False, "bash_kernel is not installed", f"{PIP} bash_kernel")
        if not shutil.which("bash"):
            return Availability(language, False, "bash is not on PATH", "apt-get install -y bash")
        return Availability(language, True, "bash_kernel")
    if language == "java":
        folder = jjava_dir()
        if folder is None:
            return Availability(language, False, "jjava is not installed", f"{PIP} jjava")
        if not shutil.which("java"):
            return Availability(
                language,
                False,
                "no Java runtime (JDK 11+) on PATH",
                "apt-get install -y default-jdk-headless",
            )
        return Availability(language, True, f"jjava ({folder})")
    if language == "r":
        r_binary = shutil.which("R")
        if not r_binary:
            return Availability(
                language, False, "R is not installed", "apt-get install -y r-base-core r-cran-irkernel"
            )
        if not _r_has_irkernel(r_binary):
            return Availability(
                language, False, "the R package IRkernel is missing", "apt-get install -y r-cran-irkernel"
            )
        return Availability(language, True, f"IRkernel ({r_binary})")
    raise UnknownLanguage(f"Unknown language {language!r}. Languages: {', '.join(LANGUAGES)}.")


@cache
def _cached_check(language: str) -> Availability:
    return check(language)


def availability(language: str) -> Availability:
    """Cached `check`: availability does not change while the runtime runs (python's does:
    its sandbox environment gets built, and asking costs a stat)."""
    return check(language) if language == "python" else _cached_check(language)


def available_languages() -> list[str]:
    """The canonical names of the languages whose kernel is installed here."""
    return [lang for lang in LANGUAGES if availability(lang).available]


def kernel_family(language: str) -> str:
    """The kernel a language runs on (typescript runs on javascript's): spares are shared by family."""
    return registry.LANGUAGES[language].kernel_family


def describe() -> list[dict[str, object]]:
    """What `GET /languages` answers: every language, whether it runs here, its kernel or
    what is missing, and the command that installs it (empty when available)."""
    out: list[dict[str, object]] = []
    for language in LANGUAGES:
        found = availability(language)
        out.append(
            {
                "name": language,
                "available": found.available,
                "kernel": found.detail if found.available else "",
                "missing": "" if found.available else found.detail,
                "install": found.install,
            }
        )
    return out


def require(language: str) -> LanguageSpec:
    """The spec of an available language, or LanguageUnavailable with a way out."""
    found = availability(language)
    if not found.available:
        raise LanguageUnavailable(
            f"{language} is not available here: {found.detail}. Install it with: {found.install} "
            f"(then restart the runtime). Available languages: {', '.join(available_languages())}."
        )
    return SPECS[language]


# ---------------------------------------------------------------------------
# Snippets run silently in a kernel (they never shift the user's line numbers).


def _r_string(value: str) -> str:
    # JSON string escapes (\\ \" \n \uXXXX) are valid R string escapes too.
    return json.dumps(value)


def env_snippets(language: str, env: dict[str, str]) -> tuple[str, str]:
    """(apply, revert) code that sets `env` for one run and restores it afterwards."""
    keys = sorted(env)
    if language == "python":
        apply = (
            "(lambda o, s: (setattr(s, '_e2b_saved_env', {k: o.environ.get(k) for k in %s}),"
            " o.environ.update(%s)))(__import__('os'), __import__('sys'))"
        ) % (json.dumps(keys), json.dumps(env))
        revert = (
            "(lambda o, s: [o.environ.pop(k, None) if v is None else o.environ.__setitem__(k, v)"
            " for k, v in s.__dict__.pop('_e2b_saved_env', {}).items()])"
            "(__import__('os'), __import__('sys'))"
        )
        return apply, revert
    if language in ("javascript", "typescript"):
        apply = (
            "globalThis.__e2bSavedEnv = Object.fromEntries(%s.map(k => [k, Deno.env.get(k)]));"
            " for (const [k, v] of Object.entries(%s)) Deno.env.set(k, v);"
        ) % (json.dumps(keys), json.dumps(env))
        revert = (
            "for (const [k, v] of Object.entries(globalThis.__e2bSavedEnv ?? {}))"
            " { if (v === undefined) Deno.env.delete(k); else Deno.env.set(k, v); }"
            " delete globalThis.__e2bSavedEnv;"
        )
        return apply, revert
    if language == "r":
        names = "c(" + ", ".join(_r_string(k) for k in keys) + ")"
        values = ", ".join(f"{_r_string(k)} = {_r_string(v)}" for k, v in env.items())
        apply = (
            f".e2b_saved_env <- Sys.getenv({names}, unset = NA, names = TRUE); "
            f"invisible(Sys.setenv({values}))"
        )
        revert = (
            "local({ for (k in names(.e2b_saved_env)) { v <- .e2b_saved_env[[k]]; "
            "if (is.na(v)) Sys.unsetenv(k) else do.call(Sys.setenv, setNames(list(v), k)) } }); "
            "rm(.e2b_saved_env)"
        )
        return apply, revert
    if language == "bash":
        save = " ".join(
            f'if [ -n "${{{k}+x}}" ]; then __e2b_old_{k}=${{{k}}}; else unset __e2b_old_{k}; fi;'
            for k in keys
        )
        sets = " ".join(f"export {k}={shlex.quote(v)};" for k, v in env.items())
        restore = " ".join(
            f'if [ -n "${{__e2b_old_{k}+x}}" ]; then export {k}="$__e2b_old_{k}"; '
            f"unset __e2b_old_{k}; else unset {k}; fi;"
            for k in keys
        )
        return f"{save} {sets}", restore
    if language == "java":
        return _java_env_snippets(env)
    raise UnknownLanguage(f"Unknown language {language!r}. Languages: {', '.join(LANGUAGES)}.")


def _java_string(value: str) -> str:
    return json.dumps(value)  # JSON escapes are valid Java string escapes


_JAVA_ENV_MAP = (
    'Class<?> pe = Class.forName("java.lang.ProcessEnvironment");'
    ' java.lang.reflect.Field f = pe.getDeclaredField("theUnmodifiableEnvironment");'
    " f.setAccessible(true);"
    " Object um = f.get(null);"
    ' java.lang.reflect.Field m = um.getClass().getDeclaredField("m");'
    " m.setAccessible(true);"
    ' @SuppressWarnings("unchecked") java.util.Map<String,String> env ='
    " (java.util.Map<String,String>) m.get(um);"
)


def _java_env_snippets(env: dict[str, str]) -> tuple[str, str]:
    """Java cannot set env vars: reach into the JVM's cached environment map instead. The
    values are system properties too (`System.getProperty`), which is how E2B's server hands
    per-run env vars to Java; both are put back after the run."""
    saves = " ".join(f"saved.put({_java_string(k)}, env.get({_java_string(k)}));" for k in env)
    puts = " ".join(f"env.put({_java_string(k)}, {_java_string(v)});" for k, v in env.items())
    prop_saves = " ".join(f"props.put({_java_string(k)}, System.getProperty({_java_string(k)}));" for k in env)
    prop_sets = " ".join(f"System.setProperty({_java_string(k)}, {_java_string(v)});" for k, v in env.items())
    apply = (
        f"{{ try {{ {_JAVA_ENV_MAP} java.util.Map<String,String> saved = new java.util.HashMap<>();"
        f' {saves} System.getProperties().put("e2b.savedEnv", saved); {puts} }}'
        ' catch (Exception ex) { System.err.println("env vars could not be set: " + ex); } }'
        " { java.util.Map<String,String> props = new java.util.HashMap<>();"
        f' {prop_saves} System.getProperties().put("e2b.savedProps", props); {prop_sets} }}'
    )
    revert = (
        f"{{ try {{ {_JAVA_ENV_MAP}"
        ' @SuppressWarnings("unchecked") java.util.Map<String,String> saved ='
        ' (java.util.Map<String,String>) System.getProperties().remove("e2b.savedEnv");'
        " if (saved != null) for (java.util.Map.Entry<String,String> e : saved.entrySet()) {"
        " if (e.getValue() == null) env.remove(e.getKey()); else env.put(e.getKey(), e.getValue()); }"
        ' } catch (Exception ex) { System.err.println("env vars could not be restored: " + ex); } }'
        ' { @SuppressWarnings("unchecked") java.util.Map<String,String> props ='
        ' (java.util.Map<String,String>) System.getProperties().remove("e2b.savedProps");'
        " if (props != null) for (java.util.Map.Entry<String,String> e : props.entrySet()) {"
        " if (e.getValue() == null) System.clearProperty(e.getKey());"
        " else System.setProperty(e.getKey(), e.getValue()); } }"
    )
    return apply, revert


def chdir_snippet(language: str, cwd: str) -> str | None:
    """Code that moves a running kernel to `cwd`, or None where that is impossible."""
    quoted = json.dumps(cwd)
    if language == "python":
        return f"__import__('os').chdir({quoted})"
    if language in ("javascript", "typescript"):
        return f"Deno.chdir({quoted})"
    if language == "r":
        return f"invisible(setwd({_r_string(cwd)}))"
    if language == "bash":
        return f"cd {shlex.quote(cwd)}"
    return None
