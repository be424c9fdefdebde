"""Post-session surveys: the form and the check of each answer (the /survey command and
storing a submission are in bot.core.commands.survey).

Answers are ledger entries of kind SURVEY, one per question: structured values in
`data`, free text in the erasable notes. Anonymous questions are stored without
the person (and under a random key); a separate marker (no answers) records that
the person has answered, so a survey is taken once. A "yes" to the question that
confirms attendance is evidence of attendance.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.core import limits
from bot.core.actions import SurveyForm, SurveyQuestionView
from bot.core.domain import Session
from bot.core.errors import UserError
from bot.core.settings import QuestionKind, SurveyQuestion

TITLE = "How was today's group?"
MAX_TEXT = limits.MAX_ANSWER_CHARS
YES = {"yes", "y", "true", "1"}
NO = {"no", "n", "false", "0"}


def form_for(session: Session, questions: Sequence[SurveyQuestion]) -> SurveyForm:
    return SurveyForm(
        session_id=session.id,
        title=TITLE,
        questions=tuple(
            SurveyQuestionView(
                id=q.id,
                kind=q.kind.value,
                prompt=q.prompt,
                choices=q.choices,
                anonymous=q.anonymous,
            )
            for q in questions
        ),
    )


def done_key(session_id: str, person_id: str) -> str:
    return f"survey-done:{session_id}:{person_id}"


def invite_key(session_id: str, person_id: str) -> str:
    """The outbox key of the survey sent to a person after a session."""
    return f"survey:{session_id}:{person_id}"


def clean_answer(q: SurveyQuestion, raw: str) -> tuple[str | int | bool | None, str | None]:
    """(structured value, free text) of one answer, or UserError."""
    text = raw.strip()
    if q.kind is QuestionKind.TEXT:
        if len(text) > MAX_TEXT:
            raise UserError(f"Please keep the answer to {MAX_TEXT} characters.")
        return None, text or None
    if not text:
        return None, None  # skipped
    if q.kind is QuestionKind.RATING:
        if text not in {"1", "2", "3", "4", "5"}:
            raise UserError("Ratings go from 1 to 5.")
        return int(text), None
    if q.kind is QuestionKind.YES_NO:
        if text.lower() in YES:
            return True, None
        if text.lower() in NO:
            return False, None
        raise UserError("Please answer yes or no.")
    if text not in q.choices:
        raise UserError("Please pick one of the choices offered.")
    return text, None
