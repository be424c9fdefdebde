"""The garbage collector tuned once start-up is done: for a server's life (`rollcall run`)
and for a one-shot command (a year's export), alike."""

from __future__ import annotations

import gc

#: young objects allocated between two collections (CPython's default is 700)
YOUNG_GENERATION = 10_000


def settle_memory(*, collect: bool = True) -> None:
    """Start-up leaves a large, long-lived heap (the directory caches, SQLAlchemy's
    metadata, pydantic's models, the SDKs); `gc.freeze` takes it out of every later
    collection, so a full collection no longer walks it again and again: it stalled a
    burst of requests for tens of milliseconds, and a year's export (≈ 80,000 lines
    built, none of them in a cycle) for a fifth of its time. A request allocates a
    few hundred short-lived objects, so with CPython's default of 700 a burst collected
    the young generation every few requests; 10,000 keeps that cost small. Reference
    counting still frees everything at once; only cycles wait.

    `collect`: first collect what start-up left behind (a server: once, for its life);
    a one-shot command skips it (a full collection is a walk of that whole heap)."""
    if collect:
        gc.unfreeze()  # what an earlier freeze kept (bot.shell.cli) is collected too
        gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_GENERATION, middle, old)
