"""The `e2b-workbench` command: the app (no arguments), `serve`, `run`, `doctor`.

Heavy imports happen inside the subcommands, so `serve` and `run` start fast.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

USAGE_AFTER_URL = """\
The local E2B runtime is serving (code runs as {user} on this machine, without a sandbox's isolation).
Point any E2B SDK script at it:

  export E2B_DEBUG=true E2B_SANDBOX_URL={url}
  python -c "from e2b_code_interpreter import Sandbox; print(Sandbox.create().run_code('1+1').text)"

or in code: Sandbox.create(debug=True, sandbox_url="{url}")
Contexts start in {cwd}. Languages: {languages}. Press Ctrl+C to stop it and its kernels.
"""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="e2b-workbench",
        description="A terminal workbench for the E2B code interpreter. "
        "With no command it opens the app on the local runtime.",
    )
    sub = parser.add_subparsers(dest="command")

    serve = sub.add_parser("serve", help="run the E2B-compatible local runtime in the foreground")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=49999, help="port (default 49999; 0 = any free port)")
    serve.add_argument("--cwd", default=None, help="default working directory of contexts (default: here)")
    serve.add_argument("--no-spares", action="store_true", help="do not keep warm spare kernels")
    serve.add_argument(
        "--no-prestart",
        action="store_true",
        help="start the default contexts on first use instead of at once",
    )

    run = sub.add_parser("run", help="run a file (or - for stdin) on the local runtime, headless")
    run.add_argument("file", help="a source file, or - to read the code from stdin")
    run.add_argument(
        "--language",
        "-l",
        default=None,
        help="python, javascript, typescript, r, java, bash (default: from the file extension)",
    )
    run.add_argument(
        "--timeout", type=float, default=0, help="seconds before the run is interrupted (default 0: no limit)"
    )
    run.add_argument(
        "--save-dir", default="e2b-output", help="where image results are saved (default ./e2b-output)"
    )

    doctor = sub.add_parser("doctor", help="which languages can run here, and how to install the others")
    doctor.add_argument("--run", action="store_true", help="also start each kernel and run a hello world")
    return parser


def main(argv: list[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    if args.command == "serve":
        sys.exit(cmd_serve(args))
    if args.command == "run":
        sys.exit(cmd_run(args))
    if args.command == "doctor":
        sys.exit(cmd_doctor(args))
    sys.exit(cmd_app(args))


def cmd_app(args: argparse.Namespace) -> int:
    from .app import run_app

    return run_app()


def cmd_serve(args: argparse.Namespace) -> int:
    from .runtime.languages import available_languages
    from .runtime.serve import serve

    cwd = str(Path(args.cwd or os.getcwd()).resolve())
    if not Path(cwd).is_dir():
        print(f"e2b-workbench: --cwd {args.cwd!r} is not a directory.", file=sys.stderr)
        return 2

    def announce(url: str) -> None:
        print(url, flush=True)
        print(
            USAGE_AFTER_URL.format(
                url=url,
                cwd=cwd,
                user=os.environ.get("USER") or "the current user",
                languages=", ".join(available_languages()) or "none (run e2b-workbench doctor)",
            ),
            flush=True,
        )

    serve(
        args.host, args.port, cwd, announce=announce, spares=not args.no_spares, prestart=not args.no_prestart
    )
    print("Runtime stopped; every kernel it started is gone.", flush=True)
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from .core.headless import language_for, run_headless
    from .runtime.languages import LanguageUnavailable, UnknownLanguage, normalize_language, require

    if args.file == "-":
        code = sys.stdin.read()
        stem = "stdin"
    else:
        path = Path(args.file)
        try:
            code = path.read_text()
        except (OSError, UnicodeDecodeError) as err:
            print(f"e2b-workbench: cannot read {args.file}: {err}", file=sys.stderr)
            return 2
        stem = path.stem
    try:
        language = normalize_language(language_for(args.file, args.language))
        require(language)
    except (UnknownLanguage, LanguageUnavailable) as err:
        print(f"e2b-workbench: {err}", file=sys.stderr)
        return 2

    from e2b.exceptions import SandboxException, TimeoutException
    from e2b_code_interpreter import Sandbox

    from .runtime.launcher import LocalRuntime, RuntimeStartError

    runtime = LocalRuntime(spares=False, prestart=False)
    try:
        try:
            url = runtime.start()
        except RuntimeStartError as err:
            print(f"e2b-workbench: {err}", file=sys.stderr)
            return 2
        sandbox = Sandbox.create(debug=True, sandbox_url=url)
        try:
            execution, _saver = run_headless(
                sandbox, code, language, stem, Path(args.save_dir), args.timeout or 0
            )
        except TimeoutException:
            print(
                f"e2b-workbench: the run timed out after {args.timeout:g} s and was interrupted.",
                file=sys.stderr,
            )
            return 124
        except SandboxException as err:
            print(f"e2b-workbench: {err}", file=sys.stderr)
            return 2
        except KeyboardInterrupt:
            print("\ne2b-workbench: interrupted.", file=sys.stderr)
            return 130
        return 1 if execution.error else 0
    finally:
        runtime.stop()


def cmd_doctor(args: argparse.Namespace) -> int:
    from .runtime.languages import LANGUAGES, availability

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
    if args.run:
        return _doctor_run([lang for lang in LANGUAGES if availability(lang).available])
    return 0


HELLO = {
    "python": "print('hello from python')",
    "javascript": "console.log('hello from javascript')",
    "typescript": "const who: string = 'typescript'; console.log(`hello from ${who}`)",
    "r": "cat('hello from r\\n')",
    "java": 'System.out.println("hello from java");',
    "bash": "echo hello from bash",
}


def _doctor_run(languages: list[str]) -> int:
    import time

    from e2b_code_interpreter import Sandbox

    from .runtime.launcher import LocalRuntime

    print("\nRunning a hello world in each available language:")
    failures = 0
    with LocalRuntime(spares=False, prestart=False) as runtime:
        sandbox = Sandbox.create(debug=True, sandbox_url=runtime.url)
        for language in languages:
            started = time.monotonic()
            try:
                execution = sandbox.run_code(HELLO[language], language=language, timeout=180)
                out = "".join(execution.logs.stdout).strip()
                ok = execution.error is None and out.startswith("hello")
                detail = out if ok else (execution.error.value if execution.error else out or "no output")
            except Exception as err:  # report and go on with the next language
                ok, detail = False, str(err)
            failures += not ok
            print(
                f"  {'ok  ' if ok else 'FAIL'} {language:<11} {time.monotonic() - started:5.1f} s  {detail}"
            )
    return 1 if failures else 0
