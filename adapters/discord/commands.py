"""The slash commands: one per chat command of the engine, registered on a CommandTree.

The callbacks declare the options (so Discord shows them and validates choices)
but read nothing from them: the adapter translates the interaction's raw options
into the core's text form (translate.command_text), the same for every command.
Commands the adapter has no option layout for get one optional `text` option.

Each command exists twice: a copy per configured guild (instant, scoped to the
program's servers) and a global copy limited to DMs with the bot, so participants
can `/checkin` or `/attendance` privately without duplicates showing in a server.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Coroutine, Iterable
from typing import Any, Literal

import discord
from discord import app_commands

from adapters.discord.translate import option_names

log = logging.getLogger("rollcall.discord")

Runner = Callable[[discord.Interaction[Any], str], Awaitable[None]]
Callback = Callable[..., Coroutine[Any, Any, None]]

StatusChoice = Literal["present", "late", "partial", "absent", "excused", "made_up"]
ParticipationChoice = Literal["high", "medium", "low"]
MakeupChoice = Literal["recorded", "one_on_one"]


def _plain(name: str, run: Runner) -> Callback:
    async def command(interaction: discord.Interaction[Any]) -> None:
        await run(interaction, name)

    return command


def _checkin(name: str, run: Runner) -> Callback:
    @app_commands.describe(note="anything your facilitator should know (optional)")
    async def command(interaction: discord.Interaction[Any], note: str | None = None) -> None:
        await run(interaction, name)

    return command


def _absent(name: str, run: Runner) -> Callback:
    @app_commands.describe(
        date="the day you'll miss: 2026-12-03, tomorrow, monday (default: your next session)",
        reason="why, if you'd like to say (only staff see it)",
    )
    async def command(
        interaction: discord.Interaction[Any], date: str | None = None, reason: str | None = None
    ) -> None:
        await run(interaction, name)

    return command


def _verify(name: str, run: Runner) -> Callback:
    @app_commands.describe(
        person="who",
        status="their attendance for the open (or most recent) session; empty: participation only",
        participation="how engaged they were, as you judged it",
        minutes="minutes attended, as you attest them (say, someone who joined by phone)",
        kind="with made_up: recorded content (they reflect via /makeup) or a one-on-one held",
        note="a private note",
    )
    async def command(
        interaction: discord.Interaction[Any],
        person: discord.User,
        status: StatusChoice | None = None,
        participation: ParticipationChoice | None = None,
        minutes: app_commands.Range[int, 0, 1440] | None = None,
        kind: MakeupChoice | None = None,
        note: str | None = None,
    ) -> None:
        await run(interaction, name)

    return command


def _enroll(name: str, run: Runner) -> Callback:
    @app_commands.describe(person="who", group="the group's id or name (default: this channel's)")
    async def command(
        interaction: discord.Interaction[Any], person: discord.User, group: str | None = None
    ) -> None:
        await run(interaction, name)

    return command


def _link(name: str, run: Runner) -> Callback:
    @app_commands.describe(
        guest="the guest's key, as the roster shows it (discord:…)", person="who they are"
    )
    async def command(
        interaction: discord.Interaction[Any], guest: str, person: discord.User
    ) -> None:
        await run(interaction, name)

    return command


def _generic(name: str, run: Runner) -> Callback:
    @app_commands.describe(text="what to add after the command")
    async def command(interaction: discord.Interaction[Any], text: str | None = None) -> None:
        await run(interaction, name)

    return command


LAYOUTS: dict[str, Callable[[str, Runner], Callback]] = {
    "checkin": _checkin,
    "absent": _absent,
    "verify": _verify,
    "enroll": _enroll,
    "unenroll": _enroll,
    "link": _link,
}


def make_command(
    name: str, summary: str, run: Runner, *, dm_only: bool = False
) -> app_commands.Command[Any, ..., None]:
    if name in LAYOUTS:
        layout = LAYOUTS[name]
    elif not option_names(name):
        layout = _plain
    else:
        layout = _generic
    contexts = (
        app_commands.AppCommandContext(guild=False, dm_channel=True, private_channel=False)
        if dm_only
        else None
    )
    return app_commands.Command(
        name=name,
        description=(summary or f"/{name}")[:100],
        callback=layout(name, run),
        allowed_contexts=contexts,
    )


def register(
    tree: app_commands.CommandTree[Any],
    specs: Iterable[tuple[str, str]],
    run: Runner,
    *,
    guild_ids: Iterable[int],
) -> None:
    """Add every (name, summary) to each guild, and once globally for DMs. A name
    Discord would refuse (say, with capitals or spaces) is left out and logged."""
    valid = []
    for name, summary in specs:
        try:
            make_command(name, summary, run)
        except (ValueError, TypeError):
            log.warning("command %r can't be a Discord slash command; left out", name)
            continue
        valid.append((name, summary))
    for gid in guild_ids:
        for name, summary in valid:
            tree.add_command(make_command(name, summary, run), guild=discord.Object(id=gid))
    for name, summary in valid:
        tree.add_command(make_command(name, summary, run, dm_only=True))
