"""Who sees what on the dashboard: a facilitator their own groups and those groups'
participants; an admin the whole program; a participant nothing."""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.domain import Group, Person, Role
from bot.core.ports import Store


@dataclass(frozen=True, slots=True, kw_only=True)
class Scope:
    person: Person
    groups: tuple[Group, ...]

    @property
    def admin(self) -> bool:
        return self.person.role is Role.ADMIN

    @property
    def group_ids(self) -> frozenset[str]:
        return frozenset(g.id for g in self.groups)

    def sees_group(self, group_id: str) -> bool:
        return group_id in self.group_ids


async def scope_of(store: Store, person_id: str) -> Scope | None:
    """The viewer's scope; None for a participant or anyone unknown or forgotten."""
    person = await store.get_person(person_id)
    if person is None or person.forgotten or person.role is Role.PARTICIPANT:
        return None
    groups = await store.list_groups()
    if person.role is not Role.ADMIN:
        groups = [g for g in groups if person.id in g.facilitators]
    return Scope(person=person, groups=tuple(sorted(groups, key=lambda g: g.id)))


async def sees_person(store: Store, scope: Scope, person_id: str) -> bool:
    """An admin sees anyone; a facilitator those enrolled (now or before) in their groups."""
    if scope.admin:
        return await store.get_person(person_id) is not None
    enrolled = await store.enrollments(person_id=person_id, active_only=False)
    return any(scope.sees_group(e.group_id) for e in enrolled)
