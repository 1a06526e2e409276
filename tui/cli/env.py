"""`e2b-workbench env`: the sandbox's own Python environment, where python kernels and the
`python`/`pip` of commands and terminals run. `env` (or `env show`) says where it is, its
profile, Python, size and package count, and whether it is built; `env create` builds it
(nothing to do when built), `env update` rebuilds it from the profile's current pins (the old
one stays in use until the new one is complete), `env reset` deletes it."""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

from .process import EXIT_USAGE, print_json, say

EXIT_BUILD_FAILED = 1


def add_parser(commands: argparse._SubParsersAction) -> None:
    from ..runtime.sandboxenv.build import INSTALLERS
    from ..runtime.sandboxenv.layout import INDEX_URL_VAR, PROFILE_VAR, PYTHON_ENV_VAR, ROOT_VAR
    from ..runtime.sandboxenv.profiles import DEFAULT_PROFILE, PROFILES

    env = commands.add_parser(
        "env",
        help="the sandbox's own Python environment: show, create, update, reset",
        description="The sandbox's Python environment (python kernels, and python/pip in commands and "
        f"terminals). Profiles: {', '.join(f'{p.name} ({p.summary})' for p in PROFILES.values())}. "
        f"Settings: {PROFILE_VAR} (profile), {ROOT_VAR} (where environments live), "
        f"{PYTHON_ENV_VAR} (an existing environment used as it is), {INDEX_URL_VAR} (package index).",
    )
    env.set_defaults(main=main, exit_at_once=False, action="show")
    env.add_argument(
        "--profile",
        choices=list(PROFILES),
        default=None,
        help=f"which environment (default: ${PROFILE_VAR}, else {DEFAULT_PROFILE})",
    )
    env.add_argument("--json", action="store_true", help="show it as JSON")
    actions = env.add_subparsers(dest="action")

    def common(parser: argparse.ArgumentParser) -> None:
        # SUPPRESS: `env --profile X show` and `env show --profile X` both work
        parser.add_argument(
            "--profile", choices=list(PROFILES), default=argparse.SUPPRESS, help="which environment"
        )

    def building(parser: argparse.ArgumentParser) -> None:
        common(parser)
        parser.add_argument(
            "--index-url",
            default=None,
            metavar="URL",
            help=f"package index (default: ${INDEX_URL_VAR}, else uv's or pip's own)",
        )
        parser.add_argument(
            "--installer",
            choices=INSTALLERS,
            default=None,
            help="uv (default, when present) or plain venv + pip",
        )

    show = actions.add_parser("show", help="where it is, profile, Python, size, packages, built or not")
    common(show)
    show.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="the same as JSON")
    building(actions.add_parser("create", help="build it (nothing to do when it is built)"))
    building(
        actions.add_parser(
            "update",
            help="rebuild it from the profile's current pins (drops what %%pip added); the old one "
            "stays in use until the new one is complete",
        )
    )
    reset = actions.add_parser("reset", help="delete it (the next use builds it again)")
    common(reset)
    reset.add_argument("--all", action="store_true", help="every profile's environment")


def main(args: argparse.Namespace) -> int:
    """Run the `env` action; 0, 1 (a build failed, said with the command to retry) or 2 (usage)."""
    from ..runtime import sandboxenv

    action = args.action or "show"
    try:
        spec = sandboxenv.resolve(getattr(args, "profile", None))
    except sandboxenv.UnknownProfile as err:
        say(str(err))
        return EXIT_USAGE
    if action == "show":
        return _show(spec, getattr(args, "json", False))
    if not spec.managed:
        say(
            f"the sandbox uses {spec.path} as it is ({sandboxenv.PYTHON_ENV_VAR} is set): the workbench never "
            f"builds, updates or deletes it. Unset {sandboxenv.PYTHON_ENV_VAR} to use a profile's environment."
        )
        return EXIT_USAGE
    if action == "reset":
        specs = [sandboxenv.spec_for(name) for name in sandboxenv.PROFILES] if args.all else [spec]
        for one in specs:
            removed = sandboxenv.remove(one)
            print(f"{'Deleted' if removed else 'Nothing to delete at'} {one.path}")
        return 0
    return _build(spec, update=action == "update", index_url=args.index_url, installer=args.installer)


