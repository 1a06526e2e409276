"""The `e2b-workbench` command: the app (no arguments), `serve`, `run`, `sandbox`, `tool`, `mcp`, `doctor`.

Heavy imports happen inside the subcommands, so `serve` and `run` start fast.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar

from .core.flags import add_cloud_settings, add_target_arguments

T = TypeVar("T")

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
        "With no command it opens the app: on E2B cloud when E2B_API_KEY is set, on the local runtime otherwise.",
    )
    _add_app_arguments(parser)
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

    run = sub.add_parser("run", help="run a file (or - for stdin) headless, locally or on E2B cloud")
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
    add_target_arguments(run)

    sandbox = sub.add_parser("sandbox", help="manage E2B cloud sandboxes: create, extend, kill, info")
    sandbox_sub = sandbox.add_subparsers(dest="sandbox_command", required=True)
    create = sandbox_sub.add_parser("create", help="create a sandbox, print its id, leave it running")
    extend = sandbox_sub.add_parser("extend", help="reset a sandbox's lifetime to --sandbox-timeout from now")
    kill = sandbox_sub.add_parser("kill", help="kill a sandbox")
    info = sandbox_sub.add_parser("info", help="show a sandbox's template, state and time left")
    for command in (extend, kill, info):
        command.add_argument("id", help="the sandbox id")
    for command in (create, extend, kill, info):
        add_cloud_settings(command)

    _add_tool_parsers(sub)

    doctor = sub.add_parser("doctor", help="which languages can run here, and how to install the others")
    doctor.add_argument("--run", action="store_true", help="also start each kernel and run a hello world")
    return parser


def _add_app_arguments(parser: argparse.ArgumentParser) -> None:
    """The app's own flags (given before any subcommand)."""
    add_target_arguments(parser)
    app = parser.add_argument_group("app settings (override config.toml and E2B_WORKBENCH_* env vars)")
    app.add_argument("--run-timeout", type=float, default=None, metavar="SECONDS", help="default run timeout")
    app.add_argument("--theme", default=None, help="Textual theme, e.g. textual-light")
    app.add_argument("--graphics", default=None, help="image previews: auto, kitty, sixel, halfblock")
    app.add_argument(
        "--keymap", default=None, metavar="ID=KEYS;...", help="rebind keys, e.g. 'run=f5,ctrl+e'"
    )


