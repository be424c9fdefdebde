"""E-mail over SMTP: one connection per message, STARTTLS and login per config.

Implements `bot.core.ports.Notifier` for the "email" channel. Never raises for mail
errors; maps them to a `Delivery`:

- DELIVERED: the server accepted the message (250 after DATA).
- UNREACHABLE: no usable address, or the server refused this recipient or the
  message permanently (5xx at RCPT or DATA).
- RETRY: anything passing: connection refused, timeout, disconnect, 4xx. Our own
  misconfiguration (login refused, sender refused, STARTTLS missing, TLS failure) is
  RETRY too, logged at ERROR so an operator fixes it while the outbox keeps the mail.

Logs carry the person id, message kind and key only: never an address, a server
reply (it may echo the address) or the text.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from datetime import UTC, datetime
from email.message import EmailMessage

import aiosmtplib
from aiosmtplib import SMTPResponse

from adapters.email.translate import build_email, recipient_address
from bot.core.actions import DirectMessage
from bot.core.domain import Person
from bot.core.ports import Delivery
from bot.core.settings import EmailConfig

log = logging.getLogger("rollcall.email")

SMTPS_PORT = 465  # implicit TLS ("SMTPS"): the connection is TLS from the first byte


class EmailNotifier:
    channel = "email"

    def __init__(
        self,
        config: EmailConfig,
        *,
        timeout: float = 15.0,
        max_connections: int = 4,
        tls_context: ssl.SSLContext | None = None,
    ) -> None:
        """`timeout` bounds each SMTP step; a whole send gets three times that.
        `max_connections` caps simultaneous connections to the server. `tls_context`
        replaces the default one (system CAs, certificate checked), e.g. for a private CA."""
        self.config = config
        self.timeout = timeout
        self.tls_context = tls_context
        self._slots = asyncio.Semaphore(max_connections)

    async def deliver(self, person: Person, message: DirectMessage) -> Delivery:
        to_addr = recipient_address(person)
        if to_addr is None:
            log.info(
                "email unreachable: no usable address person=%s kind=%s key=%s",
                person.id,
                message.kind,
                message.key,
            )
            return Delivery.UNREACHABLE
        mail = build_email(
            message=message, to_addr=to_addr, from_addr=self.config.from_addr, at=_now()
        )
        try:
            async with self._slots:
                async with asyncio.timeout(self.timeout * 3):
                    errors = await self._send(mail, to_addr)
        except Exception as exc:  # mapped below; anything unknown is re-raised
            outcome = _classify(exc, non_ascii=not to_addr.isascii())
            if outcome is None:
                raise
            delivery, level, reason = outcome
            log.log(
                level,
                "email %s: %s person=%s kind=%s key=%s",
                delivery.value,
                reason,
                person.id,
                message.kind,
                message.key,
            )
            return delivery
        if to_addr in errors:  # cannot happen with one recipient; be safe anyway
            code = errors[to_addr].code
            log.info("email refused code=%s person=%s key=%s", code, person.id, message.key)
            return Delivery.UNREACHABLE if code >= 500 else Delivery.RETRY
        log.info("email delivered person=%s kind=%s key=%s", person.id, message.kind, message.key)
        return Delivery.DELIVERED

    async def _send(self, mail: EmailMessage, to_addr: str) -> dict[str, SMTPResponse]:
        cfg = self.config
        implicit_tls = cfg.port == SMTPS_PORT
        errors, _ = await aiosmtplib.send(
            mail,
            sender=cfg.from_addr,
            recipients=[to_addr],
            hostname=cfg.host,
            port=cfg.port,
            username=cfg.username or None,
            password=cfg.password if cfg.username else None,
            use_tls=implicit_tls,
            # True: upgrade or fail, never fall back to sending in clear
            start_tls=False if implicit_tls else cfg.starttls,
            timeout=self.timeout,
            tls_context=self.tls_context,
        )
        return errors


def _now() -> datetime:
    return datetime.now(UTC)


_Outcome = tuple[Delivery, int, str]


def _classify(exc: BaseException, *, non_ascii: bool) -> _Outcome | None:
    """(delivery, log level, reason without personal data), or None: not a mail error."""
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        codes = [r.code for r in exc.recipients]
        permanent = bool(codes) and all(c >= 500 for c in codes)
        return _by_code(permanent, "recipient refused", codes)
    if isinstance(exc, aiosmtplib.SMTPRecipientRefused):
        return _by_code(exc.code >= 500, "recipient refused", [exc.code])
    if isinstance(exc, aiosmtplib.SMTPDataError):
        return _by_code(exc.code >= 500, "message refused", [exc.code])
    if isinstance(exc, aiosmtplib.SMTPAuthenticationError):
        return Delivery.RETRY, logging.ERROR, f"login refused (code {exc.code}): check credentials"
    if isinstance(exc, aiosmtplib.SMTPSenderRefused):
        reason = f"sender refused (code {exc.code}): check from_addr, starttls and login"
        return Delivery.RETRY, logging.ERROR, reason
    if isinstance(exc, aiosmtplib.SMTPNotSupported) and non_ascii:
        # an internationalized address this server cannot take: no retry will help
        return Delivery.UNREACHABLE, logging.WARNING, "server lacks SMTPUTF8"
    if isinstance(exc, aiosmtplib.SMTPTimeoutError | TimeoutError):
        return Delivery.RETRY, logging.WARNING, "timed out"
    if isinstance(exc, aiosmtplib.SMTPConnectError | aiosmtplib.SMTPServerDisconnected):
        return Delivery.RETRY, logging.WARNING, f"connection failed ({type(exc).__name__})"
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        level = logging.ERROR if exc.code >= 500 else logging.WARNING
        return Delivery.RETRY, level, f"server answered code {exc.code}"
    if isinstance(exc, aiosmtplib.SMTPException):
        # STARTTLS or AUTH asked for but not offered by the server, and the like. These
        # messages are aiosmtplib's own fixed sentences (no server reply, no address).
        return Delivery.RETRY, logging.ERROR, f"{exc.message.rstrip('.')}: check [email] settings"
    if isinstance(exc, ssl.SSLError):
        return Delivery.RETRY, logging.ERROR, f"TLS failed ({type(exc).__name__})"
    if isinstance(exc, OSError):
        return Delivery.RETRY, logging.WARNING, f"network error ({type(exc).__name__})"
    if isinstance(exc, ValueError):
        # aiosmtplib rejects an address it cannot put on an SMTP command line
        return Delivery.UNREACHABLE, logging.WARNING, "address unusable"
    return None


def _by_code(permanent: bool, what: str, codes: list[int]) -> _Outcome:
    shown = ",".join(str(c) for c in codes)
    if permanent:
        return Delivery.UNREACHABLE, logging.INFO, f"{what} (code {shown})"
    return Delivery.RETRY, logging.WARNING, f"{what} (code {shown})"
