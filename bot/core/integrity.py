"""Records that can't be edited quietly: stored attendance checked against the evidence,
and chain heads checkpointed outside the database.

`record_drift` recomputes the record of every person of every ended session from the
ledger (the same rules that stored it) and names each stored record that differs, or
is missing, or has no evidence behind it. The ledger itself is hash-chained
(bot.core.ledger), so an editor who changes a record must also forge its evidence,
which `audit verify` catches as a broken chain.

`head_token` is the chain head as one printable token (`ledger:SEQ:HASH`); written
down somewhere a database editor can't reach (a weekly summary, a backup's name, a
ticket), it lets `audit verify --head TOKEN` prove later that no row up to it was
removed or rewritten, even if the newest rows were deleted and the stored head rewound.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from bot.core.attendance.recorder import Recorder
from bot.core.domain import AttendanceRecord, AuditEntry, Flag, LedgerEntry, SessionState

#: operational context, not attested attendance: may change after the session ended
_VOLATILE_FLAGS = frozenset({Flag.DM_UNREACHABLE})


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordDrift:
    session_id: str
    person_id: str
    reason: str

    def __str__(self) -> str:
        return f"record {self.session_id}/{self.person_id}: {self.reason}"


def _attested(r: AttendanceRecord) -> dict[str, object]:
    """What a record attests (and a bill relies on)."""
    return {
        "status": r.status.value,
        "attended_minutes": r.attended_minutes,
        "camera_minutes": r.camera_minutes,
        "first_seen": r.first_seen,
        "last_seen": r.last_seen,
        "checked_in_at": r.checked_in_at,
        "flags": sorted(f.value for f in r.flags if f not in _VOLATILE_FLAGS),
        "verified_by": r.verified_by,
        "makeup_for": r.makeup_for,
        "participation": r.participation.value if r.participation else None,
    }


def _describe(r: AttendanceRecord | None) -> str:
    if r is None:
        return "nothing"
    return f"{r.status.value}, {r.attended_minutes} min"


async def record_drift(recorder: Recorder) -> list[RecordDrift]:
    """Every stored record of an ended session that the evidence does not give."""
    store = recorder.store
    out: list[RecordDrift] = []
    for session in await store.list_sessions(states=[SessionState.ENDED]):
        group = await store.get_group(session.group_id)
        if group is None:
            continue
        stored = {r.person_id: r for r in await store.records(session_id=session.id)}
        with_evidence = {
            e.person_id for e in await store.evidence(session_id=session.id) if e.person_id
        }
        for pid in sorted(set(stored) | with_evidence):
            want = await recorder.compute(session, group, pid)
            have = stored.get(pid)
            if have is None:
                out.append(
                    RecordDrift(
                        session_id=session.id,
                        person_id=pid,
                        reason=f"missing; the evidence gives {_describe(want)}",
                    )
                )
                continue
            a, b = _attested(have), _attested(want)
            if a != b:
                fields = ", ".join(k for k in a if a[k] != b[k])
                out.append(
                    RecordDrift(
                        session_id=session.id,
                        person_id=pid,
                        reason=(
                            f"stored {_describe(have)} but the evidence gives "
                            f"{_describe(want)} (differs in {fields})"
                        ),
                    )
                )
    return out


def head_token(chain: str, head: tuple[int, str]) -> str:
    return f"{chain}:{head[0]}:{head[1]}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Checkpoint:
    chain: str | None  # None: a bare hash, looked for in both chains
    seq: int | None
    hash: str


def parse_checkpoint(token: str) -> Checkpoint:
    """`ledger:SEQ:HASH`, `audit:SEQ:HASH` or a bare 64-hex HASH; ValueError otherwise."""
    parts = token.strip().split(":")
    if len(parts) == 1:
        chain, seq, digest = None, None, parts[0]
    elif len(parts) == 3 and parts[0] in ("ledger", "audit") and parts[1].isdigit():
        chain, seq, digest = parts[0], int(parts[1]), parts[2]
    else:
        raise ValueError(f"{token!r} is not a head (ledger:SEQ:HASH, as `audit head` prints)")
    digest = digest.lower()
    if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
        raise ValueError(f"{token!r} is not a head: the hash must be 64 hex digits")
    return Checkpoint(chain=chain, seq=seq, hash=digest)


Row = LedgerEntry | AuditEntry


async def find_checkpoint(
    fetch: Callable[[int], Awaitable[Sequence[Row]]], point: Checkpoint
) -> bool:
    """Whether the chain holds a row with the checkpoint's hash (at its seq, if given).

    Together with an intact chain (bot.core.ledger.verify_chain) this proves that
    every row up to the checkpoint is still there, unchanged."""
    after = 0
    while page := await fetch(after):
        for row in page:
            if row.hash == point.hash:
                return point.seq is None or row.seq == point.seq
        after = page[-1].seq
    return False
