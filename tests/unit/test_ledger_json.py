"""The ledger's fast canonical JSON (bot.core.ledger.ledger_json, a template filled in
value by value) is byte for byte the general encoder's (`json` with sort_keys over the
row's content dict), so rows hashed before and after it chain alike."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta, timezone
from enum import StrEnum
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.domain import EvidenceKind, LedgerEntry
from bot.core.ledger import GENESIS, Append, chain_append, ledger_content, ledger_hash, ledger_json

#: the encoder every stored hash was made with, spelled out anew here
GENERAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def general_json(entry: LedgerEntry, seq: int) -> str:
    return GENERAL.encode(ledger_content(entry, seq))


def general_hash(prev: str, entry: LedgerEntry, seq: int) -> str:
    return hashlib.sha256((prev + "\n" + general_json(entry, seq)).encode()).hexdigest()


class Shade(StrEnum):
    DARK = "dark"


T0 = datetime(2026, 5, 4, 22, 5, tzinfo=UTC)

texts = st.text(max_size=12) | st.sampled_from(
    ["ü ✓ \u2028", '"\\/\b\f\n\r\t', "\x00\x1f", "王", "\ud800", "a\udfffb"]
)
optional = st.none() | texts
scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | texts
)
data = st.dictionaries(
    texts,
    scalars | st.lists(scalars, max_size=3) | st.dictionaries(texts, scalars, max_size=3),
    max_size=5,
)
zones = st.sampled_from([UTC, timezone(timedelta(hours=-5)), timezone(timedelta(minutes=330))])
instants = st.builds(
    lambda offset, micro, tz: (T0 + timedelta(seconds=offset, microseconds=micro)).astimezone(tz),
    st.integers(min_value=-(10**9), max_value=10**9),
    st.sampled_from([0, 1, 137000, 999999]),
    zones,
)
entries = st.builds(
    LedgerEntry,
    key=texts,
    kind=st.sampled_from(list(EvidenceKind)),
    group_id=texts,
    at=instants,
    recorded_at=instants,
    source=texts,
    session_id=optional,
    person_id=optional,
    guest_key=optional,
    actor_id=optional,
    data=data,
)


@given(entries, st.integers(min_value=0, max_value=2**63))
@settings(max_examples=300)
def test_the_template_writes_what_the_general_encoder_writes(entry: LedgerEntry, seq: int) -> None:
    assert ledger_json(entry, seq) == general_json(entry, seq)
    assert ledger_hash(GENESIS, entry, seq) == general_hash(GENESIS, entry, seq)


def entry(**changes: Any) -> LedgerEntry:
    base: dict[str, Any] = {
        "key": "zoom:k1",
        "kind": EvidenceKind.PRESENCE,
        "group_id": "g-1",
        "at": T0 - timedelta(minutes=3, microseconds=5),
        "recorded_at": T0,
        "source": "zoom",
        "person_id": "p-1",
        "data": {"action": "join", "stream": "uuid-1", "reconciled": False, "n": 1.5},
    }
    return LedgerEntry(**{**base, **changes})


def outcome(encode: Any, e: LedgerEntry, seq: Any) -> str | type[Exception]:
    try:
        return str(encode(e, seq))
    except Exception as exc:  # the kind of refusal is what is compared
        return type(exc)


def test_values_of_other_types_than_declared_are_written_or_refused_as_before() -> None:
    odd = [
        entry(group_id=Shade.DARK),  # a str subclass
        entry(group_id=7),  # not a str at all
        entry(session_id=3.5),
        entry(data={"nested": {"b": [1, None, "x"], "a": True}, "z": -0.0}),
        entry(data={}),
        entry(at=T0.replace(tzinfo=timezone(timedelta(hours=9)))),
        entry(recorded_at=T0.replace(microsecond=0)),
        entry(at=None),
        entry(recorded_at="2026-05-04"),
        entry(data={"x": object()}),
        entry(data={1: "int key", "a": 2}),
    ]
    for e in odd:
        for seq in (12, True, 2**80):
            assert outcome(ledger_json, e, seq) == outcome(general_json, e, seq)
    assert outcome(general_json, entry(data={"x": object()}), 1) is TypeError


def test_a_batch_sharing_one_recorded_at_chains_as_entries_hashed_one_by_one() -> None:
    shared = T0 + timedelta(seconds=1)
    batch = [
        entry(key=f"k{i}", recorded_at=shared if i % 3 else T0, at=T0 + timedelta(seconds=i))
        for i in range(9)
    ]
    chained = chain_append((4, "f" * 64), [Append(batch)], set())
    prev = "f" * 64
    for seq, (link, e) in enumerate(zip(chained.links, batch, strict=True), start=5):
        assert (link.seq, link.prev_hash) == (seq, prev)
        assert link.hash == general_hash(prev, e, seq)
        prev = link.hash


class OddTime(datetime):
    """A datetime subclass whose ISO text needs escaping: the general encoder decides."""

    def isoformat(self, sep: str = "T", timespec: str = "auto") -> str:
        return 'quote " and ü'

    def astimezone(self, tz: Any = None) -> OddTime:
        return self


def test_none_and_subclassed_times_are_written_as_the_general_encoder_writes_them() -> None:
    from bot.core import ledger

    fresh = ledger._LastWhen()  # nothing remembered yet, as in a new process
    cases = [entry(recorded_at=None), entry(at=OddTime(2026, 5, 4, tzinfo=UTC))]
    saved = ledger._recorded_when
    ledger._recorded_when = fresh
    try:
        for e in cases:
            assert outcome(ledger_json, e, 3) == outcome(general_json, e, 3)
        assert '"recorded_at":null' in ledger_json(cases[0], 3)
    finally:
        ledger._recorded_when = saved
