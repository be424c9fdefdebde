"""The slash commands of slack_manifest.yaml, generated from the one registry
(bot.core.commands): name, description and usage hint of every chat command.

The rest of the manifest (scopes, events, settings and their comments) is written by
hand; the commands sit between two marker lines and are rewritten by

    python -m adapters.slack.manifest            # rewrite slack_manifest.yaml
    python -m adapters.slack.manifest --check    # exit 1 when it disagrees

and tests/adapters/slack/test_manifest.py fails when the file disagrees with the registry.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from pathlib import Path

from bot.core.commands import COMMANDS
from bot.core.context import Access, CommandSpec

MANIFEST = Path(__file__).resolve().parents[2] / "slack_manifest.yaml"
EXAMPLE_URL = "https://rollcall.example.org/slack/events"
BEGIN = "    # -- generated from bot/core/commands by `python -m adapters.slack.manifest` --"
END = "    # -- end of the generated commands --"
#: names Slack keeps for itself: the command answers to its first alias there
RESERVED = frozenset({"help"})
MAX_DESCRIPTION = 100


def slack_name(spec: CommandSpec) -> str:
    return spec.aliases[0] if spec.name in RESERVED else spec.name


def description(spec: CommandSpec) -> str:
    summary = spec.summary[:1].upper() + spec.summary[1:]
    text = f"Facilitators — {spec.summary}" if spec.access is Access.FACILITATOR else summary
    return text[:MAX_DESCRIPTION]


def usage_hint(spec: CommandSpec) -> str:
    """What follows the command in its usage ("/absent [date] [reason]" → "[date] [reason]")."""
    return spec.usage.partition(" ")[2].strip()


def _quote(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a YAML flow scalar


def command_lines(specs: Iterable[CommandSpec], url: str = EXAMPLE_URL) -> list[str]:
    lines = [BEGIN]
    for spec in specs:
        lines += [
            f"    - command: /{slack_name(spec)}",
            f"      url: {url}",
            f"      description: {_quote(description(spec))}",
        ]
        if hint := usage_hint(spec):
            lines.append(f"      usage_hint: {_quote(hint)}")
        lines.append("      should_escape: true")
    return [*lines, END]


def render(text: str) -> str:
    """`text` (a manifest) with its generated block rewritten from the registry."""
    lines = text.splitlines()
    try:
        start, stop = lines.index(BEGIN), lines.index(END)
    except ValueError:
        raise ValueError("slack_manifest.yaml has lost its generated-commands markers") from None
    return "\n".join([*lines[:start], *command_lines(COMMANDS.values()), *lines[stop + 1 :]]) + "\n"


def main(argv: list[str]) -> int:
    current = MANIFEST.read_text(encoding="utf-8")
    wanted = render(current)
    if "--check" in argv:
        if wanted != current:
            print(f"{MANIFEST.name} disagrees with the command registry: run", end=" ")
            print("python -m adapters.slack.manifest")
            return 1
        return 0
    if wanted != current:
        MANIFEST.write_text(wanted, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
