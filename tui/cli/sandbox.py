"""`e2b-workbench sandbox create|extend|kill|info`: E2B cloud sandboxes by id, for scripts and
for reconnecting the app to a sandbox left running (`--keep`)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ..core.flags import add_cloud_settings
from .process import EXIT_USAGE, say


def add_parser(commands: argparse._SubParsersAction) -> None:
    sandbox = commands.add_parser("sandbox", help="manage E2B cloud sandboxes: create, extend, kill, info")
    actions = sandbox.add_subparsers(dest="sandbox_command", required=True)
    create = actions.add_parser("create", help="create a sandbox, print its id, leave it running")
    extend = actions.add_parser("extend", help="reset a sandbox's lifetime to --sandbox-timeout from now")
    kill = actions.add_parser("kill", help="kill a sandbox")
    info = actions.add_parser("info", help="show a sandbox's template, state and time left")
    for action in (extend, kill, info):
        action.add_argument("id", help="the sandbox id")
    for action in (create, extend, kill, info):
        add_cloud_settings(action)
    sandbox.set_defaults(main=main, exit_at_once=False)


def main(args: argparse.Namespace) -> int:
    """Do the action; 2 without an API key, 1 when E2B refuses it."""
    from ..core.config import load_config
    from ..core.errors import NoApiKey
    from ..core.target import (
        TargetError,
        api_key,
        config_overrides,
        create_cloud_sandbox,
        extend_sandbox,
        kill_sandbox,
        make_target,
        sandbox_info,
    )

    if not api_key():
        say(str(NoApiKey("Sandbox commands")))
        return EXIT_USAGE
    config = load_config(overrides=config_overrides(args))
    for problem in config.problems:
        say(problem)
    target = make_target("cloud", config, keep=True)
    try:
        if args.sandbox_command == "create":
            created = create_cloud_sandbox(target)
            print(created.sandbox_id)
            print(
                f"Created; it expires in {target.sandbox_timeout} s unless extended. "
                f"Open it with: e2b-workbench --sandbox-id {created.sandbox_id}",
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
            _print_info(sandbox_info(target, args.id))
    except TargetError as err:
        say(str(err))
        return 1
    return 0


def _print_info(info: Any) -> None:
    """The sandbox's id, template, state, start, expiry and metadata, one per line."""
    import datetime as _dt

    left = (info.end_at - _dt.datetime.now(_dt.UTC)).total_seconds()
    print(f"id        {info.sandbox_id}")
    print(f"template  {info.template_id}")
    print(f"state     {getattr(info.state, 'value', info.state)}")
    print(f"started   {info.started_at.isoformat(timespec='seconds')}")
    print(f"expires   in {max(0, int(left))} s ({info.end_at.isoformat(timespec='seconds')})")
    if info.metadata:
        print("metadata  " + ", ".join(f"{k}={v}" for k, v in info.metadata.items()))
