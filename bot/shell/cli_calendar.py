"""`rollcall calendar revoke P`: a participant's private calendar link stops working
(a lost phone, a link shared by mistake). Audited; they send /calendar for a new one."""

from __future__ import annotations

import argparse
import sys

from bot.config import Config
from bot.shell.app import open_app

CLI_ACTOR = "cli"


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    verbs = sub.add_parser("calendar", help="participants' private calendar feed links")
    actions = verbs.add_subparsers(dest="calendar_command", required=True, metavar="ACTION")
    revoke = actions.add_parser("revoke", help="make a participant's calendar link stop working")
    revoke.add_argument("participant")


async def run(args: argparse.Namespace, config: Config) -> int:
    app = await open_app(config)
    try:
        had = await app.engine.revoke_calendar(args.participant, actor_id=CLI_ACTOR)
    finally:
        await app.close()
    if had:
        sys.stdout.write(f"revoked the calendar link of {args.participant}\n")
    else:
        sys.stdout.write(f"{args.participant} had no calendar link; nothing to revoke\n")
    return 0
