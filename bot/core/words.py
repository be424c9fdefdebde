"""Words: the one pluralisation helper every message, CLI line and report uses. Pure."""

from __future__ import annotations

_IRREGULAR = {"person": "people"}


def plural(n: int | float, word: str, many: str | None = None) -> str:
    """ "1 day", "2 days", "0 days", "1.5 hours"; `many` for an irregular plural."""
    one = n == 1
    form = word if one else (many or _IRREGULAR.get(word) or _regular(word))
    return f"{n:g} {form}" if isinstance(n, float) else f"{n} {form}"


def _regular(word: str) -> str:
    if word.endswith(("s", "x", "sh", "ch")):
        return word + "es"
    if word.endswith("y") and word[-2:-1] not in ("a", "e", "i", "o", "u"):
        return word[:-1] + "ies"
    return word + "s"
