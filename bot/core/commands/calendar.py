"""/calendar: a private link to the person's calendar feed, sent by DM."""

from __future__ import annotations

from bot.core.actions import Action, DirectMessage, Reply
from bot.core.context import Context
from bot.core.feed import feed_path, issue

SENT = "I've sent you a private calendar link by DM."


async def calendar(ctx: Context) -> list[Action]:
    token = await issue(
        ctx.store,
        ctx.person.id,
        at=ctx.services.clock.now(),
        actor_id=ctx.person.id,
        via=ctx.actor.platform,
    )
    link = ctx.services.public_url.rstrip("/") + feed_path(token)
    text = (
        f"Your private calendar link: {link}\n"
        'Add it to your calendar app as a subscription ("from URL") to see your '
        "upcoming sessions. Keep it to yourself; send /calendar again for a new link "
        "(the old one then stops working)."
    )
    return [
        Reply(text=SENT),
        DirectMessage(
            person_id=ctx.person.id, text=text, kind="notice", key=f"calendar:{ctx.request_id}"
        ),
    ]
