"""The slash-command tree built from the engine's commands."""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands

from adapters.discord.commands import register
from bot.core.commands import COMMANDS


async def _run(interaction: discord.Interaction[Any], name: str) -> None:
    return None


def _tree(specs: list[tuple[str, str]]) -> app_commands.CommandTree[Any]:
    tree: app_commands.CommandTree[Any] = app_commands.CommandTree(
        discord.Client(intents=discord.Intents.none())
    )
    register(tree, specs, _run, guild_ids=[1, 2])
    return tree


async def test_every_engine_command_becomes_a_slash_command_per_guild_and_for_dms() -> None:
    specs = [(name, spec.summary) for name, spec in COMMANDS.items()]
    tree = _tree(specs)
    for gid in (1, 2):
        names = {c.name for c in tree.get_commands(guild=discord.Object(id=gid))}
        assert names == set(COMMANDS)
    dm = tree.get_commands()
    assert {c.name for c in dm} == set(COMMANDS)
    assert all(c.to_dict(tree)["contexts"] == [1] for c in dm)


async def test_names_discord_would_refuse_are_left_out() -> None:
    tree = _tree([("checkin", "x"), ("Bad Name", "y")])
    assert [c.name for c in tree.get_commands()] == ["checkin"]


async def test_unknown_commands_take_one_text_option() -> None:
    tree = _tree([("someday", "a command added later")])
    (cmd,) = tree.get_commands()
    options = cmd.to_dict(tree)["options"]
    assert [(o["name"], o["type"], o["required"]) for o in options] == [("text", 3, False)]
