"""SMS through a Twilio-compatible REST API over aiohttp.

Implements `bot.core.ports.Notifier` for the "sms" channel:
``POST {api_base_url}/Accounts/{account_sid}/Messages.json`` with HTTP basic auth
(account sid, auth token) and the form fields To, From and Body.

Never raises for API or network errors; maps them to a `Delivery`:

- DELIVERED: 2xx, the API accepted (queued) the message.
- UNREACHABLE: no usable number, or a 400 whose Twilio error code says this number
  cannot get SMS (invalid, landline, unsubscribed, ...: `UNREACHABLE_CODES`).
- a refused `Retry` (nothing was sent): 429, with its Retry-After (the caller holds
  the whole SMS channel that long); also 401/403/404 and other 4xx, which mean our
  configuration is wrong: those are logged at ERROR.
- RETRY (or a `Retry` with the Retry-After of a 5xx): 5xx, timeouts and network
  errors, where the message may have gone out.

Logs carry the person id, message kind and key, the HTTP status and Twilio error
code only: never a number, the text or a response body (it echoes both).
"""

from __future__ import annotations

import asyncio
import base64
import logging
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import aiohttp

from adapters.sms.translate import (
    classify,
    error_code,
    form_fields,
    parse_retry_after,
    recipient_number,
)
from bot.core.actions import DirectMessage
from bot.core.domain import Person
from bot.core.ports import Delivery, Retry
from bot.core.settings import SmsConfig

log = logging.getLogger("rollcall.sms")

_MAX_ERROR_BODY = 64 * 1024


class SmsNotifier:
    channel = "sms"

    def __init__(
        self,
        config: SmsConfig,
        session: aiohttp.ClientSession | None = None,
        *,
        timeout: float = 15.0,
        max_concurrency: int = 4,
    ) -> None:
        """Without `session`, one is created on first use and closed by `close()`."""
        self.config = config
        self.timeout = timeout
        self._session = session
        self._owns_session = session is None
        self._slots = asyncio.Semaphore(max_concurrency)
        credentials = f"{config.account_sid}:{config.auth_token}".encode()
        self._authorization = "Basic " + base64.b64encode(credentials).decode("ascii")
        base = config.api_base_url.rstrip("/")
        self.url = f"{base}/Accounts/{quote(config.account_sid, safe='')}/Messages.json"

    async def deliver(self, person: Person, message: DirectMessage) -> Delivery | Retry:
        to_number = recipient_number(person)
        if to_number is None:
            self._note("unreachable: no usable number", person, message, logging.INFO)
            return Delivery.UNREACHABLE
        fields = form_fields(
            message=message, to_number=to_number, from_number=self.config.from_number
        )
        if not self._owns_session and self._session is not None and self._session.closed:
            self._note("retry: the given HTTP session is closed", person, message, logging.ERROR)
            return Retry(refused=True)  # nothing was sent
        try:
            async with self._slots:
                session = self._ensure_session()
                async with session.post(
                    self.url,
                    data=fields,
                    headers={"Authorization": self._authorization},
                    allow_redirects=False,
                    timeout=aiohttp.ClientTimeout(total=self.timeout),
                ) as resp:
                    status = resp.status
                    retry_after = resp.headers.get("Retry-After")
                    body = b"" if status < 300 else await _read_capped(resp)
        except TimeoutError:
            self._note("retry: timed out", person, message, logging.WARNING)
            return Delivery.RETRY
        except (aiohttp.ClientError, OSError) as exc:
            self._note(f"retry: {type(exc).__name__}", person, message, logging.WARNING)
            return Delivery.RETRY
        code = error_code(body) if body else None
        outcome = classify(status, code)
        where = f"status={status} code={code}"
        if outcome.delivery is Delivery.DELIVERED:
            self._note(f"delivered {where}", person, message, logging.INFO)
        elif outcome.delivery is Delivery.UNREACHABLE:
            self._note(f"unreachable {where}", person, message, logging.INFO)
        elif outcome.misconfigured:
            self._note(f"retry: check [sms] settings {where}", person, message, logging.ERROR)
            return Retry(refused=True)
        else:
            self._note(f"retry {where}", person, message, logging.WARNING)
            seconds = parse_retry_after(retry_after, datetime.now(UTC))
            after = timedelta(seconds=seconds) if seconds else timedelta(0)
            if status >= 500 and not after:  # it may have been taken: unknown
                return Delivery.RETRY
            return Retry(refused=status < 500, after=after)
        return outcome.delivery

    async def close(self) -> None:
        """Close the HTTP session if this notifier created it."""
        if self._owns_session and self._session is not None and not self._session.closed:
            await self._session.close()
        if self._owns_session:
            self._session = None

    def _ensure_session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
        return self._session

    @staticmethod
    def _note(what: str, person: Person, message: DirectMessage, level: int) -> None:
        log.log(
            level, "sms %s person=%s kind=%s key=%s", what, person.id, message.kind, message.key
        )


async def _read_capped(resp: aiohttp.ClientResponse) -> bytes:
    """An error body, up to `_MAX_ERROR_BODY` bytes (enough for any error JSON)."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in resp.content.iter_chunked(8192):
        chunks.append(chunk)
        size += len(chunk)
        if size >= _MAX_ERROR_BODY:
            break
    return b"".join(chunks)[:_MAX_ERROR_BODY]
