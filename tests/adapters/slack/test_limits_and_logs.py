"""The TTL set, the per-channel pacer, and the SDK log filter."""

from __future__ import annotations

import asyncio
import logging

import pytest

from adapters.slack.limits import ChannelPacer, SeenRecently
from adapters.slack.quiet import Redact, quiet_sdk_loggers, sdk_logger, summary


def test_seen_recently_expires_and_is_bounded() -> None:
    now = [0.0]
    seen = SeenRecently(ttl=10, max_size=3, clock=lambda: now[0])
    assert not seen.check_and_add("a")
    assert seen.check_and_add("a") and "a" in seen
    now[0] = 11
    assert "a" not in seen
    assert not seen.check_and_add("a")
    for k in "bcde":
        seen.check_and_add(k)
    assert len(seen) == 3 and "a" not in seen


async def test_pacer_spaces_sends_per_channel() -> None:
    pacer = ChannelPacer(interval=0.1)
    loop = asyncio.get_running_loop()
    start = loop.time()
    await asyncio.gather(*(pacer.wait("C1") for _ in range(3)), pacer.wait("C2"))
    elapsed = loop.time() - start
    assert 0.18 <= elapsed < 0.5  # C1: 0, 0.1, 0.2; C2 did not wait behind C1


def test_summary_keeps_only_leading_words() -> None:
    msg = "Invalid request signature detected (signature: v0=1, body: text=Jordan+note)"
    assert summary(msg) == "Invalid request signature detected"
    assert summary("{'text': 'x'}") == "message withheld"


def test_redact_drops_info_and_strips_warnings(caplog: pytest.LogCaptureFixture) -> None:
    quiet_sdk_loggers()
    bolt = logging.getLogger("slack_bolt.SomethingNew")
    bolt.addFilter(Redact())
    caplog.set_level(logging.DEBUG)
    bolt.setLevel(logging.DEBUG)
    bolt.info("body: user_name=Jordan")
    try:
        raise ValueError("Jordan's note")
    except ValueError:
        bolt.exception("Failed to run listener function (error: Jordan's note)")
    sdk_logger().warning("Unhandled request ({'text': 'Jordan'})")
    text = caplog.text
    assert "Jordan" not in text
    assert "Failed to run listener function [ValueError]" in text
    assert "Unhandled request" in text
