"""The Slack Web API client: slack_sdk's `AsyncWebClient` keeping one aiohttp session.

Without a session, slack_sdk opens a new `aiohttp.ClientSession` for every call and
closes it after: a new TCP (and, against slack.com, TLS) connection per message. This
one makes its session on the first call, inside the running loop, and reuses it (its
connections kept alive) until `close`; a call after `close` makes a new one. Timeouts
are the SDK's own (`total=timeout` per call).
"""

from __future__ import annotations

from typing import Any

import aiohttp
from slack_sdk.web.async_client import AsyncWebClient


class PooledWebClient(AsyncWebClient):
    async def _request(self, *, http_verb: str, api_url: str, req_args: dict[str, Any]) -> Any:
        session = self.session
        if session is None or session.closed:
            self.session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout))
        return await super()._request(http_verb=http_verb, api_url=api_url, req_args=req_args)

    async def close(self) -> None:
        """Close the kept session (its connections); idempotent."""
        session, self.session = self.session, None
        if session is not None and not session.closed:
            await session.close()
