"""Performing the engine's actions on Slack after (or instead of) the ack.

A reply goes where the interaction can be answered privately: its `response_url`
(valid for 30 minutes, five uses), else `chat.postEphemeral` in the channel, else a
DM. A reply carrying a survey opens the modal with the interaction's `trigger_id`
(valid for 3 seconds) and falls back to the reply's text and "Answer" button.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import tzinfo
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.notifier import SlackNotifier
from adapters.slack.translate import channel_message, reply_message, survey_view
from bot.core.actions import Action, ChannelPost, DirectMessage, Reply
from bot.core.engine import Engine
from bot.core.ports import Delivery
from bot.core.timeutil import zone

log = logging.getLogger("rollcall.slack")

RESPONSE_URL_TIMEOUT = aiohttp.ClientTimeout(total=10)


@dataclass(frozen=True, slots=True, kw_only=True)
class Origin:
    """Where an interaction came from, so that its answers go back there privately."""

    user_id: str
    channel_id: str | None = None
    response_url: str | None = None
    trigger_id: str | None = None
    request_id: str = ""


class Outbound:
    def __init__(self, *, engine: Engine, client: AsyncWebClient, notifier: SlackNotifier) -> None:
        self.engine = engine
        self.client = client
        self.notifier = notifier
        self._session: aiohttp.ClientSession | None = None

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def tz_for(self, user_id: str) -> tzinfo:
        person = await self.engine.person_on("slack", user_id)
        return zone(person.timezone if person else None, self.engine.program.timezone)

    async def perform(self, actions: Sequence[Action], origin: Origin) -> None:
        """Every action; one failing never stops the others, and nothing raises."""
        for action in actions:
            try:
                if isinstance(action, Reply):
                    await self.reply(action, origin)
                elif isinstance(action, DirectMessage):
                    await self.direct_message(action)
                elif isinstance(action, ChannelPost):
                    await self.channel_post(action)
            except Exception as e:
                log.error(
                    "slack: performing a %s for request %s failed: %s",
                    type(action).__name__,
                    origin.request_id,
                    type(e).__name__,
                )

    async def reply(self, reply: Reply, origin: Origin) -> None:
        survey, trigger = reply.survey, origin.trigger_id
        view = survey_view(survey) if survey is not None else None
        if view is not None and trigger and await self.open_view(trigger, view, origin):
            return
        tz = await self.tz_for(origin.user_id) if reply.view is not None else zone(None)
        await self.respond(origin, reply_message(reply, tz))

    async def open_view(self, trigger_id: str, view: dict[str, Any], origin: Origin) -> bool:
        try:
            await self.client.views_open(trigger_id=trigger_id, view=view)
        except SlackApiError as e:
            log.warning(
                "slack views.open for request %s failed: %s",
                origin.request_id,
                e.response.get("error") if e.response is not None else "no response",
            )
            return False
        except (aiohttp.ClientError, TimeoutError, OSError) as e:
            log.warning("slack views.open for %s failed: %s", origin.request_id, type(e).__name__)
            return False
        return True

    async def respond(self, origin: Origin, payload: dict[str, Any]) -> None:
        """Privately to the person who acted (see the module's docstring for where)."""
        if origin.response_url and await self._post_response_url(origin, payload):
            return
        body = {k: v for k, v in payload.items() if k in ("text", "blocks")}
        if origin.channel_id and not origin.channel_id.startswith("D"):
            try:
                await self.notifier.pacer.wait(origin.channel_id)
                await self.client.chat_postEphemeral(
                    channel=origin.channel_id, user=origin.user_id, **body
                )
                return
            except SlackApiError as e:
                error = e.response.get("error") if e.response is not None else "no response"
                log.warning("slack postEphemeral for %s failed: %s", origin.request_id, error)
        response = await self.client.conversations_open(users=origin.user_id)
        channel = response.get("channel")
        channel_id = channel.get("id") if isinstance(channel, dict) else None
        if isinstance(channel_id, str) and channel_id:
            await self.notifier.post(channel_id, body)

    async def _post_response_url(self, origin: Origin, payload: dict[str, Any]) -> bool:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=RESPONSE_URL_TIMEOUT)
        body = dict(payload)
        body.setdefault("replace_original", False)
        assert origin.response_url is not None
        try:
            async with self._session.post(origin.response_url, json=body) as resp:
                await resp.read()
                if resp.status == 200:
                    return True
                log.warning(
                    "slack response_url for request %s answered HTTP %d",
                    origin.request_id,
                    resp.status,
                )
        except (aiohttp.ClientError, TimeoutError, OSError) as e:
            log.warning(
                "slack response_url for request %s failed: %s", origin.request_id, type(e).__name__
            )
        return False

    async def direct_message(self, message: DirectMessage) -> None:
        person = await self.engine.person(message.person_id)
        if person is None:
            log.warning("slack DM %s: no person %s", message.key, message.person_id)
            return
        outcome = await self.notifier.deliver(person, message)
        shown = outcome.value if isinstance(outcome, Delivery) else "retry"
        log.info("slack DM %s to %s: %s", message.key, person.id, shown)

    async def channel_post(self, post: ChannelPost) -> None:
        group = await self.engine.group(post.group_id)
        if group is None or not group.slack_channel:
            log.info("slack: group %s has no channel; post %s skipped", post.group_id, post.key)
            return
        await self.notifier.post(group.slack_channel, channel_message(post))
