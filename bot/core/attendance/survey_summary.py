"""The end pass's survey summary: counts and averages only, never who answered what."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from bot.core.domain import EvidenceKind, LedgerEntry
from bot.core.settings import QuestionKind, SurveyQuestion


def summarize(
    entries: Sequence[LedgerEntry], questions: Sequence[SurveyQuestion]
) -> tuple[str, ...]:
    """One line per question with answers, after "N answered the survey". Aggregates
    only (an anonymous question is stored without the person, and nothing here names
    anyone); free-text answers are counted, never quoted."""
    surveys = [e for e in entries if e.kind is EvidenceKind.SURVEY]
    answered = sum(1 for e in surveys if e.data.get("submitted") is True)
    if not answered:
        return ("Survey: no answers yet.",)
    by_question: dict[str, list[object]] = {}
    for e in surveys:
        qid = e.data.get("question")
        if qid is not None:
            by_question.setdefault(str(qid), []).append(e.data.get("answer"))
    lines = [f"Survey: {answered} answered."]
    for q in questions:
        answers = by_question.get(q.id, [])
        if not answers:
            continue
        label = q.prompt if len(q.prompt) <= 60 else q.prompt[:59] + "…"
        if q.kind is QuestionKind.RATING:
            values = [int(str(a)) for a in answers if str(a).isdigit()]
            if values:
                avg = sum(values) / len(values)
                lines.append(f"{label}: average {avg:.1f} of 5 ({len(values)} answers)")
        elif q.kind is QuestionKind.YES_NO:
            yes = sum(1 for a in answers if a is True)
            lines.append(f"{label}: {yes} yes, {len(answers) - yes} no")
        elif q.kind is QuestionKind.CHOICE:
            counts = Counter(str(a) for a in answers if a is not None)
            parts = ", ".join(f"{c}: {n}" for c, n in sorted(counts.items()))
            lines.append(f"{label}: {parts}")
        else:
            lines.append(f"{label}: {len(answers)} written answers")
    return tuple(lines)
