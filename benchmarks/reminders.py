"""B5: `reminders` DMs due in the same minute, delivered by the outbox dispatcher (as
`rollcall run` wires it: the Slack notifier, its per-channel pacer and slack_sdk's
rate-limit retry) to a Slack stand-in on loopback that answers the first
`chat.postMessage` with one 429 `Retry-After: 2`. Checks: every reminder delivered
exactly once, within `--within` seconds, never two messages to one channel less than
a second apart, and the retry to the limited channel not sooner than 2 s (other
channels keep flowing meanwhile: reported, not required). Real SQLite file.

    python -m benchmarks.reminders [--reminders 5000] [--within 60]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import logging
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from aiohttp import web


class SlackStandIn:
    """conversations.open and chat.postMessage; the first post gets a 429."""

    def __init__(self) -> None:
        self.posts: dict[str, list[float]] = {}
        self.keys: Counter[str] = Counter()
        self.limited_at: float | None = None
        self.limited_channel: str | None = None
        self.retried_after: float | None = None
        #: posts to other channels while the limited one waited out its Retry-After
        self.others_meanwhile = 0
        self.url = ""
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        async def api(request: web.Request) -> web.Response:
            method = request.match_info["method"]
            body = (
                await request.json()
                if request.content_type == "application/json"
                else dict(await request.post())
            )
            form = {**request.query, **body}
            if method == "conversations.open":
                users = str(form.get("users", ""))
                return web.json_response({"ok": True, "channel": {"id": f"D{users}"}})
            if method == "chat.postMessage":
                now = time.monotonic()
                channel = str(form.get("channel", ""))
                if self.limited_at is None:
                    self.limited_at, self.limited_channel = now, channel
                    return web.json_response(
                        {"ok": False, "error": "ratelimited"},
                        status=429,
                        headers={"Retry-After": "2"},
                    )
                if channel == self.limited_channel and self.retried_after is None:
                    self.retried_after = now - self.limited_at
                elif self.retried_after is None:
                    self.others_meanwhile += 1
                self.posts.setdefault(channel, []).append(now)
                self.keys[channel] += 1
                return web.json_response({"ok": True, "channel": channel, "ts": f"{now:.6f}"})
            return web.json_response({"ok": True, "user_id": "UBOT", "team_id": "T1"})

        app = web.Application()
        app.router.add_post("/api/{method}", api)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = next(a[1] for a in self._runner.addresses if isinstance(a, tuple))
        self.url = f"http://127.0.0.1:{port}/api/"

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()


def config_text(db: Path, api: str, people: int) -> str:
    lines = [
        f'[storage]\nurl = "sqlite:///{db}"',
        "[slack]\nenabled = true",
        'bot_token = "xoxb-bench"\nsigning_secret = "s"',
        f'api_base_url = "{api}"',
        '[program]\nname = "Bench"\ntimezone = "UTC"',
    ]
    for i in range(people):
        lines.append(f'[[people]]\nid = "p-{i:05d}"\ndisplay_name = "P{i}"')
        lines.append(f'slack_user_id = "U{i:06d}"')
    return "\n".join(lines) + "\n"


async def bench(reminders: int, within: float) -> dict[str, Any]:
    from bot.config import parse_config
    from bot.core.outbox import Kind, OutboxItem
    from bot.core.outreach.delivery import Dispatcher
    from bot.shell.app import build_adapters, build_channels, open_app

    logging.basicConfig(level=logging.ERROR)
    stand_in = SlackStandIn()
    await stand_in.start()
    with tempfile.TemporaryDirectory(prefix="rollcall-bench-") as tmp:
        config = parse_config(config_text(Path(tmp) / "r.db", stand_in.url, reminders))
        app = await open_app(config)
        channels = build_channels(config, build_adapters(config, app.engine))
        dispatcher = Dispatcher(app.store, app.clock, notifiers=channels.notifiers)
        now = app.clock.now()
        await app.store.enqueue(
            [
                OutboxItem(
                    key=f"reminder:bench:{i}",
                    kind=Kind.REMINDER,
                    person_id=f"p-{i:05d}",
                    due_at=now,
                    text="Your group starts in 15 minutes.",
                )
                for i in range(reminders)
            ]
        )
        started = time.monotonic()
        delivered_at = None
        while time.monotonic() - started < within * 2:
            handled = await dispatcher.drain()  # as each scheduler tick does
            if sum(stand_in.keys.values()) >= reminders:
                delivered_at = time.monotonic() - started
                break
            if not handled:
                await asyncio.sleep(0.05)
        await channels.close()
        await app.close()
    await stand_in.close()
    gaps = [b - a for times in stand_in.posts.values() for a, b in itertools.pairwise(times)]
    return {
        "reminders": reminders,
        "delivered": len(stand_in.keys),
        "doubled": sum(1 for n in stand_in.keys.values() if n > 1),
        "seconds": round(delivered_at, 1) if delivered_at is not None else None,
        "min_gap_same_channel_s": round(min(gaps), 3) if gaps else None,
        "retry_after_429_s": round(stand_in.retried_after or 0.0, 2),
        "other_channels_during_429": stand_in.others_meanwhile,
        "targets": {"seconds": within, "min_gap_same_channel_s": 1.0, "retry_after_429_s": 2},
    }


def passed(r: dict[str, Any]) -> bool:
    return bool(
        r["delivered"] == r["reminders"]
        and r["doubled"] == 0
        and r["seconds"] is not None
        and r["seconds"] <= r["targets"]["seconds"]
        and (r["min_gap_same_channel_s"] is None or r["min_gap_same_channel_s"] >= 0.99)
        and r["retry_after_429_s"] >= 1.99
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--reminders", type=int, default=5000)
    parser.add_argument("--within", type=float, default=60.0)
    args = parser.parse_args(argv)
    r = asyncio.run(bench(args.reminders, args.within))
    print(
        f"reminders: {r['delivered']}/{r['reminders']} delivered in {r['seconds']} s "
        f"(≤ {args.within}); doubled {r['doubled']}; 429 retried after "
        f"{r['retry_after_429_s']} s ({r['other_channels_during_429']} sent to other channels "
        f"meanwhile); closest two to one channel {r['min_gap_same_channel_s']} s"
    )
    return 0 if passed(r) else 1


if __name__ == "__main__":
    raise SystemExit(main())
