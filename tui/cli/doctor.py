"""`e2b-workbench doctor`: which languages can run here, and the exact command that installs
the others; `--run` also starts each kernel and runs its hello world (from the registry)."""

from __future__ import annotations

import argparse
import sys


def add_parser(commands: argparse._SubParsersAction) -> None:
    doctor = commands.add_parser("doctor", help="which languages can run here, and how to install the others")
    doctor.add_argument("--run", action="store_true", help="also start each kernel and run a hello world")
    doctor.set_defaults(main=main, exit_at_once=False)


def main(args: argparse.Namespace) -> int:
    """List every language as ok or missing; 1 if `--run` saw one fail."""
    from ..runtime.languages import LANGUAGES, availability

    print(f"e2b-workbench doctor (Python {sys.version.split()[0]} at {sys.executable})")
    missing = []
    for language in LANGUAGES:
        found = availability(language)
        mark = "ok     " if found.available else "missing"
        print(f"  {mark} {language:<11} {found.detail}")
        if not found.available:
            missing.append(found)
    if missing:
        print("\nTo install what is missing:")
        for found in missing:
            print(f"  {found.language:<11} {found.install}")
    else:
        print("\nEvery language is available.")
    _sandbox_environment()
    _isolation()
    if args.run:
        return _hello_worlds([lang for lang in LANGUAGES if availability(lang).available])
    return 0


def _sandbox_environment() -> None:
    """Where python runs: the sandbox's own environment, built or not, and how to build it."""
    from ..runtime import sandboxenv
    from .env import describe

    try:
        spec = sandboxenv.resolve()
    except sandboxenv.UnknownProfile as err:
        print(f"\nSandbox environment: {err}")
        return
    info = describe(spec)
    name = spec.profile.name if spec.profile else "given as is"
    print(f"\nSandbox environment (python, and python/pip in commands; `e2b-workbench env`): {name}")
    if info["built"]:
        note = " (outdated: e2b-workbench env update)" if info["outdated"] else ""
        print(
            f"  ok      {spec.path}: Python {info['python']}, {info['packages']} packages, "
            f"{info['size_bytes'] / 2**20:,.0f} MB{note}"
        )
    elif spec.managed:
        print(f"  not built yet: {spec.path}")
        print(f"  it is built on first use, or now with: e2b-workbench env create --profile {name}")
    else:
        print(f"  missing {spec.path} has no bin/python")


def _isolation() -> None:
    """Whether the local runtime can isolate code here (bubblewrap present and working: it is
    run once, since some kernels and containers forbid the user namespaces it needs)."""
    from ..runtime.isolation import bwrap

    problem = bwrap.problem()
    if problem is None:
        print(f"\nIsolation: ok ({bwrap.version()}; serve --isolate, and tool call / mcp by default)")
    else:
        print(f"\nIsolation: not available: {problem}.")
        print("  tool call and mcp refuse to run (they isolate by default) unless --no-isolate.")


def _hello_worlds(names: list[str]) -> int:
    """Start the local runtime and run each language's hello world; 1 if one failed."""
    import time

    from e2b_code_interpreter import Sandbox

    from ..common import languages
    from ..runtime.launcher import LocalRuntime

    print("\nRunning a hello world in each available language:")
    failures = 0
    with LocalRuntime(spares=False, prestart=False) as runtime:
        sandbox = Sandbox.create(debug=True, sandbox_url=runtime.url)
        for name in names:
            started = time.monotonic()
            try:
                execution = sandbox.run_code(languages.get(name).hello, language=name, timeout=180)
                out = "".join(execution.logs.stdout).strip()
                ok = execution.error is None and out.startswith("hello")
                detail = out if ok else (execution.error.value if execution.error else out or "no output")
            except Exception as err:  # report and go on with the next language
                ok, detail = False, str(err)
            failures += not ok
            print(f"  {'ok  ' if ok else 'FAIL'} {name:<11} {time.monotonic() - started:5.1f} s  {detail}")
    return 1 if failures else 0
