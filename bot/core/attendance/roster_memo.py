"""The last roster built for each session, and its text, so that a roster asked again
with nothing it shows changed is not built (nor rendered) again.

A view is reused only when everything it is made of is the same: the very record
objects the recorder gave (a recompute whose inputs did not move hands back the same
objects; equal ones built afresh rebuild the view), and, compared by value, the
session, the clock's side of it (running or not), the names, hints, late notices,
guests, survey notes, the page and the time zone. Those are all read again for every
view; only the building is saved. Bounded: the least recently asked are forgotten.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import tzinfo
from typing import Any

from bot.core.actions import RosterView
from bot.core.domain import AttendanceRecord

#: sessions whose last view is kept (those live now, as the recorder keeps them)
KEPT = 48


@dataclass(frozen=True, slots=True, kw_only=True)
class _Built:
    records: Sequence[AttendanceRecord]
    inputs: tuple[Any, ...]
    view: RosterView
    #: its text, once rendered, and the zone it was rendered in
    text: tuple[tzinfo, str] | None = None


class RosterViews:
    def __init__(self, kept: int = KEPT) -> None:
        self._kept = kept
        self._built: OrderedDict[str, _Built] = OrderedDict()

    def clear(self) -> None:
        """Forget every view (after an erasure: no name of theirs stays kept)."""
        self._built.clear()

    def view(
        self,
        session_id: str,
        records: Sequence[AttendanceRecord],
        inputs: tuple[Any, ...],
        build: Callable[[], RosterView],
    ) -> RosterView:
        """The view `build` gives, or the one it gave last time for the same records
        (the same objects) and `inputs` (equal)."""
        held = self._built.get(session_id)
        if (
            held is not None
            and len(held.records) == len(records)
            and all(a is b for a, b in zip(held.records, records, strict=True))
            and held.inputs == inputs
        ):
            self._built.move_to_end(session_id)
            return held.view
        view = build()
        self._built[session_id] = _Built(records=list(records), inputs=inputs, view=view)
        self._built.move_to_end(session_id)
        while len(self._built) > self._kept:
            self._built.popitem(last=False)
        return view

    def text(self, view: RosterView, tz: tzinfo, render: Callable[[], str]) -> str:
        """`render()`'s text of `view` in `tz`, rendered once for the view kept."""
        held = self._built.get(view.session_id)
        if held is None or held.view is not view:
            return render()
        if held.text is not None and held.text[0] == tz:
            return held.text[1]
        text = render()
        self._built[view.session_id] = _Built(
            records=held.records, inputs=held.inputs, view=view, text=(tz, text)
        )
        return text
