"""Pure: a core `DirectMessage` to one plain-text e-mail.

What an e-mail may carry is deliberately small. The subject is the same for every
message and names no program, group type or diagnosis (it shows on lock screens and
in shared inboxes); the body is the message text the core wrote for this person
only. Buttons cannot work in e-mail, and a link carrying ids would leak them to
anyone who sees the mail, so a message with buttons gets one line pointing to the
chat app instead.
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

from bot.core.actions import DirectMessage
from bot.core.domain import Person

SUBJECT = "A message from your group"
CHAT_HINT = "To respond, please open the chat app you use with your group."

_ADDRESS = re.compile(r"[^@\s<>,;:\"()\[\]\\]+@[^@\s<>,;:\"()\[\]\\]+\.[^@\s<>,;:\"()\[\]\\]+\Z")


def recipient_address(person: Person) -> str | None:
    """The person's e-mail address if it is one we can safely send to, else None."""
    if person.forgotten or not person.email:
        return None
    address = person.email.strip()
    if not _ADDRESS.match(address) or any(ord(c) < 32 or ord(c) == 127 for c in address):
        return None
    try:
        Address(addr_spec=address)
    except (ValueError, IndexError):
        return None
    return address


def body_text(message: DirectMessage) -> str:
    """The plain-text body: the message text, plus the chat hint when it has buttons."""
    text = message.text.strip()
    if message.buttons:
        text = f"{text}\n\n{CHAT_HINT}"
    return text + "\n"


def message_id(key: str, from_addr: str) -> str:
    """A Message-ID stable per message key: a resend after a lost answer carries the
    same id, which lets mail systems drop the duplicate. Hashed, so no id shows."""
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]
    domain = from_addr.rpartition("@")[2] or "localhost"
    return f"<{digest}@{domain}>"


def build_email(
    *, message: DirectMessage, to_addr: str, from_addr: str, at: datetime
) -> EmailMessage:
    """The e-mail for one message to one address (`at`: timezone-aware send time)."""
    mail = EmailMessage()
    mail["From"] = from_addr
    mail["To"] = to_addr
    mail["Subject"] = SUBJECT
    mail["Date"] = format_datetime(at)
    mail["Message-ID"] = message_id(message.key, from_addr)
    # RFC 3834: machine-sent; ask auto-responders (out-of-office) not to answer
    mail["Auto-Submitted"] = "auto-generated"
    mail["X-Auto-Response-Suppress"] = "All"
    mail.set_content(body_text(message))
    return mail
