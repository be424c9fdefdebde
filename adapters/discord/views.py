"""discord.ui objects built from translate's neutral specs: buttons, select menus, the modal.

Buttons and select menus are `DynamicItem`s: their custom_id carries the whole
action ("rollcall:mark:<session>|<person>|present"), so a click works after a
restart and nothing is kept in memory per message. The survey modal is a
`discord.ui.Modal` whose answers go back through the adapter's handler.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, Protocol

import discord

from adapters.discord.survey_form import FieldSpec
from adapters.discord.translate import (
    BUTTON_TEMPLATE,
    MAX_PLACEHOLDER,
    MAX_TEXT_ANSWER,
    PICK_TEMPLATE,
    ButtonSpec,
    PickSpec,
    Row,
    picked_value,
)

MODAL_TIMEOUT = 15 * 60.0  # Discord closes an unanswered modal well before this

STYLES = {
    "primary": discord.ButtonStyle.primary,
    "danger": discord.ButtonStyle.danger,
    "": discord.ButtonStyle.secondary,
}


class InteractionHandler(Protocol):
    """What the adapter does with a click, a pick or a submitted survey."""

    async def pressed(self, interaction: discord.Interaction[Any], action: str, value: str) -> None:
        """A roster or DM button; a select menu choice arrives as the button it stands for."""
        ...

    async def survey_submitted(
        self,
        interaction: discord.Interaction[Any],
        session_id: str,
        fields: Sequence[FieldSpec],
        values: dict[str, str],
    ) -> None: ...


def handler_of(interaction: discord.Interaction[Any]) -> InteractionHandler | None:
    return getattr(interaction.client, "interactions", None)


class RollcallButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=BUTTON_TEMPLATE):
    def __init__(self, spec: ButtonSpec, *, row: int | None = None) -> None:
        super().__init__(
            discord.ui.Button(
                label=spec.label,
                custom_id=spec.custom_id,
                style=STYLES.get(spec.style, discord.ButtonStyle.secondary),
            ),
            row=row,
        )
        self.spec = spec

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> RollcallButton:
        label = getattr(item, "label", None) or "…"
        return cls(ButtonSpec(label=label, custom_id=match.group(0)))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        m = self.template.fullmatch(self.spec.custom_id)
        handler = handler_of(interaction)
        if m is not None and handler is not None:
            await handler.pressed(interaction, m.group("action"), m.group("value"))


class RollcallPick(discord.ui.DynamicItem[discord.ui.Select[Any]], template=PICK_TEMPLATE):
    """A select menu standing for many buttons: the chosen value fills the template."""

    def __init__(self, spec: PickSpec, *, row: int | None = None) -> None:
        super().__init__(
            discord.ui.Select(
                custom_id=spec.custom_id,
                placeholder=spec.placeholder[:MAX_PLACEHOLDER] or None,
                options=[discord.SelectOption(label=lbl, value=val) for lbl, val in spec.options]
                or [discord.SelectOption(label="—", value="-")],
                min_values=1,
                max_values=1,
            ),
            row=row,
        )
        self.spec = spec

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> RollcallPick:
        return cls(PickSpec(placeholder="", custom_id=match.group(0), options=()))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        m = self.template.fullmatch(self.spec.custom_id)
        handler = handler_of(interaction)
        data: dict[str, Any] = dict(interaction.data or {})  # type: ignore[arg-type]
        chosen = [str(v) for v in data.get("values", [])]
        if m is None or handler is None or not chosen:
            return
        await handler.pressed(
            interaction, m.group("action"), picked_value(m.group("value"), chosen[0])
        )


def build_view(rows: Sequence[Row], *, timeout: float | None = None) -> discord.ui.View | None:
    """A view of dynamic items only (so discord.py keeps nothing per message)."""
    if not rows:
        return None
    view = discord.ui.View(timeout=timeout)
    for i, row in enumerate(rows):
        if isinstance(row, PickSpec):
            view.add_item(RollcallPick(row, row=i))
        else:
            for spec in row:
                view.add_item(RollcallButton(spec, row=i))
    return view


class SurveyModal(discord.ui.Modal):
    """The post-session survey: a select per rating/yes-no/choice question, a text
    box per free-text question (Discord allows five fields)."""

    def __init__(self, *, session_id: str, title: str, fields: Sequence[FieldSpec]) -> None:
        super().__init__(
            title=title[:45], timeout=MODAL_TIMEOUT, custom_id=f"rollcall-survey:{session_id}"[:100]
        )
        self.session_id = session_id
        self.fields = list(fields)
        self._inputs: dict[str, discord.ui.TextInput[Any] | discord.ui.Select[Any]] = {}
        for f in self.fields:
            component: discord.ui.TextInput[Any] | discord.ui.Select[Any]
            if f.kind == "select":
                component = discord.ui.Select(
                    custom_id=f"q:{f.question_id}"[:100],
                    options=[discord.SelectOption(label=lbl, value=val) for lbl, val in f.options],
                    min_values=0,
                    max_values=1,
                    required=False,
                )
            else:
                component = discord.ui.TextInput(
                    custom_id=f"q:{f.question_id}"[:100],
                    style=discord.TextStyle.paragraph,
                    required=False,
                    max_length=MAX_TEXT_ANSWER,
                )
            self._inputs[f.question_id] = component
            self.add_item(
                discord.ui.Label(text=f.label, description=f.description, component=component)
            )

    def values(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for qid, component in self._inputs.items():
            if isinstance(component, discord.ui.Select):
                out[qid] = str(component.values[0]) if component.values else ""
            else:
                out[qid] = component.value or ""
        return out

    async def on_submit(self, interaction: discord.Interaction[Any], /) -> None:
        handler = handler_of(interaction)
        if handler is not None:
            await handler.survey_submitted(interaction, self.session_id, self.fields, self.values())
