"""An export's text to a file or stdout: gathered into batches (a thread hop per piece
would cost more than the piece), written whole or not at all."""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
from collections.abc import AsyncIterable, AsyncIterator, Iterable
from typing import TextIO

#: characters of text gathered before each write (a thread hop per piece costs more)
_WRITE_BATCH = 1 << 20


async def batches(text: Iterable[str] | AsyncIterable[str]) -> AsyncIterator[str]:
    """The export's text in batches of about `_WRITE_BATCH` characters."""
    batch: list[str] = []
    size = 0
    source = text if isinstance(text, AsyncIterable) else _aiter(text)
    async for piece in source:
        batch.append(piece)
        size += len(piece)
        if size >= _WRITE_BATCH:
            yield "".join(batch)
            batch, size = [], 0
    if batch:
        yield "".join(batch)


async def _aiter(text: Iterable[str]) -> AsyncIterator[str]:
    for piece in text:
        yield piece


async def write_file(path: str, text: Iterable[str] | AsyncIterable[str]) -> None:
    """The text to `path`, whole or not at all (a temporary file, fsynced, renamed).
    Each batch is written in a thread while the next one is made (the write releases
    the GIL): a year's FHIR export makes 63 MB, and its writes overlap its making."""
    loop = asyncio.get_running_loop()
    tmp = f"{path}.tmp"
    f = await asyncio.to_thread(open, tmp, "w", encoding="utf-8", newline="")
    #: held by the thread while it writes: a cancelled `await writing` cancels only the
    #: future, never the write in flight, so the file is closed under this lock
    held = threading.Lock()

    def write(batch: str) -> int:
        with held:
            return f.write(batch)

    writing: asyncio.Future[int] | None = None
    try:
        async for batch in batches(text):
            if writing is not None:
                await writing  # one batch in flight at a time, in order
            writing = loop.run_in_executor(None, write, batch)  # submitted at once
        if writing is not None:
            await writing
        await asyncio.to_thread(_close_synced, f)
        await asyncio.to_thread(os.replace, tmp, path)
    except BaseException:
        try:
            # the thread may still hold the file (even when `writing` was cancelled):
            # wait for its one batch to end, uncancellably, before closing it
            with held:
                f.close()
        finally:
            with contextlib.suppress(OSError):
                os.remove(tmp)
        raise


def _close_synced(f: TextIO) -> None:
    f.flush()
    os.fsync(f.fileno())
    f.close()
