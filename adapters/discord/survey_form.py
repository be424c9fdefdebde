"""The survey as a Discord modal: fields within Discord's limits, answers read back (pure)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from adapters.discord.translate import (
    MAX_DESCRIPTION,
    MAX_LABEL,
    MAX_MODAL_ITEMS,
    MAX_SELECT_OPTIONS,
)
from bot.core.actions import SurveyForm, SurveyQuestionView


@dataclass(frozen=True, slots=True, kw_only=True)
class FieldSpec:
    """One modal field: a select (rating, yes/no, choice) or a text input."""

    question_id: str
    label: str  # ≤ 45 characters
    description: str | None  # ≤ 100; the rest of a long prompt, or a hint
    kind: str  # "select" | "text"
    options: tuple[tuple[str, str], ...] = ()  # (label, value) for selects


YES_NO = (("Yes", "yes"), ("No", "no"))
RATING = tuple((str(i), str(i)) for i in range(1, 6))


def _label_and_description(q: SurveyQuestionView) -> tuple[str, str | None]:
    prompt = " ".join(q.prompt.split())
    if len(prompt) <= MAX_LABEL:
        label, rest = prompt, ""
    else:
        cut = prompt.rfind(" ", 0, MAX_LABEL - 1)
        cut = cut if cut > 0 else MAX_LABEL - 1
        label, rest = prompt[:cut] + "…", "…" + prompt[cut:].strip()
    notes = [rest] if rest else []
    if q.anonymous:
        notes.append("(anonymous)")
    description = " ".join(notes) or None
    if description and len(description) > MAX_DESCRIPTION:
        description = description[: MAX_DESCRIPTION - 1] + "…"
    return label, description


def survey_fields(form: SurveyForm) -> list[FieldSpec]:
    """At most 5 fields (Discord's modal limit); later questions are left out."""
    out = []
    for q in form.questions[:MAX_MODAL_ITEMS]:
        label, description = _label_and_description(q)
        if q.kind == "text":
            out.append(
                FieldSpec(question_id=q.id, label=label, description=description, kind="text")
            )
            continue
        if q.kind == "rating":
            options: tuple[tuple[str, str], ...] = RATING
        elif q.kind == "yes_no":
            options = YES_NO
        else:
            options = tuple((c[:100], c[:100]) for c in q.choices[:MAX_SELECT_OPTIONS])
        out.append(
            FieldSpec(
                question_id=q.id,
                label=label,
                description=description,
                kind="select",
                options=options,
            )
        )
    return out


def survey_answers(
    fields: Sequence[FieldSpec], values: Mapping[str, str]
) -> tuple[tuple[str, str], ...]:
    """(question id, answer text) for each field answered; skipped ones are left out."""
    out = []
    for f in fields:
        value = values.get(f.question_id, "").strip()
        if value:
            out.append((f.question_id, value))
    return tuple(out)
