"""Length limits on every free text a person can send us, with a clear answer.

Notes (/checkin, /absent, /verify), survey free text and what meeting platforms call
a guest are stored as erasable notes beside the ledger. A note past its limit is
refused with a message that says the limit (nothing is written); a guest's display
name, which nobody typed to us, is cut instead (its presence must not be lost).
`Recorder.append` checks again, so no path can store more.
"""

from __future__ import annotations

from bot.core.errors import UserError

#: /checkin, /absent and /verify notes
MAX_NOTE_CHARS = 500
#: a survey's free-text answer
MAX_ANSWER_CHARS = 2000
#: what a meeting platform calls a guest
MAX_LABEL_CHARS = 100
#: the most any stored note may hold (the recorder's backstop)
MAX_STORED_CHARS = max(MAX_NOTE_CHARS, MAX_ANSWER_CHARS, MAX_LABEL_CHARS)


def note(text: str | None, what: str = "note") -> str | None:
    """The note as given (None when empty), or UserError when it is too long."""
    if not text:
        return None
    if len(text) > MAX_NOTE_CHARS:
        raise UserError(
            f"Your {what} is too long ({len(text)} characters); "
            f"please keep it to {MAX_NOTE_CHARS}. Nothing was recorded."
        )
    return text


def label(text: str) -> str:
    """A display name from outside, cut to its limit."""
    return text if len(text) <= MAX_LABEL_CHARS else text[: MAX_LABEL_CHARS - 1] + "…"


def check_stored(notes: list[str | None]) -> None:
    for text in notes:
        if text is not None and len(text) > MAX_STORED_CHARS:
            raise UserError(
                f"That text is too long ({len(text)} characters); "
                f"please keep it to {MAX_STORED_CHARS}. Nothing was recorded."
            )
