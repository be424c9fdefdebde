"""The chat commands, registered explicitly."""

from __future__ import annotations

from bot.core.actions import Action
from bot.core.attendance.makeup import makeup_command
from bot.core.attendance.surveys import survey_command
from bot.core.commands.absent import absent
from bot.core.commands.attendance import attendance
from bot.core.commands.checkin import checkin, checkout
from bot.core.commands.dashboard import dashboard
from bot.core.commands.enroll import enroll, unenroll
from bot.core.commands.link import link
from bot.core.commands.roster import roster
from bot.core.commands.verify import verify
from bot.core.context import Access, CommandSpec, Context

ROSTER_DENIED = "Only this group's facilitators can see the roster."
FACILITATORS_ONLY = "Only this group's facilitators can do that."


async def help_command(ctx: Context) -> list[Action]:
    lines = ["What I can do:"]
    for spec in COMMANDS.values():
        if spec.access is Access.ENROLLED or ctx.person.role.value != "participant":
            lines.append(f"• {spec.usage} — {spec.summary}")
    return ctx.reply("\n".join(lines))


COMMANDS: dict[str, CommandSpec] = {
    spec.name: spec
    for spec in (
        CommandSpec(
            name="checkin",
            handler=checkin,
            access=Access.ENROLLED,
            usage="/checkin [note]",
            summary="check in to the session that's open now",
        ),
        CommandSpec(
            name="checkout",
            handler=checkout,
            access=Access.ENROLLED,
            usage="/checkout",
            summary="check out when you leave",
        ),
        CommandSpec(
            name="absent",
            handler=absent,
            access=Access.ENROLLED,
            usage="/absent [date] [reason]",
            summary="tell us ahead of time that you can't make it",
        ),
        CommandSpec(
            name="attendance",
            handler=attendance,
            access=Access.ENROLLED,
            usage="/attendance",
            summary="see your own record and this week's hours",
        ),
        CommandSpec(
            name="survey",
            handler=survey_command,
            access=Access.ENROLLED,
            usage="/survey",
            summary="reopen the survey of your last session",
        ),
        CommandSpec(
            name="makeup",
            handler=makeup_command,
            access=Access.ENROLLED,
            usage="/makeup",
            summary="book a make-up for a session you missed",
        ),
        CommandSpec(
            name="roster",
            handler=roster,
            access=Access.FACILITATOR,
            usage="/roster",
            summary="the live roster of the session open now (private)",
            denied=ROSTER_DENIED,
        ),
        CommandSpec(
            name="verify",
            handler=verify,
            access=Access.FACILITATOR,
            usage="/verify @person present|late|partial|absent|excused "
            "[participation=high|medium|low] [minutes=N] [note]",
            summary="confirm or correct someone's attendance",
            denied=FACILITATORS_ONLY,
        ),
        CommandSpec(
            name="enroll",
            handler=enroll,
            access=Access.FACILITATOR,
            usage="/enroll @person [group]",
            summary="add someone to a group",
            denied=FACILITATORS_ONLY,
        ),
        CommandSpec(
            name="unenroll",
            handler=unenroll,
            access=Access.FACILITATOR,
            usage="/unenroll @person [group]",
            summary="remove someone from a group",
            denied=FACILITATORS_ONLY,
        ),
        CommandSpec(
            name="link",
            handler=link,
            access=Access.FACILITATOR,
            usage="/link GUEST_KEY @person",
            summary="count a guest seen in the room (key on /roster) as this person",
            denied=FACILITATORS_ONLY,
        ),
        CommandSpec(
            name="dashboard",
            handler=dashboard,
            access=Access.FACILITATOR,
            usage="/dashboard",
            summary="a private one-time link to the web dashboard",
            denied="The dashboard is for facilitators and admins.",
        ),
    )
}
