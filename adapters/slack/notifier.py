"""Private messages to one person on Slack (the core's `Notifier` port, channel "chat").

A DM is `conversations.open` (once per user, cached) and `chat.postMessage`, paced to
one message per second per channel. 429s are retried by the client's
`AsyncRateLimitErrorRetryHandler` (it honours Retry-After); what still fails is
mapped to a `Delivery`, never raised. An error Slack answered (`ok: false`, a 429
past the retries) is a refused `Retry`: nothing was posted, so the next attempt need
not read the history first.

Each DM carries message metadata tagging it with a digest of its outbox key. When the
outbox says an earlier attempt may have reached Slack (a crash in the send window:
`DirectMessage.possibly_sent_since`), the DM channel's recent history is read first
(`conversations.history`, `include_all_metadata`, needs the `im:history` scope) and a
message with that tag means it was delivered: nothing is sent again.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.limits import ChannelPacer, SeenRecently
from adapters.slack.translate import channel_message, dm_message, has_tagged, message_tag
from bot.core.actions import ChannelPost, DirectMessage
from bot.core.domain import Group, Person
from bot.core.ports import Delivery, Retry

log = logging.getLogger("rollcall.slack")

#: Web API errors meaning this person can't be reached on Slack (try e-mail/SMS instead)
UNREACHABLE_ERRORS = frozenset(
    {
        "user_not_found",
        "users_not_found",
        "user_not_visible",
        "user_disabled",
        "account_inactive",
        "cannot_dm_bot",
        "channel_not_found",
        "not_in_channel",
        "is_archived",
        "messages_tab_disabled",
        "restricted_action",
        "ekm_access_denied",
        "team_access_not_granted",
        "invalid_users",
    }
)
#: errors an operator must fix (token, scopes): retried later, logged as errors
SETUP_ERRORS = frozenset(
    {"invalid_auth", "not_authed", "token_revoked", "token_expired", "missing_scope"}
)


ZONE_TTL = 24 * 3600.0
#: how far before an unfinished attempt began the history is read (clocks differ)
HISTORY_SKEW = 120.0
#: how many of the DM's messages since then are read: a DM holds few
HISTORY_LIMIT = 50


def _known_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


class NoDmChannel(Exception):
    """conversations.open answered without a channel."""


def classify(error: str, status: int) -> Delivery:
    if error in UNREACHABLE_ERRORS:
        return Delivery.UNREACHABLE
    return Delivery.RETRY


class SlackNotifier:
    channel = "chat"

    def __init__(
        self, client: AsyncWebClient, pacer: ChannelPacer, *, dm_cache_size: int = 5000
    ) -> None:
        self.client = client
        self.pacer = pacer
        self._dm_channels: OrderedDict[str, str] = OrderedDict()
        self._dm_cache_size = dm_cache_size
        self._sent = SeenRecently(ttl=24 * 3600.0, max_size=20_000)
        self._zones: OrderedDict[str, tuple[float, str | None]] = OrderedDict()

    async def close(self) -> None:
        """Close the Web API client's kept connections (a later send opens new ones)."""
        close = getattr(self.client, "close", None)
        if close is not None:
            await close()

    async def zone_of(self, person: Person) -> str | None:
        """The person's Slack time zone (`users.info` `tz`), cached for a day; None when
        unknown or on any error (the program's zone is used then)."""
        user_id = person.slack_user_id
        if not user_id or person.forgotten:
            return None
        now = time.monotonic()
        cached = self._zones.get(user_id)
        if cached is not None and now - cached[0] < ZONE_TTL:
            return cached[1]
        try:
            resp = await self.client.users_info(user=user_id)
            user = resp.get("user") or {}
            tz = user.get("tz") if isinstance(user, dict) else None
            name = tz if isinstance(tz, str) and _known_zone(tz) else None
        except (SlackApiError, aiohttp.ClientError, TimeoutError) as e:
            log.info("users.info failed for person=%s: %s", person.id, type(e).__name__)
            return None
        self._zones[user_id] = (now, name)
        while len(self._zones) > self._dm_cache_size:
            self._zones.popitem(last=False)
        return name

    async def deliver(self, person: Person, message: DirectMessage) -> Delivery | Retry:
        user_id = person.slack_user_id
        if not user_id or person.forgotten:
            return Delivery.UNREACHABLE
        if message.key in self._sent:
            return Delivery.DELIVERED
        try:
            channel = await self._dm_channel(user_id)
            since = message.possibly_sent_since
            if since is not None and await self._posted_since(channel, message.key, since):
                log.info("slack %s DM to %s was already posted: not again", message.kind, person.id)
                self._sent.check_and_add(message.key)
                return Delivery.DELIVERED
            await self.post(channel, dm_message(message))
        except SlackApiError as e:  # Slack answered: this attempt posted nothing
            outcome = self._failed(e, person.id, message.kind)
            return Retry(refused=True) if outcome is Delivery.RETRY else outcome
        except NoDmChannel:
            log.warning("slack DM to %s: no DM channel -> unreachable", person.id)
            return Delivery.UNREACHABLE
        except (aiohttp.ClientError, TimeoutError, OSError) as e:
            log.warning("slack DM to %s failed: %s (will retry)", person.id, type(e).__name__)
            return Delivery.RETRY
        except Exception as e:  # a notifier never raises
            log.error("slack DM to %s failed unexpectedly: %s", person.id, type(e).__name__)
            return Delivery.RETRY
        self._sent.check_and_add(message.key)
        return Delivery.DELIVERED

    async def post(self, channel: str, payload: dict[str, Any]) -> None:
        """chat.postMessage, paced per channel. Raises SlackApiError and network errors."""
        await self.pacer.wait(channel)
        await self.client.chat_postMessage(channel=channel, **payload)

    async def _posted_since(self, channel: str, key: str, since: datetime) -> bool:
        """Whether the DM channel holds our message tagged with `key`, posted since about
        `since`. A refusal (no `im:history` scope, say) is logged and counts as no: the
        message is sent then (at least once). Network errors propagate (retry later)."""
        try:
            history = await self.client.conversations_history(
                channel=channel,
                oldest=f"{since.timestamp() - HISTORY_SKEW:.6f}",
                limit=HISTORY_LIMIT,
                include_all_metadata=True,
            )
        except SlackApiError as e:
            error = str(e.response.get("error") or "") if e.response is not None else ""
            level = logging.ERROR if error in SETUP_ERRORS else logging.WARNING
            log.log(level, "slack conversations.history: %s; sending again", error or "error")
            return False
        return has_tagged(history.data if isinstance(history.data, dict) else {}, message_tag(key))

    async def _dm_channel(self, user_id: str) -> str:
        cached = self._dm_channels.get(user_id)
        if cached:
            self._dm_channels.move_to_end(user_id)
            return cached
        response = await self.client.conversations_open(users=user_id)
        channel = response.get("channel")
        channel_id = channel.get("id") if isinstance(channel, dict) else None
        if not isinstance(channel_id, str) or not channel_id:
            raise NoDmChannel(user_id)
        self._dm_channels[user_id] = channel_id
        while len(self._dm_channels) > self._dm_cache_size:
            self._dm_channels.popitem(last=False)
        return channel_id

    def _failed(self, e: SlackApiError, person_id: str, kind: str) -> Delivery:
        error = str(e.response.get("error") or "") if e.response is not None else ""
        status = int(getattr(e.response, "status_code", 0) or 0)
        outcome = classify(error, status)
        level = logging.ERROR if error in SETUP_ERRORS else logging.WARNING
        log.log(
            level,
            "slack %s DM to %s: %s (HTTP %d) -> %s",
            kind,
            person_id,
            error or "no error code",
            status,
            outcome.value,
        )
        return outcome


class SlackPoster:
    """Posts in a group's Slack channel (the core's `Poster` port). The core's posts
    never name or count out anyone; this only delivers them, paced per channel."""

    platform = "slack"

    def __init__(self, notifier: SlackNotifier) -> None:
        self.notifier = notifier

    async def post(self, group: Group, post: ChannelPost) -> Delivery:
        if not group.slack_channel:
            return Delivery.UNREACHABLE
        try:
            await self.notifier.post(group.slack_channel, channel_message(post))
        except SlackApiError as e:
            error = str(e.response.get("error") or "") if e.response is not None else ""
            outcome = classify(error, 0)
            log.warning("slack post %s to %s: %s -> %s", post.key, group.id, error, outcome.value)
            return outcome
        except Exception as e:  # a poster never raises
            log.warning("slack post %s to %s failed: %s", post.key, group.id, type(e).__name__)
            return Delivery.RETRY
        return Delivery.DELIVERED
