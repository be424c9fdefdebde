"""Answering within a platform's deadline (Slack and Discord give 3 s to acknowledge):
start the engine's work, wait for it up to a deadline, and tell the caller whether
it finished in time. If not, the adapter acknowledges first ("Working on it…", a
deferred interaction) and answers when the work is done. Written once, for every
adapter with such a deadline."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from dataclasses import dataclass

from bot.core.actions import Action, Reply
from bot.core.logging_policy import describe
from bot.core.pipeline import SORRY

log = logging.getLogger("rollcall.engine")


async def safely(work: Awaitable[list[Action]], *, request_id: str) -> list[Action]:
    """The engine's answer, or a private "sorry" if it failed (logged without the
    exception's text, which may quote a row)."""
    try:
        return await work
    except Exception as e:
        log.error("request %s failed: %s", request_id, describe(e))
        return [Reply(text=SORRY)]


@dataclass(frozen=True, slots=True)
class Race:
    task: asyncio.Future[list[Action]]
    on_time: bool

    async def answer(self) -> list[Action]:
        return await self.task


async def within(seconds: float, work: Awaitable[list[Action]], *, request_id: str) -> Race:
    """Start `work` (made safe: it never raises) and wait for it up to `seconds`."""
    task = asyncio.ensure_future(safely(work, request_id=request_id))
    done, _ = await asyncio.wait({task}, timeout=seconds)
    return Race(task=task, on_time=bool(done))
