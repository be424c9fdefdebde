"""The hash chains of the evidence ledger and the audit log.

Each row's hash is SHA-256 over the previous row's hash and a canonical JSON of
the row's content, so altering or removing any row breaks every hash after it.
Stores call `ledger_hash` / `audit_hash` when appending; `verify_chain` walks them.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.core.domain import AuditEntry, LedgerEntry

GENESIS = "0" * 64


def _ts(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def _digest(prev_hash: str, content: dict[str, object]) -> str:
    blob = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256((prev_hash + "\n" + blob).encode()).hexdigest()


def ledger_hash(prev_hash: str, entry: LedgerEntry, seq: int) -> str:
    return _digest(
        prev_hash,
        {
            "seq": seq,
            "key": entry.key,
            "kind": str(entry.kind),
            "group_id": entry.group_id,
            "session_id": entry.session_id,
            "person_id": entry.person_id,
            "guest_key": entry.guest_key,
            "actor_id": entry.actor_id,
            "source": entry.source,
            "at": _ts(entry.at),
            "recorded_at": _ts(entry.recorded_at),
            "data": dict(entry.data),
        },
    )


def audit_hash(prev_hash: str, entry: AuditEntry, seq: int) -> str:
    return _digest(
        prev_hash,
        {
            "seq": seq,
            "at": _ts(entry.at),
            "actor_id": entry.actor_id,
            "action": entry.action,
            "target": entry.target,
            "detail": dict(entry.detail),
        },
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class ChainProblem:
    chain: str  # "ledger" or "audit"
    seq: int
    reason: str


Row = LedgerEntry | AuditEntry


async def _pages(
    fetch: Callable[[int], Awaitable[Sequence[Row]]],
) -> AsyncIterator[Row]:
    after = 0
    while True:
        page = await fetch(after)
        if not page:
            return
        for row in page:
            yield row
        after = page[-1].seq


async def verify_chain(
    chain: str,
    fetch: Callable[[int], Awaitable[Sequence[Row]]],
    head: tuple[int, str],
) -> ChainProblem | None:
    """Walk a chain page by page; the first bad row, or None when it is intact.

    `fetch(after_seq)` returns the next page ordered by seq; `head` is the store's
    record of the last (seq, hash), read before the walk, so removing the newest rows
    is caught too, while rows appended during the walk (a running bot) are not
    mistaken for tampering: the walk stops at the head.
    """
    prev = GENESIS
    expected_seq = 1
    head_seq, head_hash = head
    async for row in _pages(fetch):
        if row.seq > head_seq and row.seq == expected_seq:
            break  # appended after the head was read
        if row.seq != expected_seq:
            return ChainProblem(
                chain=chain,
                seq=expected_seq,
                reason=f"row {expected_seq} is missing (next row is {row.seq})",
            )
        if row.prev_hash != prev:
            return ChainProblem(
                chain=chain, seq=row.seq, reason="its link to the previous row is broken"
            )
        if isinstance(row, LedgerEntry):
            want = ledger_hash(prev, row, row.seq)
        else:
            want = audit_hash(prev, row, row.seq)
        if row.hash != want:
            return ChainProblem(chain=chain, seq=row.seq, reason="its content was altered")
        prev = row.hash
        expected_seq += 1
    if expected_seq - 1 != head_seq or (head_seq and prev != head_hash):
        return ChainProblem(
            chain=chain,
            seq=expected_seq,
            reason=f"the chain ends at row {expected_seq - 1} but its head says {head_seq}",
        )
    return None
