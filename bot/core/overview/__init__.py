"""Read models for the web dashboard (and the CLI's billing and outreach verbs): who
may see what, the risk board, today's sessions, a person's history, a group's matrix,
billing days and the outreach log — offered as public Engine methods (mixed in)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from bot.core.context import Services
from bot.core.domain import AttendanceRecord, BillingRules, Session
from bot.core.outreach_log import OutreachEntry, outreach_log, record_outreach
from bot.core.overview import views
from bot.core.overview.risk import RiskEntry, risk_board
from bot.core.overview.scope import Scope, scope_of, sees_person
from bot.core.reports.billing import BillingDay, billing_days
from bot.core.reports.collect import collect
from bot.core.reports.render import ReportRow, sort_rows
from bot.core.timeutil import week_bounds, zone


class Overview:
    """Mixed into Engine."""

    _services: Services

    async def report_rows_in(
        self,
        group_ids: Iterable[str] | None,
        *,
        person_id: str | None = None,
        start_from: datetime | None = None,
        start_to: datetime | None = None,
    ) -> list[ReportRow]:
        """The report's rows over several groups (None: every group), in report order,
        running sessions recomputed (the caller audits the export it makes)."""
        groups: list[str | None] = [None] if group_ids is None else [*sorted(set(group_ids))]
        rows: list[ReportRow] = []
        for gid in groups:
            rows += await collect(
                self._services.recorder,
                group_id=gid,
                person_id=person_id,
                start_from=start_from,
                start_to=start_to,
            )
        return rows if group_ids is None else sort_rows(rows)

    async def billing(
        self,
        *,
        group_ids: Iterable[str] | None = None,
        person_id: str | None = None,
        day_from: date | None = None,
        day_to: date | None = None,
    ) -> list[BillingDay]:
        """Billing days from `day_from` to `day_to` (inclusive, program time zone) in
        these groups (None: all); week totals always count the whole ISO weeks those
        days fall in."""
        program = self._services.program
        tz = zone(program.timezone)
        rows = await self.report_rows_in(
            group_ids,
            person_id=person_id,
            start_from=week_bounds(day_from, tz)[0] if day_from else None,
            start_to=week_bounds(day_to, tz)[1] if day_to else None,
        )
        return [
            d
            for d in billing_days(rows, tz, program.billing)
            if (day_from is None or d.date >= day_from) and (day_to is None or d.date <= day_to)
        ]

    @property
    def billing_rules(self) -> BillingRules:
        return self._services.program.billing

    async def scope(self, person_id: str) -> Scope | None:
        """What a dashboard viewer may see (None: nothing — participants, strangers)."""
        return await scope_of(self._services.store, person_id)

    async def sees_person(self, viewer: Scope, person_id: str) -> bool:
        return await sees_person(self._services.store, viewer, person_id)

    async def risk_board(self, group_ids: Iterable[str]) -> list[RiskEntry]:
        s = self._services
        return await risk_board(
            s.store, s.program.policy, s.program.timezone, group_ids, s.clock.now()
        )

    async def today(self, group_ids: Iterable[str]) -> views.Today:
        s = self._services
        return await views.today(s.store, s.program, group_ids, s.clock.now())

    async def history(self, person_id: str, group_ids: Iterable[str] | None) -> views.History:
        s = self._services
        return await views.history(s.store, s.program, person_id, group_ids, s.clock.now())

    async def matrix(self, group_id: str) -> views.Matrix:
        s = self._services
        return await views.matrix(s.store, s.program, group_id, s.clock.now())

    async def live_records(self, session_id: str) -> tuple[Session, list[AttendanceRecord]]:
        """A session and its records as they stand now (recomputed while it runs)."""
        s = self._services
        session = await s.sessions.get(session_id)
        if session.opens_at(s.program.policy) <= s.clock.now():
            records = await s.recorder.recompute(session)
            if records:
                return session, records
        return session, await s.store.records(session_id=session.id)

    async def display_names(self, person_ids: Iterable[str]) -> dict[str, str]:
        out = {}
        for pid in set(person_ids):
            p = await self._services.store.get_person(pid)
            out[pid] = p.display_name if p else pid
        return out

    async def record_outreach(
        self,
        *,
        person_id: str,
        how: str,
        outcome: str,
        actor_id: str,
        source: str,
        note: str | None = None,
        resolves: bool = False,
        within: Iterable[str] | None = None,
    ) -> OutreachEntry:
        return await record_outreach(
            self._services.store,
            person_id=person_id,
            how=how,
            outcome=outcome,
            actor_id=actor_id,
            at=self._services.clock.now(),
            source=source,
            note=note,
            resolves=resolves,
            within=within,
        )

    async def outreach_log(
        self,
        *,
        person_id: str | None = None,
        group_ids: set[str] | None = None,
        at_from: datetime | None = None,
        at_to: datetime | None = None,
    ) -> list[OutreachEntry]:
        return await outreach_log(
            self._services.store,
            person_id=person_id,
            group_ids=group_ids,
            at_from=at_from,
            at_to=at_to,
        )
