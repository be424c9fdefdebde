"""The one escaping rule per output (bot.core.escaping), by example and by property."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.domain import AttendanceRecord, Session, Status
from bot.core.escaping import chat, csv_cell, html, terminal
from bot.core.reports.render import ReportRow, to_csv


def test_terminal_shows_control_characters_escaped() -> None:
    assert terminal("Robin") == "Robin"
    assert terminal("\x1b[2JRobin\x07") == "\\x1b[2JRobin\\x07"
    assert terminal("a\u202eb\x9bc\x7f") == "a\\u202eb\\x9bc\\x7f"
    assert terminal("tab\there\nnew") == "tab\\x09here\\x0anew"
    assert terminal("back\\x1b") == "back\\\\x1b"  # an escape can't be forged either
    assert terminal("Zoë 王") == "Zoë 王"


@given(st.text())
@settings(max_examples=200)
def test_terminal_output_is_always_printable(text: str) -> None:
    out = terminal(text)
    assert not any(0x00 <= ord(c) <= 0x1F or 0x7F <= ord(c) <= 0x9F for c in out)
    assert not any(c in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069" for c in out)


def test_csv_cells_that_would_be_formulas_are_neutralised() -> None:
    for bad in ("=1+1", "+SUM(A1)", "-2+3", "@cmd", "\tx", "\rx", '=HYPERLINK("x")'):
        assert csv_cell(bad) == "'" + bad
    for fine in ("p-001", "present", "-5", "12", "-1.5", "", "2026-01-01T18:00:00-05:00"):
        assert csv_cell(fine) == fine


def test_the_report_csv_neutralises_every_cell() -> None:
    t0 = datetime(2026, 1, 5, 18, tzinfo=UTC)
    row = ReportRow(
        session=Session(id="s-1", group_id="=cmd|' /C calc'!A0", start=t0, end=t0 + timedelta(1)),
        record=AttendanceRecord(
            session_id="s-1",
            group_id="g",
            person_id="@SUM(1+1)",
            status=Status.PRESENT,
            verified_by="+1",
        ),
    )
    (cells,) = list(csv.DictReader(io.StringIO(to_csv([row], UTC))))
    assert cells["group_id"] == "'=cmd|' /C calc'!A0"
    assert cells["participant_id"] == "'@SUM(1+1)"
    assert cells["verified_by"] == "+1"  # a number stays a number


def test_html_escapes_markup_and_quotes() -> None:
    assert html("<script>\"x\"&'y'") == "&lt;script&gt;&quot;x&quot;&amp;&#x27;y&#x27;"


def test_chat_text_can_neither_mention_nor_link() -> None:
    for hostile in ("@channel", "@here", "@everyone", "<!channel>", "<@U123>", "<@&42>"):
        out = chat(hostile)
        assert "<@" not in out and "<!" not in out
        assert "@channel" not in out and "@here" not in out and "@everyone" not in out
    assert "<http" not in chat("<https://evil.example|click>")
    assert "](" not in chat("[click](https://evil.example)")
    assert chat("Robin\x1b[2J") == "Robin[2J"
    assert chat("a\u202eb") == "ab"
    assert chat("Zoë") == "Zoë"
