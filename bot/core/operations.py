"""What an operator does outside chat (the `rollcall` CLI, the console's `start`),
offered as public Engine methods: sessions, reports, enrollment, privacy, guests,
the audit trail. Every view, export or change of personal data writes an audit row
(here or in the function it calls)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from bot.core.attendance.guests import LinkResult, guests_of, link_guest
from bot.core.attendance.imported import ImportResult, import_report
from bot.core.attendance.weekly import WeekStanding, standing
from bot.core.context import Services
from bot.core.domain import AuditEntry, Group, Guest, JSONScalar, Session
from bot.core.enrollment import set_enrollment
from bot.core.errors import UserError
from bot.core.events import PlatformReport
from bot.core.feed import CalendarFeed, owner_of, revoke, upcoming
from bot.core.integrity import Checkpoint, Row, find_checkpoint, head_token, record_drift
from bot.core.ledger import verify_chain
from bot.core.privacy import export_person, forget_guest, forget_person
from bot.core.reports.collect import collect
from bot.core.reports.desk import ReportDesk
from bot.core.reports.render import ReportRow


class Operations:
    """Mixed into Engine."""

    _services: Services

    # -- sessions ------------------------------------------------------------------
    async def create_session(
        self,
        *,
        group_id: str,
        start: datetime,
        minutes: int,
        actor_id: str,
        makeup_for: str | None = None,
    ) -> Session:
        return await self._services.sessions.create(
            group_id=group_id,
            start=start,
            minutes=minutes,
            actor_id=actor_id,
            makeup_for=makeup_for,
        )

    async def end_session(self, session_id: str, *, actor_id: str) -> Session:
        return await self._services.sessions.end(session_id, actor_id=actor_id)

    async def cancel_session(self, session_id: str, *, actor_id: str) -> Session:
        return await self._services.sessions.cancel(session_id, actor_id=actor_id)

    async def import_report(
        self, session_id: str, report: PlatformReport, *, actor_id: str
    ) -> ImportResult:
        """A meeting platform's participant report as imported presence (see
        bot.core.attendance.imported); UserError, nothing written, when it cannot apply."""
        session = await self._services.sessions.get(session_id)
        return await import_report(self._services.recorder, session, report, actor_id=actor_id)

    async def known_group(self, group_id: str | None) -> None:
        """UserError unless `group_id` is None or a configured group."""
        await self.reports.known_group(group_id)

    async def known_person(self, person_id: str | None) -> None:
        """UserError unless `person_id` is None or a configured person."""
        await self.reports.known_person(person_id)

    @property
    def reports(self) -> ReportDesk:
        """The report desk: known ids, the lean CSV, FHIR and billing exports
        (`reports.export`), audit rows (bot.core.reports.desk)."""
        return ReportDesk(self._services.recorder)

    # -- reports and the audit trail -------------------------------------------------
    async def report_rows(
        self,
        *,
        group_id: str | None = None,
        person_id: str | None = None,
        start_from: datetime | None = None,
        start_to: datetime | None = None,
    ) -> list[ReportRow]:
        """The rows of an attendance report (the caller audits the export it makes)."""
        await self.known_group(group_id)
        await self.known_person(person_id)
        return await collect(
            self._services.recorder,
            group_id=group_id,
            person_id=person_id,
            start_from=start_from,
            start_to=start_to,
        )

    async def audit(
        self,
        *,
        actor_id: str,
        action: str,
        target: str = "",
        detail: Mapping[str, JSONScalar] | None = None,
    ) -> None:
        """An audit row for what a surface showed, exported or changed (ids only)."""
        await self.reports.audit(actor_id=actor_id, action=action, target=target, detail=detail)

    async def audit_page(
        self, *, after_seq: int, since: datetime | None = None
    ) -> list[AuditEntry]:
        return list(await self._services.store.audit_page(after_seq=after_seq, since=since))

    async def chain_heads(self) -> list[str]:
        """`ledger:SEQ:HASH` and `audit:SEQ:HASH`: checkpoints to keep where the database
        can't reach, for `verify_chains(checkpoints=...)` later."""
        store = self._services.store
        return [head_token(c, await store.chain_head(c)) for c in ("ledger", "audit")]

    async def verify_chains(
        self, checkpoints: Sequence[Checkpoint] = ()
    ) -> tuple[list[str], dict[str, int]]:
        """Walk the ledger's and the audit trail's hash chains, look for each checkpoint in
        them, and (when the ledger is intact) recompute stored records of ended sessions
        from their evidence: the problems found, and the number of rows of each chain."""
        store = self._services.store
        heads = {c: await store.chain_head(c) for c in ("ledger", "audit")}

        async def ledger_rows(after: int) -> Sequence[Row]:
            return await store.ledger_page(after_seq=after)

        async def audit_rows(after: int) -> Sequence[Row]:
            return await store.audit_page(after_seq=after)

        fetchers: dict[str, Callable[[int], Awaitable[Sequence[Row]]]] = {
            "ledger": ledger_rows,
            "audit": audit_rows,
        }
        problems: list[str] = []
        for chain, fetch in fetchers.items():
            problem = await verify_chain(chain, fetch, heads[chain])
            if problem is not None:
                problems.append(f"{problem.chain} row {problem.seq}: {problem.reason}")
        for point in checkpoints:
            chains = [point.chain] if point.chain else list(fetchers)
            found = [c for c in chains if await find_checkpoint(fetchers[c], point)]
            if not found:
                where = point.chain or "either chain"
                problems.append(
                    f"head {point.hash[:12]}… is not in {where}: rows up to it were removed "
                    "or rewritten (or the head is from another database)"
                )
        if not any(p.startswith("ledger ") for p in problems):
            # records are checked against the evidence only when the evidence is intact
            problems += [str(d) for d in await record_drift(self._services.recorder)]
        return problems, {c: heads[c][0] for c in heads}

    # -- people --------------------------------------------------------------------
    async def weekly_standings(self, at: datetime) -> list[tuple[str, WeekStanding]]:
        """Every enrolled person's standing in the week of `at`, by person id."""
        store, program = self._services.store, self._services.program
        people = sorted({e.person_id for e in await store.enrollments()})
        return [(pid, await standing(store, program, pid, at)) for pid in people]

    async def set_enrollment(
        self, *, person_id: str, group_id: str, active: bool, actor_id: str
    ) -> bool:
        """Enroll or unenroll; False when nothing changed."""
        store = self._services.store
        person = await store.get_person(person_id)
        if person is None or person.forgotten:
            raise UserError(f"unknown participant: {person_id}")
        if await store.get_group(group_id) is None:
            raise UserError(f"unknown group: {group_id}")
        return await set_enrollment(
            store, actor_id, person.id, group_id, active=active, at=self._services.clock.now()
        )

    async def export_person(self, person_id: str, *, actor_id: str) -> dict[str, Any]:
        return await export_person(
            self._services.store, person_id, self._services.clock.now(), actor_id
        )

    async def forget_person(self, person_id: str, *, actor_id: str) -> None:
        await forget_person(self._services.store, person_id, self._services.clock.now(), actor_id)

    # -- guests --------------------------------------------------------------------
    async def groups_named(self, group_id: str | None) -> list[Group]:
        """Every group, or the one named (UserError if unknown)."""
        groups = await self._services.store.list_groups()
        if group_id:
            groups = [g for g in groups if g.id == group_id]
            if not groups:
                raise UserError(f"unknown group: {group_id}")
        return groups

    async def guests(self, group: Group) -> list[Guest]:
        """A group's guests (the caller audits the listing it shows)."""
        return await guests_of(self._services.store, group.id)

    async def link_guest(
        self,
        *,
        guest_key: str,
        person_id: str,
        groups: Iterable[Group],
        actor_id: str,
        source: str,
        request_id: str,
    ) -> LinkResult:
        return await link_guest(
            self._services.recorder,
            guest_key=guest_key,
            person_id=person_id,
            groups=groups,
            actor_id=actor_id,
            source=source,
            request_id=request_id,
        )

    async def forget_guest(self, guest_key: str, *, actor_id: str) -> int:
        return await forget_guest(
            self._services.store, guest_key, self._services.clock.now(), actor_id
        )

    # -- the calendar feed -----------------------------------------------------------
    async def calendar_feed(self, token: str) -> CalendarFeed | None:
        """The upcoming sessions of the person whose live link `token` is; None for an
        unknown, forged or revoked token."""
        store = self._services.store
        person_id = await owner_of(store, token)
        if person_id is None:
            return None
        now = self._services.clock.now()
        return await upcoming(store, person_id, now, self._services.program.timezone)

    async def revoke_calendar(self, person_id: str, *, actor_id: str) -> bool:
        """The person's calendar link stops working (audited); True if they had one."""
        await self.known_person(person_id)
        now = self._services.clock.now()
        return await revoke(self._services.store, person_id, at=now, actor_id=actor_id)
