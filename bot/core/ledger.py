"""The hash chains of the evidence ledger and the audit log.

Each row's hash is SHA-256 over the previous row's hash and a canonical JSON of
the row's content, so altering or removing any row breaks every hash after it.

The append itself is written once, here: `chain_append` (the evidence ledger: seq,
links and hashes for a batch of requests, replays and units skipped) and `audit_link`
(one audit row). Every store — memory, SQL, the SQLite writer thread — calls them
and only writes down what they decide, so all of them chain byte for byte alike.
`verify_chain` walks a stored chain.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import NamedTuple

from bot.core.domain import AuditEntry, LedgerEntry

GENESIS = "0" * 64


def _ts(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).isoformat(timespec="microseconds")


#: the canonical JSON of a row's content (one encoder: `json.dumps` with options builds
#: a new one per call)
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=True)
#: a string as `_CANONICAL` writes it (the C function its own encoder calls)
_string = json.encoder.encode_basestring_ascii


def one_shot(encoder: json.JSONEncoder) -> Callable[[object], str]:
    """`encoder.encode` for a dict or a list, with the C encoder it builds on every call
    built once, with the same options (`encoder.encode` itself without the C
    accelerator). It keeps no state between calls, so threads may share it: without the
    cycle check (markers=None) a value that contains itself recurses until Python stops
    it (RecursionError) instead of the ValueError `encoder.encode` raises."""
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None or encoder.indent is not None:
        return encoder.encode
    strings = json.encoder.encode_basestring_ascii if encoder.ensure_ascii else None
    if strings is None:
        return encoder.encode
    c_encode: Callable[[object, int], Sequence[str]] = make(
        None,
        encoder.default,
        strings,
        encoder.indent,
        encoder.key_separator,
        encoder.item_separator,
        encoder.sort_keys,
        encoder.skipkeys,
        encoder.allow_nan,
    )

    def encode(value: object) -> str:
        return "".join(c_encode(value, 0))

    return encode


#: `_CANONICAL.encode` for a row's data (a dict)
_canonical = one_shot(_CANONICAL)


def _digest(prev_hash: str, content: dict[str, object]) -> str:
    return _sha256(prev_hash, _CANONICAL.encode(content))


def _sha256(prev_hash: str, blob: str) -> str:
    return hashlib.sha256((prev_hash + "\n" + blob).encode()).hexdigest()


def ledger_content(entry: LedgerEntry, seq: int) -> dict[str, object]:
    """What a ledger row's hash covers (written as `_CANONICAL` writes it)."""
    return {
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
    }


#: `ledger_content`'s canonical JSON, its keys already in sorted order: each value is
#: filled in as `_CANONICAL` writes it (tests/unit/test_ledger_json.py)
_LEDGER_JSON = (
    '{"actor_id":%s,"at":%s,"data":%s,"group_id":%s,"guest_key":%s,"key":%s,"kind":%s,'
    '"person_id":%s,"recorded_at":%s,"seq":%d,"session_id":%s,"source":%s}'
)


def _text(value: str | None) -> str:
    return "null" if value is None else _string(value)


def _when(value: datetime) -> str:
    # a datetime's ISO text is plain ASCII: nothing in it to escape. Anything else (None,
    # a subclass with its own isoformat) goes to the general encoder (ledger_json)
    if type(value) is not datetime:
        raise TypeError("not a datetime")
    return '"' + value.astimezone(UTC).isoformat(timespec="microseconds") + '"'


#: the memo's "nothing yet": no value given is ever this one
_UNSET = object()


class _LastWhen:
    """`_when` of the value given last time again, without formatting it again: a
    batch's entries share one `recorded_at`. One (value, text) pair, replaced whole, so
    threads that share it never see half of one."""

    __slots__ = ("_last",)

    def __init__(self) -> None:
        self._last: tuple[object, str] = (_UNSET, "")

    def __call__(self, value: datetime) -> str:
        last, text = self._last
        if last is value:
            return text
        text = _when(value)
        self._last = (value, text)
        return text


_recorded_when = _LastWhen()


