"""The slash commands: one per chat command of the engine, registered on a CommandTree.

Each command's options (names, kinds, descriptions, choices, ranges) come from the
registry (bot.core.commands, declared once for every platform): the callback built
here declares them so Discord shows and validates them, but reads nothing from them:
the adapter translates the interaction's raw options into the core's text form
(translate.command_text), the same for every command. A command the registry
declares no arguments for gets one optional `text` option.

Each command exists twice: a copy per configured guild (instant, scoped to the
program's servers) and a global copy limited to DMs with the bot, so participants
can `/checkin` or `/attendance` privately without duplicates showing in a server.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable, Coroutine, Iterable
from typing import Any, Literal

import discord
from discord import app_commands

from adapters.discord.translate import options_of
from bot.core.command_options import Option, OptionKind

log = logging.getLogger("rollcall.discord")

Runner = Callable[[discord.Interaction[Any], str], Awaitable[None]]
Callback = Callable[..., Coroutine[Any, Any, None]]


def _annotation(option: Option) -> Any:
    """The type discord.py reads an option's kind, choices and range from."""
    kind: Any
    if option.kind is OptionKind.PERSON:
        kind = discord.User
    elif option.kind is OptionKind.INTEGER:
        lo, hi = option.min_value, option.max_value
        kind = app_commands.Range[int, lo, hi] if lo is not None or hi is not None else int
    elif option.choices:
        kind = Literal.__getitem__(option.choices)
    else:
        kind = str
    return kind if option.required else kind | None


def _callback(name: str, options: tuple[Option, ...], run: Runner) -> Callback:
    """A callback whose signature declares `options` (required ones first, as Discord
    wants them) and which hands every interaction to `run`."""

    async def command(interaction: discord.Interaction[Any], **_: Any) -> None:
        await run(interaction, name)

    first = inspect.Parameter(
        "interaction", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=discord.Interaction
    )
    ordered = sorted(options, key=lambda o: not o.required)
    params = [
        inspect.Parameter(
            o.name,
            inspect.Parameter.KEYWORD_ONLY,
            annotation=_annotation(o),
            default=inspect.Parameter.empty if o.required else None,
        )
        for o in ordered
    ]
    command.__signature__ = inspect.Signature([first, *params])  # type: ignore[attr-defined]
    described: Callback = app_commands.describe(**{o.name: o.description for o in options})(command)
    return described


def make_command(
    name: str, summary: str, run: Runner, *, dm_only: bool = False
) -> app_commands.Command[Any, ..., None]:
    contexts = (
        app_commands.AppCommandContext(guild=False, dm_channel=True, private_channel=False)
        if dm_only
        else None
    )
    return app_commands.Command(
        name=name,
        description=(summary or f"/{name}")[:100],
        callback=_callback(name, options_of(name), run),
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