def main(argv: list[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    if args.command == "serve":
        sys.exit(cmd_serve(args))
    if args.command == "run":
        _exit_at_once(cmd_run(args))
    if args.command == "doctor":
        sys.exit(cmd_doctor(args))
    if args.command == "tool":
        _exit_at_once(cmd_tool(args))
    if args.command == "mcp":
        _exit_at_once(cmd_mcp(args))
    if args.command == "sandbox":
        sys.exit(cmd_sandbox(args))
    sys.exit(cmd_app(args))


def _run_async(coro: Coroutine[Any, Any, T]) -> tuple[T | None, int]:
    """Run a command's async part: (its value, 0), or (None, exit code) once the sandbox could
    not be opened (2, said on stderr) or Ctrl+C stopped it (130)."""
    import asyncio

    from .core.target import TargetError

    try:
        return asyncio.run(coro), 0
    except TargetError as err:
        print(f"e2b-workbench: {err}", file=sys.stderr)
        return None, 2
    except KeyboardInterrupt:
        print("\ne2b-workbench: interrupted.", file=sys.stderr)
        return None, 130


def _exit_at_once(code: int) -> None:
    """Exit without the interpreter's shutdown, once the command has cleaned up after itself.

    The commands that drive the async SDK need this: after a failed connection (no network),
    the SDK's Rust HTTP transport can abort the process while Python shuts down (SIGABRT,
    exit 134, about one time in three), turning a clear error and exit 2 into a crash.
    Everything they started (runtime, kernels, sandbox) is stopped before they return.
    """
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe: nothing more can be said there
            pass
    os._exit(code)


def cmd_app(args: argparse.Namespace) -> int:
    from .app import run_app
    from .core.config import load_config
    from .core.target import config_overrides, target_from_args

    config = load_config(overrides=config_overrides(args))
    target = target_from_args(args, config)
    target.spares = True  # an interactive session is worth a warm kernel per language
    if target.cloud:
        from .core.target import api_key

        if not api_key():
            print(
                "e2b-workbench: --cloud needs an E2B API key: export E2B_API_KEY=... "
                "(keys are at https://e2b.dev/dashboard?tab=keys), or drop --cloud to work locally.",
                file=sys.stderr,
            )
            return 2
    return run_app(target, config)


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

    from .core.target import explain_cloud, open_async_sandbox, target_from_args

    target = target_from_args(args)

    async def run() -> int:
        async with open_async_sandbox(target) as sandbox:
            try:
                execution, _saver = await run_headless(
                    sandbox, code, language, stem, Path(args.save_dir), args.timeout or 0
                )
            except TimeoutException as err:
                if target.cloud and "sandbox timeout" in str(err):
                    print(f"e2b-workbench: {explain_cloud(err, target)}", file=sys.stderr)
                    return 2
                print(
                    f"e2b-workbench: the run timed out after {args.timeout:g} s and was interrupted.",
                    file=sys.stderr,
                )
                return 124
            except SandboxException as err:
                print(
                    f"e2b-workbench: {explain_cloud(err, target) if target.cloud else err}", file=sys.stderr
                )
                return 2
            return 1 if execution.error else 0

    code, failed = _run_async(run())
    return failed or code or 0


def cmd_sandbox(args: argparse.Namespace) -> int:
    """`sandbox create|extend|kill|info`: cloud sandboxes by id, for scripts and reconnecting."""
    from .core.config import load_config
    from .core.target import (
        Target,
        TargetError,
        api_key,
        config_overrides,
        create_cloud_sandbox,
        extend_sandbox,
        kill_sandbox,
        sandbox_info,
    )

    if not api_key():
        print(
            "e2b-workbench: sandbox commands need an E2B API key: export E2B_API_KEY=... "
            "(keys are at https://e2b.dev/dashboard?tab=keys).",
            file=sys.stderr,
        )
        return 2
    config = load_config(overrides=config_overrides(args))
    for problem in config.problems:
        print(f"e2b-workbench: {problem}", file=sys.stderr)
    target = Target(
        mode="cloud",
        template=config.template,
        sandbox_timeout=config.sandbox_timeout,
        metadata=dict(config.metadata),
        envs=dict(config.envs),
        domain=config.domain,
        keep=True,
    )
    try:
        if args.sandbox_command == "create":
            sandbox = create_cloud_sandbox(target)
            print(sandbox.sandbox_id)
            print(
                f"Created; it expires in {target.sandbox_timeout} s unless extended. "
                f"Open it with: e2b-workbench --sandbox-id {sandbox.sandbox_id}",
                file=sys.stderr,
            )
        elif args.sandbox_command == "extend":
            extend_sandbox(target, args.id, target.sandbox_timeout)
            print(f"Sandbox {args.id} now expires in {target.sandbox_timeout} s.")
        elif args.sandbox_command == "kill":
            if kill_sandbox(target, args.id):
                print(f"Sandbox {args.id} killed.")
            else:
                print(f"Sandbox {args.id} was not running (already expired or killed).")
        else:
            import datetime as _dt

            info = sandbox_info(target, args.id)

            left = (info.end_at - _dt.datetime.now(_dt.UTC)).total_seconds()
            print(f"id        {info.sandbox_id}")
            print(f"template  {info.template_id}")
            print(f"state     {getattr(info.state, 'value', info.state)}")
            print(f"started   {info.started_at.isoformat(timespec='seconds')}")
            print(f"expires   in {max(0, int(left))} s ({info.end_at.isoformat(timespec='seconds')})")
            if info.metadata:
                print("metadata  " + ", ".join(f"{k}={v}" for k, v in info.metadata.items()))
    except TargetError as err:
        print(f"e2b-workbench: {err}", file=sys.stderr)
        return 1
    return 0


def _add_tool_parsers(sub: argparse._SubParsersAction) -> None:
    """`tool schema`, `tool call` and `mcp`: the run_code tool for LLMs."""
    tool = sub.add_parser("tool", help="the run_code tool for LLMs: print its definition, run tool calls")
    tool_sub = tool.add_subparsers(dest="tool_command", required=True)
    schema = tool_sub.add_parser("schema", help="print the run_code tool definition as JSON")
    schema.add_argument(
        "--format",
        choices=("openai", "anthropic", "json"),
        default="openai",
        help="an OpenAI function tool, an Anthropic tool, or plain JSON Schema (default openai)",
    )
    add_target_arguments(schema)  # the language enum: what is installed (local) or all six (cloud)
    call = tool_sub.add_parser(
        "call",
        help="run the tool call(s) read as JSON from stdin; print the result JSON "
        "(exit 0 when results were produced, even if the code raised; 2 for unusable input)",
    )
    call.add_argument(
        "--from-markdown", action="store_true", help="stdin is a model's reply: run its fenced code blocks"
    )
    call.add_argument(
        "--default-language", default="python", help="language of untagged code blocks (default python)"
    )
    call.add_argument(
        "--reply",
        choices=("result", "openai", "anthropic"),
        default="result",
        help="print the bare results (default), or the messages that carry them back to the model",
    )
    for command in (call, sub.add_parser("mcp", help="a Model Context Protocol server over stdio")):
        command.add_argument(
            "--output-dir",
            default=None,
            help="where images and full outputs go (default: the user cache dir)",
        )
        command.add_argument(
            "--timeout",
            type=_non_negative(float),
            default=None,
            help="seconds per run (default 300; 0 = no limit)",
        )
        command.add_argument(
            "--max-output-chars",
            type=_non_negative(int),
            default=20_000,
            help="stdout/stderr kept in a result (default 20000)",
        )
        command.add_argument(
            "--max-result-chars",
            type=_non_negative(int),
            default=10_000,
            help="text kept per result field (default 10000)",
        )
        command.add_argument("--cwd", default=None, help="local: the contexts' working directory")
        add_target_arguments(command)


def _non_negative(kind: type) -> Callable[[str], Any]:
    """An argparse type: a number of `kind` that is 0 or more."""

    def parse(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
        if value < 0:
            raise argparse.ArgumentTypeError(f"must be 0 or more, got {text}")
        return value

    return parse


def _read_stdin_text() -> str:
    """stdin as text: UTF-8 (a byte-order mark is dropped); ToolInputError if it is not."""
    from .core.tool import ToolInputError

    data = sys.stdin.buffer.read()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise ToolInputError(
            f"stdin is not UTF-8 text (byte 0x{data[err.start]:02x} at offset {err.start})."
        ) from None


def _print_json(payload: Any) -> int:
    """Print `payload` as JSON on stdout: 0, or 141 (as SIGPIPE would) if the reader went away."""
    import json

    try:
        print(json.dumps(payload, indent=2, ensure_ascii=False), flush=True)
    except BrokenPipeError:
        # nobody reads the rest: point stdout at /dev/null so the exit flush stays quiet
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    return 0


def _tool_limits(args: argparse.Namespace):
    from .core.tool import ToolLimits

    return ToolLimits(
        max_output_chars=args.max_output_chars,
        max_result_chars=args.max_result_chars,
        output_dir=Path(args.output_dir) if args.output_dir else None,
        timeout=args.timeout,
    )


def cmd_tool(args: argparse.Namespace) -> int:
    """`tool schema` prints the definition; `tool call` runs calls from stdin and prints results."""
    import json

    from .core.target import open_async_sandbox, target_from_args
    from .core.tool import (
        ToolInputError,
        aexecute_tool_calls,
        calls_in,
        languages_for,
        read_calls,
        tool_definition,
        tool_reply,
    )

    target = target_from_args(args)
    languages = languages_for(target.mode)
    if args.tool_command == "schema":
        return _print_json(tool_definition(args.format, languages))
    try:
        text = _read_stdin_text()
        if args.from_markdown:  # a reply: its tool calls if it is JSON that holds some, else its blocks
            calls, found = read_calls(text, args.default_language or None)
            single = found == "tool calls" and isinstance(json.loads(text), dict) and len(calls) == 1
        else:
            if not text.strip():
                raise ToolInputError("Nothing on stdin: pipe a tool call or its arguments as JSON.")
            payload = json.loads(text)
            calls = calls_in(payload)
            single = isinstance(payload, dict) and len(calls) == 1
            if not calls:
                raise ToolInputError(
                    "No tool call in the input (for a model's reply with code blocks, use --from-markdown)."
                )
    except json.JSONDecodeError as err:
        print(
            f"e2b-workbench: the input is not JSON ({err}); for a model's reply use --from-markdown.",
            file=sys.stderr,
        )
        return 2
    except ToolInputError as err:
        print(f"e2b-workbench: {err}", file=sys.stderr)
        return 2

    async def run_calls() -> list[dict]:
        # async: its timeouts fire on time (the sync SDK's fire late, see tui.core.deadline)
        async with open_async_sandbox(target) as sandbox:
            return await aexecute_tool_calls(sandbox, calls, languages=languages, limits=_tool_limits(args))

    results, failed = _run_async(run_calls())
    if failed:
        return failed
    replies = [tool_reply(result, args.reply) for result in results]
    return _print_json(replies[0] if single else replies)


def cmd_mcp(args: argparse.Namespace) -> int:
    """`mcp`: serve run_code and context management to an agent client over stdio."""
    from .core.target import target_from_args
    from .mcp_server import serve_stdio

    return serve_stdio(target_from_args(args), _tool_limits(args))


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