def _build(spec: Any, update: bool, index_url: str | None, installer: str | None) -> int:
    from ..runtime import sandboxenv

    if spec.built and not update:
        print(f"The sandbox environment ({spec.profile.name}) is built: {spec.path}")
        if spec.outdated:
            print(
                f"It was built from older pins: rebuild it with  e2b-workbench env update --profile {spec.profile.name}"
            )
        return 0
    said = {"phase": ""}
    started = time.monotonic()

    def progress(p: sandboxenv.Progress) -> None:
        if p.phase == "failed":
            return  # said below, with the command that retries
        # a line per phase, and one per package downloaded (uv names the big ones)
        if p.phase != said["phase"] or p.message.startswith(("downloading ", "downloaded ", "installed ")):
            said["phase"] = p.phase
            print(f"  [{p.elapsed:5.1f} s] {p.message}", flush=True)

    verb = "Rebuilding" if update else "Building"
    print(f"{verb} the sandbox environment (profile {spec.profile.name}: {spec.profile.summary})")
    print(f"  in {spec.path}", flush=True)
    try:
        marker = sandboxenv.Build(
            spec, index_url=index_url, installer=installer, update=update, on_progress=progress
        ).run()
    except sandboxenv.BuildError as err:
        print(file=sys.stderr)
        say(f"the sandbox environment could not be built: {err.reason}")
        print(
            f"Nothing was changed{' (the old environment is still in use)' if spec.built else ''}. Retry with:",
            file=sys.stderr,
        )
        print(f"  {err.retry}", file=sys.stderr)
        return EXIT_BUILD_FAILED
    except KeyboardInterrupt:
        print(file=sys.stderr)
        say("interrupted: nothing was changed.")
        return 130
    size = int(marker.get("size_bytes") or sandboxenv.disk_size(spec.path))
    print(
        f"Ready: {marker.get('packages', '?')} packages, {_megabytes(size)}, "
        f"in {time.monotonic() - started:.1f} s ({marker.get('installer', '?')})."
    )
    return 0


def _megabytes(size: int) -> str:
    return f"{size / 2**20:,.0f} MB"


def describe(spec: Any) -> dict[str, Any]:
    """What `env show` and `doctor` say about an environment."""
    from ..runtime import sandboxenv

    marker = spec.read_marker() if spec.managed else None
    built = spec.built
    return {
        "path": str(spec.path),
        "profile": spec.profile.name if spec.profile else None,
        "managed": spec.managed,
        "built": built,
        "outdated": spec.outdated,
        "python": sandboxenv.interpreter_version(spec) if built else sandboxenv.python_version(),
        "packages": sandboxenv.package_count(spec) if built else 0,
        "size_bytes": sandboxenv.disk_size(spec.path) if built else 0,
        "built_at": (marker or {}).get("built_at"),
        "build_seconds": (marker or {}).get("build_seconds"),
        "installer": (marker or {}).get("installer"),
    }


def _show(spec: Any, as_json: bool) -> int:
    from ..runtime import sandboxenv

    info = describe(spec)
    if as_json:
        return print_json(info)
    if spec.managed:
        print(f"Sandbox environment: profile {spec.profile.name} ({spec.profile.summary})")
    else:
        print(f"Sandbox environment: {spec.path}, used as it is ({sandboxenv.PYTHON_ENV_VAR})")
    print(f"  where      {spec.path}")
    if info["built"]:
        when = (
            f"built {info['built_at']} with {info['installer']} in {info['build_seconds']} s"
            if info["built_at"]
            else "present"
        )
        print(f"  state      {when}{' (outdated: run e2b-workbench env update)' if info['outdated'] else ''}")
        print(f"  python     {info['python']}")
        print(f"  packages   {info['packages']}")
        print(f"  size       {_megabytes(info['size_bytes'])}")
    else:
        hint = f"e2b-workbench env create --profile {spec.profile.name}" if spec.managed else "create it"
        print(f"  state      not built: built on first use, or now with  {hint}")
        print(f"  python     {info['python']}")
    if spec.managed:
        others = [
            f"{name} ({'built' if sandboxenv.spec_for(name).built else 'not built'})"
            for name in sandboxenv.PROFILES
            if name != spec.profile.name
        ]
        print(f"Other profiles: {', '.join(others)}. Choose one with --profile or ${sandboxenv.PROFILE_VAR}.")
    return 0
