"""What goes out: intents the engine returns and adapters perform."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from bot.core.domain import LedgerEntry


@dataclass(frozen=True, slots=True, kw_only=True)
class Button:
    label: str
    action: str
    value: str
    style: str = ""  # "primary" | "danger" | ""


@dataclass(frozen=True, slots=True, kw_only=True)
class RosterRow:
    person_id: str
    display_name: str
    status: str  # record status, or "not here yet" while the session runs
    checked_in_at: datetime | None
    in_room: bool
    minutes: int
    camera_minutes: int
    camera_known: bool
    flags: tuple[str, ...]
    #: a platform's presence hint, e.g. "in a Slack huddle since 6:02 PM" (not evidence)
    hint: str | None = None
    #: the facilitator's participation mark: "high" | "medium" | "low"
    participation: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class RosterView:
    session_id: str
    group_name: str
    title: str  # "Evening Group A — Mon 6:00 PM–9:00 PM"
    rows: tuple[RosterRow, ...]
    guests: tuple[str, ...] = ()
    counts: tuple[tuple[str, int], ...] = ()
    buttons_for: tuple[tuple[str, tuple[Button, ...]], ...] = ()  # person_id -> buttons
    #: the end pass: the session has ended and waits for its sign-off
    end_pass: bool = False
    #: controls for the whole roster (the end pass's "Sign off")
    controls: tuple[Button, ...] = ()
    #: which page a platform that pages the roster was showing (0: the first)
    page: int = 0
    #: lines under the roster: the end pass's survey summary (counts only, no names)
    notes: tuple[str, ...] = ()
    #: which marks a platform that shows one set at a time shows: "status" (present,
    #: late, absent, excused) or "participation" (high, medium, low); others show both
    marking: str = "status"


@dataclass(frozen=True, slots=True, kw_only=True)
class SurveyQuestionView:
    id: str
    kind: str  # "rating" (1-5) | "yes_no" | "choice" | "text"
    prompt: str
    choices: tuple[str, ...] = ()
    anonymous: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class SurveyForm:
    """A survey to show as a modal/form. Answers come back as `SurveySubmitted`."""

    session_id: str
    title: str  # short, no program-type words: "How was today's group?"
    questions: tuple[SurveyQuestionView, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Reply:
    """An answer to the person who acted. Private unless `ephemeral` is False.

    With `survey`, a platform that can open a form (Slack modal, Discord modal)
    opens it in response to the interaction; others show `text` and buttons.
    """

    text: str
    ephemeral: bool = True
    view: RosterView | None = None
    buttons: tuple[Button, ...] = ()
    replace_original: bool = False
    survey: SurveyForm | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class DirectMessage:
    person_id: str
    text: str
    kind: str  # "reminder" | "survey" | "nudge" | "alert" | "notice"
    key: str  # unique per message: a second send with the same key is a no-op
    buttons: tuple[Button, ...] = field(default_factory=tuple)
    #: set when an earlier attempt began at this moment and has no result (a crash in
    #: the send window): it may have arrived; a notifier that can look first does
    possibly_sent_since: datetime | None = None
    #: with `possibly_sent_since`: the words that earlier attempt sent, when they differ
    #: (a reminder is worded at each attempt: "in 59 minutes", then "in 53 minutes")
    earlier_text: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ChannelPost:
    """A post others can see. Never names or counts out a participant."""

    group_id: str
    text: str
    key: str


Action = Reply | DirectMessage | ChannelPost


@dataclass(frozen=True, slots=True, kw_only=True)
class Recorded:
    """The engine's answer to a PresenceBatch or RoomClosed: per event, the ledger entry
    stored, or None (a replay, or a room bound to no group). Not an Action: nothing
    to perform, only what to settle later (see events.PresenceSettled)."""

    entries: tuple[LedgerEntry | None, ...]
