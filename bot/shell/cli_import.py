"""`rollcall import FILE --session ID [--format zoom|teams|meet] [--tz ZONE]`."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from adapters.importers.translate import FORMATS, parse_report
from bot.core.errors import UserError
from bot.shell.app import App

CLI_ACTOR = "cli"
#: a participant report is small; anything far bigger is the wrong file
MAX_BYTES = 20 * 1024 * 1024


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise UserError(f"--tz: unknown time zone {name!r}") from None


def _read(path: str) -> bytes:
    p = Path(path)
    if p.is_dir():
        raise UserError(f"{path} is a directory, not a report file")
    if p.stat().st_size > MAX_BYTES:
        raise UserError(f"{path} is too big for a participant report")
    return p.read_bytes()


async def cmd_import(app: App, args: argparse.Namespace) -> int:
    fmt = args.report_format.lower() if args.report_format else None
    if fmt is not None and fmt not in FORMATS:
        raise UserError(f"--format must be one of {', '.join(FORMATS)}")
    tz = _zone(args.tz or app.config.program.timezone)
    session = await app.engine.session(args.session)
    try:
        data = await asyncio.to_thread(_read, args.file)
    except OSError as e:
        raise UserError(f"cannot read {args.file}: {e.strerror or e}") from None
    report = parse_report(data, fmt=fmt, tz=tz, day=session.start.astimezone(tz).date())
    result = await app.engine.import_report(session.id, report, actor_id=CLI_ACTOR)
    if not result.new_rows:
        sys.stdout.write(
            f"nothing new: the {result.rows} row(s) of this {report.source} report "
            f"were imported into {session.id} before\n"
        )
        return 0
    sys.stdout.write(
        f"imported {result.new_rows} new of {result.rows} row(s) from a {report.source} report "
        f"into {session.id}: {result.matched} matched to {len(result.people)} people, "
        f"{result.guests} guest row(s)\n"
    )
    if result.guests:
        print("guests to link: rollcall guest list, then rollcall guest link", file=sys.stderr)
    return 0
