"""`rollcall [--config PATH] COMMAND`: the operator's and coordinator's command line, parsed
and dispatched (bot.shell.cli loads it, then runs `main`)."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Sequence

from bot.config import ConfigError, load_config
from bot.core.errors import UserError
from bot.shell import cli_calendar, cli_config, cli_ops
from bot.shell.gc_tuning import settle_memory
from bot.shell.logs import setup_logging
from bot.shell.version import VERSION

DEFAULT_CONFIG = "config.example.toml"


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="rollcall", description="Attendance for virtual therapy groups."
    )
    p.add_argument(
        "--config",
        default=os.environ.get("ROLLCALL_CONFIG", DEFAULT_CONFIG),
        help="TOML config file (default: $ROLLCALL_CONFIG or config.example.toml)",
    )
    p.add_argument("-v", "--verbose", action="store_true", help="log at DEBUG level")
    p.add_argument("--version", action="version", version=f"rollcall {VERSION}")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    sub.add_parser("run", help="run the bot: adapters, HTTP server, scheduler")
    sub.add_parser("demo", help="a scripted week on a fake clock; prints rosters and the report")

    db = sub.add_parser("db", help="database maintenance").add_subparsers(
        dest="db_command", required=True, metavar="ACTION"
    )
    db.add_parser("upgrade", help="apply migrations up to the newest")
    cli_ops.add_parsers(sub, db)

    sess = sub.add_parser("session", help="create, list, end or cancel sessions")
    ss = sess.add_subparsers(dest="session_command", required=True, metavar="ACTION")
    create = ss.add_parser("create", help="a one-off or make-up session")
    create.add_argument("--group", required=True)
    create.add_argument(
        "--start", required=True, help="ISO 8601; without an offset, program local time"
    )
    create.add_argument("--minutes", required=True, type=int)
    create.add_argument("--makeup-for", dest="makeup_for", metavar="SESSION_ID")
    lst = ss.add_parser("list", help="sessions, by start")
    lst.add_argument("--group")
    lst.add_argument("--from", dest="date_from", metavar="DATE")
    lst.add_argument("--to", dest="date_to", metavar="DATE")
    for name in ("end", "cancel"):
        one = ss.add_parser(name, help=f"{name} a session")
        one.add_argument("id")

    rep = sub.add_parser("report", help="attendance records")
    rep.add_argument("--group")
    rep.add_argument("--participant")
    rep.add_argument("--from", dest="date_from", metavar="DATE")
    rep.add_argument("--to", dest="date_to", metavar="DATE")
    rep.add_argument("--format", default="table", metavar="table|csv|json|html|fhir|billing")
    rep.add_argument("--out", metavar="FILE")

    weekly = sub.add_parser("weekly", help="weekly-minimum standing per participant")
    weekly.add_argument("--week", metavar="YYYY-Www")

    outreach = sub.add_parser("outreach", help="the outreach log: who reached out to whom")
    os_ = outreach.add_subparsers(dest="outreach_command", required=True, metavar="ACTION")
    oadd = os_.add_parser("add", help="record that someone reached out to a participant")
    oadd.add_argument("participant")
    oadd.add_argument("--how", required=True, metavar="call|dm|in_session|other")
    oadd.add_argument(
        "--outcome", required=True, metavar="reached|left_message|no_answer|declined|other"
    )
    oadd.add_argument("--note")
    oadd.add_argument("--by", help="who reached out (a person id; default: cli)")
    oadd.add_argument("--resolves", action="store_true", help="resolves the participant's alert")
    olist = os_.add_parser("list", help="outreach entries, oldest first")
    olist.add_argument("--group")
    olist.add_argument("--participant")

    for name in ("enroll", "unenroll"):
        e = sub.add_parser(name, help=f"{name} a participant")
        e.add_argument("participant")
        e.add_argument("--group", required=True)

    part = sub.add_parser("participant", help="data requests").add_subparsers(
        dest="participant_command", required=True, metavar="ACTION"
    )
    part.add_parser("export", help="all of a participant's data, as JSON").add_argument(
        "participant"
    )
    part.add_parser("forget", help="erase personal data, keep de-identified counts").add_argument(
        "participant"
    )

    audit = sub.add_parser("audit", help="the audit log and the ledger's integrity")
    au = audit.add_subparsers(dest="audit_command", required=True, metavar="ACTION")
    au.add_parser("log", help="audit rows").add_argument("--since", metavar="DATE")
    ver = au.add_parser(
        "verify", help="check the hash chains and every stored record; exit 1 on tampering"
    )
    ver.add_argument(
        "--head",
        action="append",
        default=[],
        metavar="TOKEN",
        help="a head printed earlier by `audit head`: prove no row up to it was removed",
    )
    au.add_parser("head", help="the chain heads, to write down where the database can't reach")

    imp = sub.add_parser("import", help="a meeting platform's participant report, as presence")
    imp.add_argument("file", metavar="FILE")
    imp.add_argument("--session", required=True, metavar="ID")
    imp.add_argument("--format", dest="report_format", metavar="zoom|teams|meet")
    imp.add_argument("--tz", metavar="ZONE", help="zone of times without an offset")

    guest = sub.add_parser("guest", help="people a meeting room saw whom nobody matched")
    gs = guest.add_subparsers(dest="guest_command", required=True, metavar="ACTION")
    gs.add_parser("list", help="guests seen, by group").add_argument("--group")
    glink = gs.add_parser("link", help="count a guest's presence as a person's")
    glink.add_argument("guest_key")
    glink.add_argument("person_id")
    glink.add_argument("--group", help="needed when the guest was seen in several groups")
    gforget = gs.add_parser("forget", help="erase what the meeting platform called a guest")
    gforget.add_argument("guest_key")
    cli_config.add_parser(sub)
    cli_calendar.add_parser(sub)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    setup_logging(verbose=args.verbose)
    try:
        if args.command == "demo":
            # the demo brings its own cast, fake clock and in-memory store: no config needed
            from bot.shell.demo import run_demo

            return asyncio.run(run_demo())
        if args.command == "config":
            return cli_config.run(args)
        if args.command == "doctor":
            return asyncio.run(cli_ops.run_doctor(args.config))
        config = load_config(args.config)
        setup_logging(config.logging, verbose=args.verbose)
        if args.command == "calendar":
            return asyncio.run(cli_calendar.run(args, config))
        if cli_ops.handles(args):
            return asyncio.run(cli_ops.dispatch(args, config))
        from bot.shell.cli_commands import dispatch

        if args.command != "run":  # `rollcall run` settles its own, once it has started
            # a one-shot command, its modules loaded: a report of a year builds ≈ 80,000
            # lines, and each full collection would walk every module's objects again
            settle_memory(collect=False)
        return asyncio.run(dispatch(args, config))
    except (ConfigError, UserError) as e:
        print(f"rollcall: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # the reader went away (`rollcall weekly | head`): stop quietly, as `cat` does;
        # stdout goes to /dev/null so that the interpreter's final flush fails no more
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 128 + 13  # killed by SIGPIPE, as the shell counts it
