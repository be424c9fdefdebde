"""Make-ups besides another group's session: recorded content and a one-on-one check-in.

A facilitator offers recorded content for a missed session (`/verify @p made_up
kind=recorded`): one MAKEUP_ALTERNATIVE entry on the missed session, stage "offered".
The participant confirms completion with a short reflection reached from /makeup: an
entry with stage "done" (the reflection's free text kept apart as an erasable note). A
one-on-one check-in is confirmed by the facilitator (`/verify @p made_up
kind=one_on_one`): a "done" entry by them. A "done" entry makes the missed session
`made_up` with the flag `makeup_recorded` or `makeup_one_on_one`
(bot.core.attendance.rules); the program says which kinds it allows
(`[program.policy] makeup_alternatives`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.core.actions import SurveyForm, SurveyQuestionView
from bot.core.domain import EvidenceKind, Flag, LedgerEntry, Session
from bot.core.ports import Store

RECORDED = "recorded"
ONE_ON_ONE = "one_on_one"
KINDS = (RECORDED, ONE_ON_ONE)
OFFERED = "offered"
DONE = "done"
FLAGS = {RECORDED: Flag.MAKEUP_RECORDED, ONE_ON_ONE: Flag.MAKEUP_ONE_ON_ONE}
WORDS = {RECORDED: "recorded content", ONE_ON_ONE: "a one-on-one check-in"}

#: the reflection form's session id: this prefix and the missed session's id
REFLECTION_PREFIX = "makeup:"
WATCHED = "watched"
TAKEAWAY = "takeaway"


@dataclass(frozen=True, slots=True, kw_only=True)
class Done:
    kind: str
    #: (at, recorded_at, seq): a facilitator's status set after it wins
    order: tuple[datetime, datetime, int]
    by: str | None


def key(stage: str, session_id: str, person_id: str, kind: str) -> str:
    """One offer and one completion per (session, person, kind): a replay adds nothing."""
    return f"makeup-{stage}:{session_id}:{person_id}:{kind}"


def done_of(entries: Iterable[LedgerEntry]) -> Done | None:
    """The latest completed alternative among a (session, person)'s entries, or None."""
    done = sorted(
        (
            e
            for e in entries
            if e.kind is EvidenceKind.MAKEUP_ALTERNATIVE
            and e.data.get("stage") == DONE
            and e.data.get("kind") in KINDS
        ),
        key=lambda e: (e.at, e.recorded_at, e.seq, e.key),
    )
    if not done:
        return None
    last = done[-1]
    return Done(
        kind=str(last.data["kind"]), order=(last.at, last.recorded_at, last.seq), by=last.actor_id
    )


async def offered(store: Store, person_id: str) -> list[str]:
    """Ids of the sessions for which the person was offered recorded content and has not
    sent the reflection yet, the most recent offer first."""
    entries = await store.evidence(person_id=person_id, kinds=[EvidenceKind.MAKEUP_ALTERNATIVE])
    done = {e.session_id for e in entries if e.data.get("stage") == DONE}
    offers = sorted(
        (e for e in entries if e.data.get("stage") == OFFERED and e.data.get("kind") == RECORDED),
        key=lambda e: e.at,
        reverse=True,
    )
    return [e.session_id for e in offers if e.session_id and e.session_id not in done]


def reflection_form(session: Session) -> SurveyForm:
    """The short reflection after recorded content (no program-type words)."""
    return SurveyForm(
        session_id=REFLECTION_PREFIX + session.id,
        title="After the recording",
        questions=(
            SurveyQuestionView(
                id=WATCHED, kind="yes_no", prompt="Did you watch the whole recording?"
            ),
            SurveyQuestionView(
                id=TAKEAWAY,
                kind="text",
                prompt="One thing you'll take from it (only your facilitators see this)",
            ),
        ),
    )


def allowed(policy_kinds: Sequence[str]) -> tuple[str, ...]:
    return tuple(k for k in KINDS if k in policy_kinds)
