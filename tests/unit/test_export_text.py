"""The exports' CSV lines (bot.core.reports.export.CsvLines, billing.csv_lines) are byte for
byte what `csv.writer` writes of the same cells, whatever the text holds: commas, quotes,
line breaks, formula starts, empty and missing values (the fast path against the
general one)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from bot.core.domain import BillingRules, Flag, ReportLine, Status
from bot.core.escaping import csv_cell
from bot.core.reports import billing
from bot.core.reports.csvtext import quoted
from bot.core.reports.export import CsvLines
from bot.core.timeutil import iso_local

NY = ZoneInfo("America/New_York")
START = datetime(2026, 3, 7, 23, 0, 0, 250_000, tzinfo=UTC)  # the day before DST starts
ODD = ('p,"q"', "a\nb", "c\rd", "=1+2", "-3", "+p", "@x", " sp ", "", "ü✓\u2028", '"')


def _written(rows: Iterable[Iterable[object]]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    return buf.getvalue()


@given(st.text())
def test_quoted_is_the_writers_cell(text: str) -> None:
    assert f"{quoted(text)},x\n" == _written([(text, "x")])
    assert f"x,{quoted(text)},{quoted(text)}\n" == _written([("x", text, text)])


def test_quoted_odd_cells() -> None:
    for text in ODD:
        assert f"{quoted(text)},{quoted(text)}\n" == _written([(text, text)])


def _lines() -> list[ReportLine]:
    """Odd words everywhere; every other trio of lines shares one session (lines come
    session by session), one of its lines in a group of its own."""
    out = []
    for i, text in enumerate(ODD):
        start = START + timedelta(days=i // 3)
        seen = start + timedelta(minutes=i, microseconds=i) if i % 2 else None
        shared = (i // 3) % 2 == 0
        out.append(
            ReportLine(
                f"s{i // 3}" if shared else f"s{i // 3}{text}",
                ("g-shared" if i % 3 != 2 else f"g{text}")
                if shared
                else f"g{text}"
                if i % 3
                else text,
                start,
                start + timedelta(hours=3),
                text or "p",
                (Status.PRESENT, Status.LATE, Status.ABSENT)[i % 3].value,
                i * 17,
                i * 7,
                seen,
                seen and seen + timedelta(minutes=90),
                None if i % 4 else start - timedelta(seconds=i),
                tuple(f.value for f in tuple(Flag)[i % 3 : i % 5]) + ((text,) if i > 8 else ()),
                text if i % 2 else None,
                None if i % 3 else text,
                None,
            )
        )
    return out


def _cells(r: ReportLine) -> tuple[object, ...]:
    """The CSV export's cells of a line, written out plainly."""
    return (
        csv_cell(r.session_id),
        csv_cell(r.group_id),
        iso_local(r.session_start, NY),
        iso_local(r.session_end, NY),
        csv_cell(r.person_id),
        csv_cell(r.status),
        r.attended_minutes,
        r.camera_minutes,
        iso_local(r.first_seen, NY),
        iso_local(r.last_seen, NY),
        iso_local(r.checked_in_at, NY),
        csv_cell(";".join(r.flags)),
        csv_cell(r.verified_by or ""),
        csv_cell(r.makeup_for or ""),
    )


def test_csv_lines_are_the_writers_rows() -> None:
    lines = _lines()
    assert "".join(map(CsvLines(NY), lines)) == _written(map(_cells, lines))


def test_billing_csv_lines_are_to_csv() -> None:
    tally = billing.Tally(NY)
    tally.add(_lines())
    for rules in (BillingRules(), BillingRules(min_minutes_per_day=40, min_days_per_week=1)):
        days = tally.days(rules)
        assert len(days) > 3 and any(d.reasons for d in days)
        assert "".join(billing.csv_lines(tally.summaries(rules))) == billing.to_csv(days)
    assert "".join(billing.csv_lines(())) == billing.to_csv(())


def test_billing_days_by_participant_then_date() -> None:
    tally = billing.Tally(NY)
    lines = _lines()
    tally.add(reversed(lines))  # the order lines come in does not matter
    days = tally.days(BillingRules())
    attended = [r for r in lines if r.status != Status.ABSENT.value]
    want = {(r.person_id, r.session_start.astimezone(NY).date()) for r in attended}
    assert [(d.participant_id, d.date) for d in days] == sorted(want)
    assert all(isinstance(d.date, date) for d in days)
