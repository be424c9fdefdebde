"""The arguments a chat command takes, declared once in the registry (bot.core.commands)
for every platform that shows them: Discord builds its slash-command options from
them, Slack's manifest its usage hints, the core's parsers read the text form.

The text form is the arguments in declaration order, separated by spaces; a `keyed`
option is written `name=value`; a `person` is a mention (`<@ID>`)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class OptionKind(StrEnum):
    TEXT = "text"
    PERSON = "person"  # someone on the platform (a mention)
    INTEGER = "integer"


@dataclass(frozen=True, slots=True, kw_only=True)
class Option:
    name: str
    #: what to put there, shown next to the option (at most 100 characters)
    description: str
    kind: OptionKind = OptionKind.TEXT
    required: bool = False
    #: the only values allowed, in the order shown
    choices: tuple[str, ...] = ()
    #: written `name=value` in the text form
    keyed: bool = False
    min_value: int | None = None
    max_value: int | None = None


def text(
    name: str,
    description: str,
    *,
    required: bool = False,
    choices: tuple[str, ...] = (),
    keyed: bool = False,
) -> Option:
    return Option(
        name=name, description=description, required=required, choices=choices, keyed=keyed
    )


def person(name: str, description: str) -> Option:
    return Option(name=name, description=description, kind=OptionKind.PERSON, required=True)


def integer(name: str, description: str, *, lo: int, hi: int, keyed: bool = False) -> Option:
    return Option(
        name=name,
        description=description,
        kind=OptionKind.INTEGER,
        keyed=keyed,
        min_value=lo,
        max_value=hi,
    )
