"""What each CLI verb does. Errors are `UserError`: one line on stderr, non-zero exit."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import AsyncIterable, Iterable, Sized
from datetime import date, datetime, timedelta

from bot.config import Config
from bot.core.errors import UserError
from bot.core.escaping import terminal
from bot.core.integrity import parse_checkpoint
from bot.core.reports.export import LEAN_FORMATS, Export
from bot.core.reports.render import FORMATS, render_chunks
from bot.core.telemetry import NULL as NULL_TELEMETRY
from bot.core.timeutil import (
    day_date_time,
    iso_local,
    local_day_bounds,
    parse_date,
    parse_instant,
    parse_iso_week,
    week_bounds,
    zone,
)
from bot.core.words import plural
from bot.shell.app import App, open_app, upgrade_db
from bot.shell.cli_files import batches, write_file

CLI_ACTOR = "cli"


def _out(text: str) -> None:
    sys.stdout.write(text if text.endswith("\n") else text + "\n")


def _day_range(
    app: App, date_from: str | None, date_to: str | None
) -> tuple[datetime | None, datetime | None]:
    """--from/--to as local dates, both inclusive."""
    tz = zone(app.config.program.timezone)
    start = local_day_bounds(_date_option("--from", date_from), tz)[0] if date_from else None
    end = local_day_bounds(_date_option("--to", date_to), tz)[1] if date_to else None
    if start and end and end <= start:
        raise UserError("--to is before --from")
    return start, end


def _date_option(option: str, text: str) -> date:
    try:
        return parse_date(text)
    except ValueError as e:
        raise UserError(f"{option}: {e}") from None


async def dispatch(args: argparse.Namespace, config: Config) -> int:
    if args.command == "run":
        from bot.shell.runner import run  # only the long-running process needs it

        return await run(config)
    if args.command == "db":
        await upgrade_db(config.storage_url)
        _out("database is up to date")
        return 0
    # a one-shot command's counts would never be scraped (only `rollcall run` serves
    # /metrics): none are kept, and prometheus_client is not loaded
    app = await open_app(config, telemetry=NULL_TELEMETRY)
    try:
        handler = HANDLERS[args.command]
        result: int = await handler(app, args)
        return result
    finally:
        await app.close()


async def cmd_session(app: App, args: argparse.Namespace) -> int:
    engine = app.engine
    tz = zone(app.config.program.timezone)
    action = args.session_command
    if action == "create":
        try:
            start = parse_instant(args.start, tz)
        except ValueError as e:
            raise UserError(f"--start: {e}") from None
        s = await engine.create_session(
            group_id=args.group,
            start=start,
            minutes=args.minutes,
            actor_id=CLI_ACTOR,
            makeup_for=args.makeup_for,
        )
        _out(f"created {s.group_id} session, {day_date_time(s.start, tz)}, {args.minutes} min")
        _out(s.id)
        return 0
    if action == "list":
        await engine.known_group(args.group)
        day_from, day_to = _day_range(app, args.date_from, args.date_to)
        found = await engine.list_sessions(
            group_id=args.group, start_from=day_from, start_to=day_to
        )
        for s in found:
            # tab-separated: id, group, start, minutes, state, makeup_for (may be empty)
            _out(
                f"{s.id}\t{s.group_id}\t{iso_local(s.start, tz)}\t{s.minutes} min\t"
                f"{s.state.value}\t{s.makeup_for or ''}".rstrip("\t")
            )
        if not found:
            print("no sessions", file=sys.stderr)
        return 0
    if action == "end":
        s = await engine.end_session(args.id, actor_id=CLI_ACTOR)
        _out(f"ended {s.id}")
        return 0
    s = await engine.cancel_session(args.id, actor_id=CLI_ACTOR)
    _out(f"cancelled {s.id}")
    return 0


async def cmd_report(app: App, args: argparse.Namespace) -> int:
    if args.format not in (*FORMATS, "billing"):
        raise UserError(f"--format must be one of {', '.join(FORMATS)}, billing")
    # the lean formats need only the report's desk: the engine is never loaded for them
    desk = app.reports if args.format in LEAN_FORMATS else app.engine.reports
    await desk.known_group(args.group)
    await desk.known_person(args.participant)
    start, end = _day_range(app, args.date_from, args.date_to)
    rows: Sized | Export
    text: Iterable[str] | AsyncIterable[str]  # the export, piece by piece: never held whole
    if args.format in LEAN_FORMATS:
        # streamed from the store into the writer: a year's export in one query
        text = rows = await desk.export(
            args.format,
            group_id=args.group,
            person_id=args.participant,
            start_from=start,
            start_to=end,
            day_from=_date_option("--from", args.date_from) if args.date_from else None,
            day_to=_date_option("--to", args.date_to) if args.date_to else None,
        )
    else:
        report_rows = rows = await app.engine.report_rows(
            group_id=args.group, person_id=args.participant, start_from=start, start_to=end
        )
        tz = zone(app.config.program.timezone)
        title = f"{app.config.program.name} — attendance"
        if args.format == "html":
            from adapters.web.report import render_html

            text = (render_html(report_rows, tz, title),)
        else:
            text = render_chunks(args.format, report_rows, tz, title=title)
    if args.out:
        # the file first: a path we cannot write is an error, not an audited export
        try:
            await write_file(args.out, text)
        except OSError as e:
            raise UserError(f"--out: cannot write {args.out}: {e.strerror or e}") from None
    else:
        whole = "".join([piece async for piece in batches(text)])
    count = rows.rows if isinstance(rows, Export) else len(rows)
    await desk.audit(
        actor_id=CLI_ACTOR,
        action="report.export",
        target=args.group or "all",
        detail={
            "format": args.format,
            "participant": args.participant,
            "from": args.date_from,
            "to": args.date_to,
            "rows": count,
        },
    )
    if args.out:
        print(f"wrote {count} rows to {args.out}", file=sys.stderr)
    else:
        _out(whole)
    return 0


async def cmd_weekly(app: App, args: argparse.Namespace) -> int:
    tz = zone(app.config.program.timezone)
    if args.week:
        try:
            monday = parse_iso_week(args.week)
        except ValueError as e:
            raise UserError(str(e)) from None
        week_start = local_day_bounds(monday, tz)[0]
        # standing "as of" the end of that week, unless the week is still running;
        # a week to come is shown as of its start (nothing attended, every session left)
        week_last = week_start + timedelta(days=7) - timedelta(seconds=1)
        at = max(week_start, min(app.clock.now(), week_last))
    else:
        at = app.clock.now()
    policy = app.config.program.policy
    week = at.astimezone(tz).isocalendar()
    _out(
        f"Week {week.year}-W{week.week:02d} (minimum {policy.weekly_min_hours:g} h, "
        f"{plural(policy.weekly_min_days, 'day')})"
    )
    week_from, week_to = week_bounds(at.astimezone(tz).date(), tz)
    reached: dict[str, int] = {}
    for o in await app.engine.outreach_log(at_from=week_from, at_to=week_to):
        reached[o.person_id] = reached.get(o.person_id, 0) + 1
    for pid, st in await app.engine.weekly_standings(at):
        verdict = (
            "met"
            if st.met
            else (
                f"needs {st.hours_needed:.1f} h / {plural(st.days_needed, 'day')}; "
                f"{st.sessions_left} left"
            )
        )
        # outreach logged this week (see `rollcall outreach`), when there was any
        extra = f"\toutreach {reached[pid]}" if pid in reached else ""
        _out(f"{pid}\t{st.hours:.1f} h\t{plural(st.days, 'day')}\t{verdict}{extra}")
    # the week's sessions that ended without a sign-off (PRODUCT.md, Session sign-off)
    monday = at.astimezone(tz).date() - timedelta(days=at.astimezone(tz).weekday())
    start = local_day_bounds(monday, tz)[0]
    unsigned = await app.engine.unsigned_sessions(start, start + timedelta(days=7))
    _out(f"Not signed off: {len(unsigned)}")
    for s in unsigned:
        _out(f"{s.id}\t{s.group_id}\t{iso_local(s.start, tz)}\tnot signed off")
    # the chain heads as of now: kept with the summary, outside the database, they let
    # `rollcall audit verify --head TOKEN` prove later that no row up to them was removed
    _out("Chain heads (for audit verify --head): " + " ".join(await app.engine.chain_heads()))
    return 0


async def cmd_enroll(app: App, args: argparse.Namespace) -> int:
    active = args.command == "enroll"
    changed = await app.engine.set_enrollment(
        person_id=args.participant, group_id=args.group, active=active, actor_id=CLI_ACTOR
    )
    verb = "enrolled in" if active else "unenrolled from"
    _out(f"{args.participant} {verb} {args.group}" + ("" if changed else " (no change)"))
    return 0


async def cmd_participant(app: App, args: argparse.Namespace) -> int:
    if args.participant_command == "export":
        data = await app.engine.export_person(args.participant, actor_id=CLI_ACTOR)
        _out(json.dumps(data, indent=2, ensure_ascii=False))
        return 0
    await app.engine.forget_person(args.participant, actor_id=CLI_ACTOR)
    _out(f"erased the personal data of {args.participant}; de-identified records kept")
    return 0


async def cmd_audit(app: App, args: argparse.Namespace) -> int:
    tz = zone(app.config.program.timezone)
    if args.audit_command == "log":
        since = None
        if args.since:
            try:
                since = local_day_bounds(parse_date(args.since), tz)[0]
            except ValueError as e:
                raise UserError(f"--since: {e}") from None
        after = 0
        while page := await app.engine.audit_page(after_seq=after, since=since):
            for a in page:
                detail = json.dumps(dict(a.detail), sort_keys=True) if a.detail else ""
                _out(
                    f"{a.seq}\t{iso_local(a.at, tz)}\t{terminal(a.actor_id)}\t{a.action}"
                    f"\t{terminal(a.target)}\t{detail}".rstrip()  # JSON: ASCII-escaped
                )
            after = page[-1].seq
        return 0
    if args.audit_command == "head":
        for token in await app.engine.chain_heads():
            _out(token)
        return 0
    try:
        points = [parse_checkpoint(token) for token in args.head]
    except ValueError as e:
        raise UserError(f"--head: {e}") from None
    problems, rows = await app.engine.verify_chains(points)
    for p in problems:
        print(f"TAMPERED: {p}", file=sys.stderr)
    if problems:
        return 1
    checked = f"; {len(points)} checkpoint(s) found" if points else ""
    _out(
        f"ok: ledger {rows['ledger']} rows, audit {rows['audit']} rows, hash chains "
        f"intact; stored records match their evidence{checked}"
    )
    return 0


HANDLERS = {
    "session": cmd_session,
    "report": cmd_report,
    "weekly": cmd_weekly,
    "enroll": cmd_enroll,
    "unenroll": cmd_enroll,
    "participant": cmd_participant,
    "audit": cmd_audit,
}


async def cmd_guest(app: App, args: argparse.Namespace) -> int:
    engine = app.engine
    if args.guest_command == "forget":
        erased = await engine.forget_guest(args.guest_key, actor_id=CLI_ACTOR)
        _out(f"forgot what {args.guest_key} was called ({erased} note(s) erased)")
        return 0

    groups = await engine.groups_named(args.group)
    tz = zone(app.config.program.timezone)
    if args.guest_command == "link":
        result = await engine.link_guest(
            guest_key=args.guest_key,
            person_id=args.person_id,
            groups=groups,
            actor_id=CLI_ACTOR,
            source="cli",
            request_id=f"{app.clock.now().isoformat()}",
        )
        verb = "linked" if result.changed else "already linked"
        _out(
            f"{verb} {args.guest_key} to {result.person_id} in {result.group.id}; "
            f"{len(result.sessions)} session(s) recomputed"
        )
        return 0
    shown = 0
    for g in groups:
        for guest in await engine.guests(g):
            linked = guest.linked_person_id or "-"
            # what a meeting platform called someone: shown escaped, never run by the terminal
            _out(
                f"{terminal(guest.guest_key)}\t{terminal(g.id)}\t"
                f"{iso_local(guest.first_seen, tz)}\t{terminal(linked)}\t{terminal(guest.label)}"
            )
            shown += 1
    await engine.audit(
        actor_id=CLI_ACTOR, action="guest.list", target=args.group or "all", detail={"rows": shown}
    )
    if not shown:
        print("no guests", file=sys.stderr)
    return 0


HANDLERS["guest"] = cmd_guest


async def cmd_outreach(app: App, args: argparse.Namespace) -> int:
    tz = zone(app.config.program.timezone)
    if args.outreach_command == "add":
        by = args.by or CLI_ACTOR
        if args.by is not None:
            who = await app.engine.person(args.by)
            if who is None or who.role.value == "participant":
                raise UserError(f"--by: {args.by} is not a facilitator or admin")
        entry = await app.engine.record_outreach(
            person_id=args.participant,
            how=args.how,
            outcome=args.outcome,
            note=args.note,
            resolves=args.resolves,
            actor_id=by,
            source="cli",
        )
        _out(f"logged outreach to {entry.person_id} ({entry.how}, {entry.outcome})")
        return 0
    await app.engine.known_group(args.group)
    await app.engine.known_person(args.participant)
    entries = await app.engine.outreach_log(
        person_id=args.participant, group_ids={args.group} if args.group else None
    )
    for e in entries:
        # tab-separated: when, participant, group, by, how, outcome, resolves, note
        note = (e.note or "").replace("\t", " ").replace("\n", " ")
        _out(
            f"{iso_local(e.at, tz)}\t{e.person_id}\t{e.group_id}\t{e.by or ''}\t{e.how}"
            f"\t{e.outcome}\t{'resolved' if e.resolves else ''}\t{note}".rstrip("\t")
        )
    await app.engine.audit(
        actor_id=CLI_ACTOR,
        action="outreach.list",
        target=args.participant or args.group or "all",
        detail={"rows": len(entries)},
    )
    if not entries:
        print("no outreach logged", file=sys.stderr)
    return 0


HANDLERS["outreach"] = cmd_outreach


async def _cmd_import(app: App, args: argparse.Namespace) -> int:
    from bot.shell.cli_import import cmd_import

    return await cmd_import(app, args)


HANDLERS["import"] = _cmd_import
