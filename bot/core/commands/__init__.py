"""THE registry: every chat command, button and form the engine answers, in one place.

One entry per command: its handler, who may run it, how /help shows it, its arguments
(name, kind, description, choices: bot.core.command_options) and other names it
answers to. Adapters derive their lists from COMMANDS (Slack's manifest, Discord's app
commands and their options, the console); names arrive through `normalize`, the one
normalisation of a command name.
"""

from __future__ import annotations

from bot.core.actions import Action
from bot.core.command_options import integer, person, text
from bot.core.commands.absent import absent
from bot.core.commands.attendance import attendance
from bot.core.commands.calendar import calendar
from bot.core.commands.checkin import checkin, checkin_button, checkout
from bot.core.commands.dashboard import dashboard
from bot.core.commands.enroll import enroll, unenroll
from bot.core.commands.link import link
from bot.core.commands.makeup import book_button, makeup_command
from bot.core.commands.reflect import reflect_button
from bot.core.commands.roster import page_button, roster
from bot.core.commands.signoff import signoff, signoff_button
from bot.core.commands.survey import submit, survey_button, survey_command
from bot.core.commands.verify import STATUS_CHOICES, engage_button, mark_button, verify
from bot.core.context import Access, CommandSpec, Context
from bot.core.domain import Participation
from bot.core.sessions import MAX_MINUTES

ROSTER_DENIED = "Only this group's facilitators can see the roster."
FACILITATORS_ONLY = "Only this group's facilitators can do that."

NOTE_FOR_FACILITATOR = text("note", "anything your facilitator should know (optional)")
GROUP_MEMBER = (
    person("person", "who"),
    text("group", "the group's id or name (default: this channel's)"),
)


async def help_command(ctx: Context) -> list[Action]:
    lines = ["What I can do:"]
    for spec in COMMANDS.values():
        if not spec.listed:
            continue
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
            options=(NOTE_FOR_FACILITATOR,),
        ),
        CommandSpec(
            name="checkout",
            handler=checkout,
            access=Access.ENROLLED,
            usage="/checkout",
            summary="check out when you leave",
            options=(),
        ),
        CommandSpec(
            name="absent",
            handler=absent,
            access=Access.ENROLLED,
            usage="/absent [date] [reason]",
            summary="tell us ahead of time that you can't make it",
            options=(
                text(
                    "date",
                    "the day you'll miss: 2026-12-03, tomorrow, monday (default: your next "
                    "session)",
                ),
                text("reason", "why, if you'd like to say (only staff see it)"),
            ),
        ),
        CommandSpec(
            name="attendance",
            handler=attendance,
            access=Access.ENROLLED,
            usage="/attendance",
            summary="see your own record and this week's hours",
            options=(),
        ),
        CommandSpec(
            name="survey",
            handler=survey_command,
            access=Access.ENROLLED,
            usage="/survey",
            summary="reopen the survey of your last session",
            options=(),
        ),
        CommandSpec(
            name="makeup",
            handler=makeup_command,
            access=Access.ENROLLED,
            usage="/makeup",
            summary="make up a session you missed: another group's session, or what your "
            "facilitator offered",
            options=(),
        ),
        CommandSpec(
            name="calendar",
            handler=calendar,
            access=Access.ENROLLED,
            usage="/calendar",
            summary="get a private link to your upcoming sessions for your calendar app",
            options=(),
        ),
        CommandSpec(
            name="roster",
            handler=roster,
            access=Access.FACILITATOR,
            usage="/roster",
            summary="the live roster of the session open now (private)",
            denied=ROSTER_DENIED,
            options=(),
            slow=True,
        ),
        CommandSpec(
            name="verify",
            handler=verify,
            access=Access.FACILITATOR,
            usage="/verify @person present|late|partial|absent|excused|made_up "
            "[participation=high|medium|low] [minutes=N] [kind=recorded|one_on_one] [note]",
            summary="confirm or correct someone's attendance, or record a make-up",
            denied=FACILITATORS_ONLY,
            options=(
                person("person", "who"),
                text(
                    "status",
                    "their attendance for the open (or most recent) session; "
                    "empty: participation only",
                    choices=STATUS_CHOICES,
                ),
                text(
                    "participation",
                    "how engaged they were, as you judged it",
                    choices=tuple(p.value for p in Participation),
                    keyed=True,
                ),
                integer(
                    "minutes",
                    "minutes attended, as you attest them (say, someone who joined by phone)",
                    lo=0,
                    hi=MAX_MINUTES,
                    keyed=True,
                ),
                text(
                    "kind",
                    "with made_up: recorded content (they reflect via /makeup) "
                    "or a one-on-one held",
                    choices=("recorded", "one_on_one"),
                    keyed=True,
                ),
                text("note", "a private note"),
            ),
        ),
        CommandSpec(
            name="signoff",
            handler=signoff,
            access=Access.FACILITATOR,
            usage="/signoff [note]",
            summary="sign off the attendance of your group's open or most recent session",
            denied=FACILITATORS_ONLY,
            options=(text("note", "a note for the sign-off (optional)"),),
        ),
        CommandSpec(
            name="enroll",
            handler=enroll,
            access=Access.FACILITATOR,
            usage="/enroll @person [group]",
            summary="add someone to a group",
            denied=FACILITATORS_ONLY,
            options=GROUP_MEMBER,
        ),
        CommandSpec(
            name="unenroll",
            handler=unenroll,
            access=Access.FACILITATOR,
            usage="/unenroll @person [group]",
            summary="remove someone from a group",
            denied=FACILITATORS_ONLY,
            options=GROUP_MEMBER,
        ),
        CommandSpec(
            name="link",
            handler=link,
            access=Access.FACILITATOR,
            usage="/link GUEST_KEY @person",
            summary="count a guest seen in the room (key on /roster) as this person",
            denied=FACILITATORS_ONLY,
            options=(
                text("guest", "the guest's key, as the roster shows it", required=True),
                person("person", "who they are"),
            ),
        ),
        CommandSpec(
            name="help",
            handler=help_command,
            access=Access.KNOWN,
            usage="/help",
            summary="what rollcall can do for you",
            options=(),
            # Slack reserves /help for itself: /rollcall asks for rollcall's help there
            aliases=("rollcall",),
            listed=False,
        ),
        CommandSpec(
            name="dashboard",
            handler=dashboard,
            access=Access.FACILITATOR,
            usage="/dashboard",
            summary="a private one-time link to the web dashboard",
            denied="The dashboard is for facilitators and admins.",
            options=(),
        ),
    )
}

