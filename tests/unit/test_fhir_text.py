"""The FHIR export's templates (bot.core.reports.fhir_text) write, piece for piece, the
text of the dict-by-dict bundle (bot.core.reports.fhir.bundle_chunks), whatever the
lines hold: every status (and one rollcall does not know), flags, participation, ids
that are no FHIR id, quotes, backslashes and non-ASCII characters, missing times."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from fhir.resources.R4B.bundle import Bundle
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.attendance.signoff import SignOff
from bot.core.domain import Flag, Participation, ReportLine, Status
from bot.core.reports import fhir, fhir_text
from bot.core.reports.memo import SIZE

NY = ZoneInfo("America/New_York")
START = datetime(2026, 3, 7, 23, 0, 0, 250_000, tzinfo=UTC)  # the day before DST starts
END = START + timedelta(hours=3)
ODD = 'p "q" \\ ü✓ \u2028 <b>'


def _line(sid: str, pid: str, status: str, **kw: object) -> ReportLine:
    fields: dict[str, object] = {
        "session_id": sid,
        "group_id": "g" if sid == "s-1" else 'g "ü"',
        "session_start": START,
        "session_end": END,
        "person_id": pid,
        "status": status,
        "attended_minutes": 0,
        "camera_minutes": 0,
        "first_seen": None,
        "last_seen": None,
        "checked_in_at": None,
        "flags": (),
        "verified_by": None,
        "makeup_for": None,
        "participation": None,
    }
    fields.update(kw)
    return ReportLine(**fields)  # type: ignore[arg-type]


LINES = [
    _line(
        "s-1",
        "p-1",
        Status.PRESENT,
        attended_minutes=170,
        camera_minutes=150,
        first_seen=START - timedelta(minutes=3),
        last_seen=END + timedelta(minutes=1),
        checked_in_at=START - timedelta(minutes=5),
        participation=Participation.HIGH,
    ),
    _line(
        "s-1",
        ODD,
        Status.LATE,
        attended_minutes=150,
        checked_in_at=START + timedelta(minutes=20, seconds=30),
        last_seen=END - timedelta(minutes=5),
        flags=(Flag.LATE_NOTICE, Flag.SEEN_NOT_CHECKED_IN),
        verified_by="f 1",
    ),
    _line(
        "s-1",
        "p-3",
        Status.PARTIAL,
        attended_minutes=170,  # attested, no presence: the session's window
        flags=(Flag.ATTESTED_MINUTES, Flag.AMENDED),
        verified_by="f-1",
        participation="",
    ),
    _line("s-1", "p-4", Status.ABSENT, flags=(Flag.DM_UNREACHABLE,), verified_by=""),
    _line("s-1", "p-5", Status.EXCUSED, verified_by=ODD, participation=Participation.LOW),
    _line("s-1", "p-6", Status.UNVERIFIED, camera_minutes=12),
    _line("s-2 /ü:x", "p-1", Status.MADE_UP, makeup_for="s-1", flags=(Flag.OVERRIDE,)),
    _line("s-2 /ü:x", "p-7", "a status of tomorrow", attended_minutes=5, flags=("nouveau ✓",)),
    _line("s-1", "p-8", Status.PRESENT, attended_minutes=0),  # back to s-1: not in order
]
SIGNED = {
    "s-1": SignOff(session_id="s-1", by="f-1", at=END + timedelta(minutes=9), seq=4, attested={}),
    "s-2 /ü:x": SignOff(session_id="s-2 /ü:x", by=ODD, at=END, seq=9, attested={}),
}


def test_the_templates_write_the_bundle_of_dicts_piece_for_piece() -> None:
    for signed in (SIGNED, {}):
        for lines in (LINES, LINES[:1], []):
            want = list(fhir.bundle_chunks(lines, signed, NY))
            got = list(fhir_text.fhir_chunks(lines, signed, NY))
            assert got == want
            bundle = json.loads("".join(got))
            assert len(bundle["entry"]) == len(lines) + len(
                {r.session_id for r in lines} & set(signed)
            )


def test_every_kind_of_line_reaches_the_bundle_and_it_validates() -> None:
    text = "".join(fhir_text.fhir_chunks(LINES, SIGNED, NY))
    Bundle.model_validate_json(text)
    resources = [e["resource"] for e in json.loads(text)["entry"]]
    encounters = [r for r in resources if r["resourceType"] == "Encounter"]
    assert [r["extension"][0]["valueCode"] for r in encounters] == [r.status for r in LINES]
    odd = encounters[1]
    assert odd["subject"] == {
        "type": "Patient",
        "identifier": {"system": "urn:rollcall:person", "value": ODD},
    }
    assert odd["period"] == {
        "start": "2026-03-07T18:20:30-05:00",
        "end": "2026-03-07T20:55:00-05:00",
    }
    assert encounters[6]["identifier"][1]["value"] == 'g "ü"'
    assert "length" not in encounters[3] and encounters[0]["length"]["value"] == 170
    assert [r["resourceType"] for r in resources[-2:]] == ["Provenance", "Provenance"]
    assert '"p-1"' not in text and "\\u00fc" in text  # ids only in references, ASCII out


def test_more_distinct_values_than_the_memo_holds() -> None:
    lines = [
        _line(f"s-{i // 3}", f"p-{i}", Status.PRESENT, attended_minutes=i % 180, camera_minutes=i)
        for i in range(SIZE + 500)
    ]
    want = list(fhir.bundle_chunks(lines, {}, NY))
    assert list(fhir_text.fhir_chunks(lines, {}, NY)) == want


def test_ids_are_uuid5_of_the_records_key() -> None:
    for key in (("s-1", "p-1"), ('s "2"/ü:x', ODD), ("", "")):
        name = "\x1f".join(("encounter", *key))
        assert fhir.fhir_uuid("encounter", *key) == str(uuid.uuid5(fhir.FHIR_NAMESPACE, name))
    assert fhir.encounter_ids(LINES) == [
        fhir.fhir_uuid("encounter", r.session_id, r.person_id) for r in LINES
    ]


_MINUTE = timedelta(minutes=1)
#: times around the session's window: before, at, inside, at its end, after (and none)
_TIMES = st.one_of(
    st.none(),
    st.sampled_from([START - 9 * _MINUTE, START, START + 7 * _MINUTE, END, END + _MINUTE]),
    st.integers(-60, 240).map(lambda m: START + timedelta(minutes=m, seconds=m % 7)),
)
_LINES = st.lists(
    st.builds(
        _line,
        st.sampled_from(["s-1", "s-1", "s-2 /ü:x"]),
        st.sampled_from(["p-1", ODD, "p 2", ""]),
        st.sampled_from([*(s.value for s in Status), "a status of tomorrow"]),
        # around the threshold of a period shorter than the minutes (180 min sessions)
        attended_minutes=st.sampled_from([0, 1, 7, 8, 170, 180, 181, 240]),
        camera_minutes=st.integers(0, 200),
        first_seen=_TIMES,
        last_seen=_TIMES,
        checked_in_at=_TIMES,
        flags=st.lists(st.sampled_from([*(f.value for f in Flag), "nouveau ✓"]), max_size=3).map(
            tuple
        ),
        verified_by=st.sampled_from([None, "", "f-1", ODD]),
        participation=st.sampled_from([None, "", *(p.value for p in Participation)]),
    ),
    max_size=12,
)


@settings(max_examples=300, deadline=None)
@given(_LINES, st.booleans())
def test_any_lines_templates_equal_the_dicts(lines: list[ReportLine], sign: bool) -> None:
    """The templates' inlined span, ids and bundle id (the fast path) against the
    readable, dict-by-dict bundle (the general one), over arbitrary lines."""
    signed = SIGNED if sign else {}
    assert list(fhir_text.fhir_chunks(lines, signed, NY)) == list(
        fhir.bundle_chunks(lines, signed, NY)
    )
    assert fhir.encounter_ids(lines) == [
        str(uuid.uuid5(fhir.FHIR_NAMESPACE, f"encounter\x1f{r.session_id}\x1f{r.person_id}"))
        for r in lines
    ]
