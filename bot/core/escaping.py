"""One escaping rule per kind of output, so that no text we store can be turned
against whoever reads it (see docs/SECURITY.md, "Output").

- `terminal`: control characters (C0, DEL, C1) and the bidirectional overrides shown
  escaped (`\\x1b`, `\\u202e`), so a display name cannot move the cursor, ring the
  bell, retitle the window, hide text or reorder a line.
- `csv_cell`: a cell a spreadsheet would read as a formula (first character `=`,
  `+`, `-`, `@`, tab or carriage return) gets a leading `'` (OWASP "CSV Injection");
  plain numbers, negative ones too, stay as they are.
- `html`: the standard library's escaping, quotes included (templates autoescape).
- `chat`: text from outside put into a chat message can neither mention anyone
  (`@channel`, `@here`, `@everyone`, `<@U1>`, `<!here>`) nor make a link
  (`<https://x|y>`, `[y](https://x)`): an invisible word joiner after `<` and `@`
  and between `]` and `(`, control characters dropped.
"""

from __future__ import annotations

import html as _html
import re

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?")
_ZWJ = "\u2060"  # WORD JOINER: invisible, breaks mention and link syntax


def _escape_control(m: re.Match[str]) -> str:
    code = ord(m.group())
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def terminal(text: str) -> str:
    """Text safe to print on a terminal: every control character shown escaped."""
    return _CONTROL.sub(_escape_control, text.replace("\\", "\\\\"))


def csv_cell(text: str) -> str:
    """A CSV cell no spreadsheet runs as a formula."""
    if text.startswith(_FORMULA_START) and not _NUMBER.fullmatch(text):
        return "'" + text
    return text


def html(text: str) -> str:
    return _html.escape(text, quote=True)


def chat(text: str) -> str:
    """Outside text (a display name) safe inside a chat message: no mention, no link.

    Adapters still apply their platform's own escaping (Slack's entities in
    adapters/slack/blocks.py, Discord's `AllowedMentions.none()`); this makes the text
    inert on every platform, whatever the adapter forgets."""
    out = _CONTROL.sub("", text)
    return out.replace("<", "<" + _ZWJ).replace("@", "@" + _ZWJ).replace("](", "]" + _ZWJ + "(")