#: buttons, by the `action` of a ButtonPressed (its `value` arrives as ctx.extra["value"])
BUTTONS: dict[str, CommandSpec] = {
    spec.name: spec
    for spec in (
        CommandSpec(
            name="mark",
            handler=mark_button,
            access=Access.FACILITATOR,
            usage="",
            summary="roster button",
            denied="Only this group's facilitators can change attendance.",
        ),
        CommandSpec(
            name="engage",
            handler=engage_button,
            access=Access.FACILITATOR,
            usage="",
            summary="roster participation button",
            denied="Only this group's facilitators can change attendance.",
        ),
        CommandSpec(
            name="page",
            handler=page_button,
            access=Access.FACILITATOR,
            usage="",
            summary="roster page button",
            denied="Only this group's facilitators can see the roster.",
        ),
        CommandSpec(
            name="signoff",
            handler=signoff_button,
            access=Access.FACILITATOR,
            usage="",
            summary="end pass button",
            denied="Only this group's facilitators can sign off its sessions.",
        ),
        CommandSpec(
            name="checkin", handler=checkin_button, access=Access.ENROLLED, usage="", summary=""
        ),
        CommandSpec(
            name="survey", handler=survey_button, access=Access.ENROLLED, usage="", summary=""
        ),
        CommandSpec(
            name="makeup", handler=book_button, access=Access.ENROLLED, usage="", summary=""
        ),
        CommandSpec(
            name="reflect", handler=reflect_button, access=Access.ENROLLED, usage="", summary=""
        ),
    )
}

#: a SurveySubmitted (ctx.extra: "session_id", and "answer:<question id>")
SURVEY_SUBMIT = CommandSpec(
    name="survey-submit", handler=submit, access=Access.ENROLLED, usage="", summary=""
)

_ALIASES = {alias: spec.name for spec in COMMANDS.values() for alias in spec.aliases}


def normalize(raw: str) -> str:
    """The registry name a platform's command text means ("/CheckIn " -> "checkin",
    "/rollcall" -> "help"); unknown names come back normalised but unchanged."""
    name = raw.strip().lstrip("/").lower()
    return _ALIASES.get(name, name)


def lookup(raw: str) -> CommandSpec | None:
    return COMMANDS.get(normalize(raw))
