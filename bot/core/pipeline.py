"""Cross-cutting rules for every command: who you are, where you are, whether you may.

Each middleware takes the request and `call_next`; handlers never repeat these checks.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from bot.core.actions import Action, Reply
from bot.core.context import NOT_ENROLLED, Access, CommandSpec, Context, Services
from bot.core.domain import AuditEntry, Group, Person, Role
from bot.core.errors import UserError
from bot.core.events import Actor
from bot.core.logging_policy import describe

log = logging.getLogger("rollcall.engine")

COMMANDS_TOTAL = "rollcall_commands_total"
SORRY = "Sorry — something went wrong on our side. Please try again in a moment."


@dataclass(kw_only=True)
class Request:
    services: Services
    spec: CommandSpec
    actor: Actor
    args: list[str]
    at: object
    request_id: str
    channel_id: str | None
    is_dm: bool
    extra: dict[str, str] = field(default_factory=dict)
    person: Person | None = None
    group: Group | None = None
    #: how it ended, for the operators' count: handled, denied, unknown_person, invalid, error
    outcome: str = "handled"


Next = Callable[[Request], Awaitable[list[Action]]]


class Middleware(Protocol):
    def __call__(self, req: Request, call_next: Next) -> Awaitable[list[Action]]: ...


async def _audit(req: Request, action: str, actor_id: str) -> None:
    await req.services.store.append_audit(
        AuditEntry(
            at=req.services.clock.now(),
            actor_id=actor_id,
            action=action,
            target=req.spec.name,
            detail={"platform": req.actor.platform},
        )
    )


async def _deny(req: Request) -> list[Action]:
    assert req.person is not None
    req.outcome = "denied"
    await _audit(req, "command.denied", req.person.id)
    return [Reply(text=req.spec.denied)]


async def count_outcome(req: Request, call_next: Next) -> list[Action]:
    """One count per command or button, by command, platform and outcome: here, once,
    for every platform."""
    try:
        return await call_next(req)
    finally:
        req.services.telemetry.count(
            COMMANDS_TOTAL, command=req.spec.name, platform=req.actor.platform, outcome=req.outcome
        )


async def guard_errors(req: Request, call_next: Next) -> list[Action]:
    """Bad input becomes a clear private message; nothing ever surfaces as a traceback."""
    try:
        return await call_next(req)
    except UserError as e:
        req.outcome = "invalid"
        return [Reply(text=str(e))]
    except PermissionError:
        return await _deny(req)
    except Exception as e:
        req.outcome = "error"
        log.error("command %s failed (request %s): %s", req.spec.name, req.request_id, describe(e))
        return [Reply(text=SORRY)]


async def identify(req: Request, call_next: Next) -> list[Action]:
    store = req.services.store
    if req.actor.platform in ("console", "cli", "web"):
        person = await store.get_person(req.actor.user_id)
    else:
        person = await store.find_person(platform=req.actor.platform, user_id=req.actor.user_id)
    if person is None or person.forgotten:
        req.outcome = "unknown_person"
        await _audit(req, "command.unknown_person", f"{req.actor.platform}:{req.actor.user_id}")
        return [Reply(text=NOT_ENROLLED)]
    req.person = person
    return await call_next(req)


async def locate_group(req: Request, call_next: Next) -> list[Action]:
    """The group whose channel the command came from (none in a DM)."""
    if req.channel_id and not req.is_dm:
        req.group = await req.services.store.find_group_by_channel(
            platform=req.actor.platform, channel_id=req.channel_id
        )
    return await call_next(req)


async def authorize(req: Request, call_next: Next) -> list[Action]:
    person, store = req.person, req.services.store
    assert person is not None
    if req.spec.access is Access.ENROLLED:
        if not await store.enrollments(person_id=person.id):
            req.outcome = "denied"
            await _audit(req, "command.denied", person.id)
            return [Reply(text=NOT_ENROLLED)]
    elif req.spec.access is Access.FACILITATOR and person.role is not Role.ADMIN:
        if req.group is not None:
            allowed = person.id in req.group.facilitators
        else:
            allowed = any(person.id in g.facilitators for g in await store.list_groups())
        if not allowed:
            return await _deny(req)
    return await call_next(req)


async def run_handler(req: Request) -> list[Action]:
    assert req.person is not None
    ctx = Context(
        services=req.services,
        actor=req.actor,
        person=req.person,
        command=req.spec.name,
        args=list(req.args),
        at=req.at,  # type: ignore[arg-type]
        request_id=req.request_id,
        channel_id=req.channel_id,
        is_dm=req.is_dm,
        group=req.group,
        extra=req.extra,
    )
    return await req.spec.handler(ctx)


def compose(chain: Sequence[Middleware], last: Next = run_handler) -> Next:
    """The chain as one callable, built once: each step's `call_next` is the rest."""
    nxt = last
    for middleware in reversed(chain):
        nxt = functools.partial(middleware, call_next=nxt)
    return nxt


DEFAULT_CHAIN: tuple[Middleware, ...] = (
    count_outcome,
    guard_errors,
    identify,
    locate_group,
    authorize,
)
dispatch: Next = compose(DEFAULT_CHAIN)
