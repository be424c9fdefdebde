"""/dashboard: a private answer and a DM with a one-time sign-in link to the web dashboard."""

from __future__ import annotations

from bot.core.actions import Action, DirectMessage, Reply
from bot.core.context import Context
from bot.core.errors import UserError

NOT_SET_UP = "The web dashboard isn't set up here — ask the program's operator."
SENT = "I've sent you a private sign-in link to the dashboard (it works once, for 10 minutes)."


async def dashboard(ctx: Context) -> list[Action]:
    signin = ctx.services.signin
    if signin is None:
        raise UserError(NOT_SET_UP)
    url = signin.link(ctx.person.id, ctx.services.clock.now())
    return [
        Reply(text=SENT),
        DirectMessage(
            person_id=ctx.person.id,
            text=(
                "Your sign-in link to the attendance dashboard. It works once, for 10 minutes; "
                f"don't share it: {url}"
            ),
            kind="notice",
            key=f"dashboard:{ctx.request_id}",
        ),
    ]