def ledger_json(entry: LedgerEntry, seq: int) -> str:
    """`_CANONICAL.encode(ledger_content(entry, seq))`, byte for byte, without building
    and sorting a dict for every row (the ledger's hot path)."""
    if type(seq) is int:
        try:
            return _LEDGER_JSON % (
                _text(entry.actor_id),
                _when(entry.at),
                _canonical(dict(entry.data)),
                _text(entry.group_id),
                _text(entry.guest_key),
                _text(entry.key),
                _text(str(entry.kind)),
                _text(entry.person_id),
                _recorded_when(entry.recorded_at),
                seq,
                _text(entry.session_id),
                _text(entry.source),
            )
        except (TypeError, AttributeError, ValueError, RecursionError):
            pass  # a value of another type than declared: the general encoder decides
    return _CANONICAL.encode(ledger_content(entry, seq))


def ledger_hash(prev_hash: str, entry: LedgerEntry, seq: int) -> str:
    return _sha256(prev_hash, ledger_json(entry, seq))


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


Head = tuple[int, str]  # (seq, hash) of a chain's newest row; (0, GENESIS) when empty


@dataclass(frozen=True, slots=True)
class Append:
    """One caller's entries in a batch of appends (see `Ledger.append_evidence`)."""

    entries: Sequence[LedgerEntry]
    #: free text parallel to `entries`, kept apart from the chain (erasable)
    notes: Sequence[str | None] | None = None
    #: all or nothing, keyed by the first entry
    unit: bool = False

    def __post_init__(self) -> None:
        if self.notes is not None and len(self.notes) != len(self.entries):
            raise ValueError(f"{len(self.notes)} notes given for {len(self.entries)} entries")

    def skipped(self, seen: set[str]) -> bool:
        """A unit whose first key is already stored (or earlier in this batch)."""
        return self.unit and bool(self.entries) and self.entries[0].key in seen


class Link(NamedTuple):
    """An entry accepted into the chain: where it goes and what it hashes to."""

    entry: LedgerEntry  # as given (its own seq/prev_hash/hash are not read)
    seq: int
    prev_hash: str
    hash: str
    note: str | None  # its non-empty note, if any


@dataclass(frozen=True, slots=True, kw_only=True)
class Appended:
    links: list[Link]  # in chain order
    accepted: list[list[bool]]  # per request, per entry: stored (True) or a replay
    head: Head  # the chain's head after the links


def chain_append(head: Head, batch: Sequence[Append], seen: set[str]) -> Appended:
    """The ledger's chain append: decides which entries of `batch` are stored, and
    their seq, prev_hash and hash after `head`.

    `seen` holds the keys already stored (a store may pass just those among the
    batch's keys); an entry whose key is in it, or earlier in the batch, is a replay
    and skipped, and a unit whose first key is seen is skipped whole. The keys of the
    accepted entries are added to `seen`. Pure: the caller writes the links and the
    new head in one transaction (or drops them all when that fails).
    """
    seq, prev = head
    links: list[Link] = []
    accepted: list[list[bool]] = []
    for request in batch:
        flags = [False] * len(request.entries)
        accepted.append(flags)
        if request.skipped(seen):
            continue
        notes = request.notes
        for i, entry in enumerate(request.entries):
            if entry.key in seen:
                continue  # a replay, or a repeat within this batch
            seen.add(entry.key)
            seq += 1
            digest = ledger_hash(prev, entry, seq)
            note = notes[i] if notes is not None else None
            links.append(Link(entry, seq, prev, digest, note or None))
            prev = digest
            flags[i] = True
    return Appended(links=links, accepted=accepted, head=(seq, prev))


class AuditLink(NamedTuple):
    seq: int
    prev_hash: str
    hash: str


def audit_link(head: Head, entry: AuditEntry) -> AuditLink:
    """Where one audit row goes after `head`, and its hash (the new head is
    `(link.seq, link.hash)`)."""
    seq, prev = head[0] + 1, head[1]
    return AuditLink(seq, prev, audit_hash(prev, entry, seq))


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
    head: Head,
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
