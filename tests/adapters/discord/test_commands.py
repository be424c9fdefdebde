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


async def test_options_are_the_registry_s() -> None:
    """Every command's options are built from its registry entry: name, kind,
    description, whether required, choices and range, required ones first."""
    from bot.core.command_options import OptionKind

    kinds = {OptionKind.TEXT: 3, OptionKind.INTEGER: 4, OptionKind.PERSON: 6}
    tree = _tree([(name, spec.summary) for name, spec in COMMANDS.items()])
    built = {c.name: c.to_dict(tree) for c in tree.get_commands(guild=discord.Object(id=1))}
    declared_any = False
    for name, spec in COMMANDS.items():
        options = built[name].get("options", [])
        if spec.options is None:
            assert [o["name"] for o in options] == ["text"]
            continue
        declared_any = declared_any or bool(spec.options)
        wanted = sorted(spec.options, key=lambda o: not o.required)
        assert [o["name"] for o in options] == [o.name for o in wanted], name
        for got, want in zip(options, wanted, strict=True):
            assert got["type"] == kinds[want.kind]
            assert got["description"] == want.description
            assert got.get("required", False) == want.required
            assert [c["value"] for c in got.get("choices", [])] == list(want.choices)
            assert got.get("min_value") == want.min_value
            assert got.get("max_value") == want.max_value
    assert declared_any
    verify = {o["name"]: o for o in built["verify"]["options"]}
    assert [c["value"] for c in verify["status"]["choices"]] == [
        "present",
        "late",
        "partial",
        "absent",
        "excused",
        "made_up",
    ]
    assert [c["value"] for c in verify["kind"]["choices"]] == ["recorded", "one_on_one"]
    assert verify["person"]["type"] == 6 and verify["minutes"]["type"] == 4
