"""Interactions (slash commands, buttons, select menus, the survey modal) → engine → replies.

Discord wants an answer within 3 seconds. The engine runs at once; if it has not
finished after `defer_after` seconds the interaction is deferred (ephemeral
"thinking" for a command, a silent update for a button) and the answer follows.
Every reply is ephemeral: only the person who acted sees it. A survey opens as a
modal when the engine answered in time (a modal must be the first response);
otherwise its "Answer" button is shown instead.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import discord

from adapters.discord.survey_form import FieldSpec, survey_answers, survey_fields
from adapters.discord.translate import (
    button_specs,
    clip_content,
    command_text,
    roster_embed,
    roster_rows,
    rows_of,
)
from adapters.discord.views import SurveyModal, build_view
from bot.core.actions import Action, Reply
from bot.core.deadline import within
from bot.core.engine import Engine
from bot.core.events import Actor, ButtonPressed, CommandInvoked, SurveySubmitted
from bot.core.ports import Telemetry
from bot.core.telemetry import NULL as NULL_TELEMETRY

log = logging.getLogger("rollcall.discord")

PLATFORM = "discord"
DEFER_AFTER = 2.0
ACK = "rollcall_ack_seconds"

Performer = Callable[[Sequence[Action]], Awaitable[None]]


class Interactions:
    def __init__(self, engine: Engine, perform: Performer) -> None:
        self.engine = engine
        self.perform = perform  # DMs and channel posts the engine asks for
        self.defer_after = DEFER_AFTER
        self.telemetry: Telemetry = NULL_TELEMETRY  # the adapter passes the shell's in

    # ------------------------------------------------------------ events in

    def _actor(self, interaction: discord.Interaction[Any]) -> Actor:
        return Actor(platform=PLATFORM, user_id=str(interaction.user.id))

    def _where(self, interaction: discord.Interaction[Any]) -> tuple[str | None, bool]:
        is_dm = interaction.guild_id is None
        channel = interaction.channel_id
        return (None if is_dm or channel is None else str(channel)), is_dm

    async def command(self, interaction: discord.Interaction[Any], name: str) -> None:
        data: dict[str, Any] = dict(interaction.data or {})  # type: ignore[arg-type]
        channel_id, is_dm = self._where(interaction)
        event = CommandInvoked(
            actor=self._actor(interaction),
            command=name,
            text=command_text(name, data.get("options", [])),
            channel_id=channel_id,
            is_dm=is_dm,
            at=self.engine.now(),
            request_id=f"discord:{interaction.id}",
        )
        log.info("command /%s from user %s", name, interaction.user.id)
        await self._answer(interaction, self.engine.handle(event))

    async def pressed(self, interaction: discord.Interaction[Any], action: str, value: str) -> None:
        channel_id, _ = self._where(interaction)
        event = ButtonPressed(
            actor=self._actor(interaction),
            action=action,
            value=value,
            channel_id=channel_id,
            at=self.engine.now(),
            request_id=f"discord:{interaction.id}",
        )
        log.info("button %s from user %s", action, interaction.user.id)
        await self._answer(interaction, self.engine.handle(event))

    async def survey_submitted(
        self,
        interaction: discord.Interaction[Any],
        session_id: str,
        fields: Sequence[FieldSpec],
        values: dict[str, str],
    ) -> None:
        event = SurveySubmitted(
            actor=self._actor(interaction),
            session_id=session_id,
            answers=survey_answers(fields, values),
            at=self.engine.now(),
            request_id=f"discord:{interaction.id}",
        )
        log.info("survey for session %s from user %s", session_id, interaction.user.id)
        await self._answer(interaction, self.engine.handle(event))

    # ------------------------------------------------------------ answers out

    async def _answer(
        self, interaction: discord.Interaction[Any], work: Awaitable[list[Action]]
    ) -> None:
        started = time.perf_counter()
        race = await within(self.defer_after, work, request_id=f"discord:{interaction.id}")
        deferred = False if race.on_time else await self._defer(interaction)
        if deferred:
            self.telemetry.observe(ACK, time.perf_counter() - started, platform=PLATFORM)
        actions = await race.answer()
        try:
            await self._respond(interaction, actions, deferred=deferred)
            if not deferred:
                self.telemetry.observe(ACK, time.perf_counter() - started, platform=PLATFORM)
        except discord.HTTPException as e:
            log.warning(
                "answering interaction %s failed: status %s, code %s",
                interaction.id,
                e.status,
                e.code,
            )
        others = [a for a in actions if not isinstance(a, Reply)]
        if others:
            await self.perform(others)

    async def _defer(self, interaction: discord.Interaction[Any]) -> bool:
        try:
            if interaction.type is discord.InteractionType.component:
                await interaction.response.defer()
            else:
                await interaction.response.defer(ephemeral=True, thinking=True)
        except discord.HTTPException as e:
            log.warning("deferring interaction %s failed: status %s", interaction.id, e.status)
            return False
        return True

    def _render(self, reply: Reply) -> dict[str, Any]:
        tz = self.engine.timezone
        rows = []
        if reply.view is not None:
            rows.extend(roster_rows(reply.view))
        rows.extend(rows_of(button_specs(reply.buttons)))
        view = build_view(rows[:5], timeout=None)
        out: dict[str, Any] = {
            "content": None if reply.view is not None else clip_content(reply.text),
            "embed": discord.Embed.from_dict(roster_embed(reply.view, tz)) if reply.view else None,
        }
        if view is not None:
            out["view"] = view
        return out

    async def _respond(
        self, interaction: discord.Interaction[Any], actions: Sequence[Action], *, deferred: bool
    ) -> None:
        replies = [a for a in actions if isinstance(a, Reply)]
        is_component = interaction.type is discord.InteractionType.component
        if not replies:
            if not deferred and not interaction.response.is_done():
                if is_component:
                    await interaction.response.defer()
                else:
                    await interaction.response.send_message("Done.", ephemeral=True)
            return
        first, rest = replies[0], replies[1:]
        can_modal = interaction.type is not discord.InteractionType.modal_submit
        if first.survey is not None and not deferred and can_modal:
            modal = SurveyModal(
                session_id=first.survey.session_id,
                title=first.survey.title,
                fields=survey_fields(first.survey),
            )
            await interaction.response.send_modal(modal)
        else:
            await self._first(interaction, first, deferred=deferred, is_component=is_component)
        for reply in rest:
            await interaction.followup.send(ephemeral=True, **self._followup(reply))

    def _followup(self, reply: Reply) -> dict[str, Any]:
        out = self._render(reply)
        if out.get("content") is None:
            out.pop("content")
        if out.get("embed") is None:
            out.pop("embed")
        return out

    async def _first(
        self,
        interaction: discord.Interaction[Any],
        reply: Reply,
        *,
        deferred: bool,
        is_component: bool,
    ) -> None:
        body = self._render(reply)
        replace = reply.replace_original and is_component
        if not deferred:
            if replace:
                await interaction.response.edit_message(
                    content=body["content"], embed=body["embed"], view=body.get("view")
                )
            else:
                await interaction.response.send_message(ephemeral=True, **self._followup(reply))
            return
        if replace or not is_component:
            # a deferred command edits its "thinking…" message; a deferred click edits its message
            await interaction.edit_original_response(
                content=body["content"], embed=body["embed"], view=body.get("view")
            )
        else:
            await interaction.followup.send(ephemeral=True, **self._followup(reply))
