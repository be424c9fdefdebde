"""The one SMTP server of the tests: a real one, aiosmtpd on 127.0.0.1, in its own
thread (the `smtp_server` fixture; `tls_smtp_server` offers STARTTLS and requires it).
`handler.messages` holds what it accepted; `Received.message()` parses one.

`SmtpServer.refuse[address] = "550 ..."` makes it refuse a recipient at RCPT;
`data_reply` replaces the answer to DATA; `logins` accepts AUTH PLAIN/LOGIN for
those (user, password) pairs.
"""

from __future__ import annotations

import email
import email.message
import shutil
import socket
import ssl
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from bot.core.settings import EmailConfig


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    content: bytes

    def message(self) -> email.message.Message:
        return email.message_from_bytes(self.content)


@dataclass
class Collector:
    """The aiosmtpd handler; runs on the server thread."""

    messages: list[Received] = field(default_factory=list)
    refuse: dict[str, str] = field(default_factory=dict)
    data_reply: str | None = None
    connections: int = 0
    logins: set[tuple[str, str]] = field(default_factory=set)
    logged_in: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_EHLO(
        self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]
    ) -> list[str]:
        with self.lock:
            self.connections += 1
        session.host_name = hostname
        return responses

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.data_reply is not None:
            return self.data_reply
        content = envelope.original_content or envelope.content
        with self.lock:
            self.messages.append(Received(envelope.mail_from, list(envelope.rcpt_tos), content))
        return "250 Message accepted for delivery"

    def authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        if isinstance(auth_data, LoginPassword):
            user, password = auth_data.login.decode(), auth_data.password.decode()
            if (user, password) in self.logins:
                self.logged_in.append(user)
                return AuthResult(success=True)
        return AuthResult(success=False, handled=False)


@dataclass
class SmtpServer:
    host: str
    port: int
    handler: Collector

    def config(self, **overrides: Any) -> EmailConfig:
        return email_config(self.port, **overrides)


def email_config(port: int, **overrides: Any) -> EmailConfig:
    """An enabled [email] config for a server on 127.0.0.1:port, STARTTLS off."""
    values: dict[str, Any] = {
        "enabled": True,
        "host": "127.0.0.1",
        "port": port,
        "from_addr": "noreply@rollcall.example",
        "starttls": False,
    }
    values.update(overrides)
    return EmailConfig(**values)


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    handler = Collector()
    port = free_port()
    controller = Controller(
        handler,
        hostname="127.0.0.1",
        port=port,
        authenticator=handler.authenticate,
        auth_require_tls=False,  # tests speak plain SMTP on loopback
        ready_timeout=5.0,
    )
    controller.start()
    try:
        yield SmtpServer(host="127.0.0.1", port=port, handler=handler)
    finally:
        controller.stop()


@dataclass(frozen=True)
class Certificate:
    cert: str
    key: str

    def client_context(self) -> ssl.SSLContext:
        """A client context that trusts this self-signed certificate."""
        return ssl.create_default_context(cafile=self.cert)

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert, self.key)
        return context


@pytest.fixture(scope="session")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> Certificate:
    """A throwaway self-signed certificate for 127.0.0.1 (made with the openssl CLI)."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("the openssl command is needed to make a test certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
        timeout=30,
    )  # fmt: skip
    return Certificate(cert=str(cert), key=str(key))


@pytest.fixture
def tls_smtp_server(certificate: Certificate) -> Iterator[SmtpServer]:
    """Like `smtp_server`, but offering STARTTLS and refusing mail before it."""
    handler = Collector()
    port = free_port()
    controller = Controller(
        handler,
        hostname="127.0.0.1",
        port=port,
        tls_context=certificate.server_context(),
        require_starttls=True,
        ready_timeout=5.0,
    )
    controller.start()
    try:
        yield SmtpServer(host="127.0.0.1", port=port, handler=handler)
    finally:
        controller.stop()
