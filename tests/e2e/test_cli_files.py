"""`write_file` (bot.shell.cli_files): each batch is written in a thread while the next
one is made; the file still holds every piece in order, and a failure half-way leaves
neither the file nor its temporary (nothing is closed under a write in flight)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.shell import cli_files
from bot.shell.cli_files import write_file


def _names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


async def _pieces(n: int, fail_at: int | None = None) -> AsyncIterator[str]:
    for i in range(n):
        if i == fail_at:
            raise RuntimeError("the export failed")
        yield f"{i:06d}," + "é" * (i % 7) + "\n"


async def test_many_batches_in_flight_one_by_one_make_the_whole_text(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cli_files, "_WRITE_BATCH", 64)  # a batch every few pieces
    out = tmp_path / "out.txt"
    await write_file(str(out), _pieces(5000))
    want = "".join([piece async for piece in _pieces(5000)])
    assert out.read_text(encoding="utf-8") == want
    assert _names(tmp_path) == ["out.txt"]


async def test_a_failure_after_batches_were_written_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cli_files, "_WRITE_BATCH", 64)
    out = tmp_path / "out.txt"
    with pytest.raises(RuntimeError, match="the export failed"):
        await write_file(str(out), _pieces(5000, fail_at=4000))
    assert _names(tmp_path) == []


async def test_a_plain_iterable_and_an_empty_export(tmp_path: Path) -> None:
    out = tmp_path / "out.txt"
    await write_file(str(out), ["a", "b\n"])
    assert out.read_text(encoding="utf-8") == "ab\n"
    await write_file(str(out), [])
    assert out.read_text(encoding="utf-8") == ""


class _SlowFile:
    """A file whose write takes a while, noting whether it is closed under a write."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        self.writing = False
        self.events: list[str] = []
        _SlowFile.last = self

    last: _SlowFile

    def write(self, text: str) -> int:
        self.writing = True
        time.sleep(0.3)
        self.writing = False
        self.events.append("wrote")
        return len(text)

    def close(self) -> None:
        self.events.append("closed under a write" if self.writing else "closed")


async def test_a_cancel_while_a_write_is_in_flight_closes_the_file_after_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C (asyncio.run cancels the task) while awaiting the batch in flight cancels
    the future, not the thread's write: the file is closed only once the write ends."""
    monkeypatch.setattr(cli_files, "_WRITE_BATCH", 1)
    monkeypatch.setattr(cli_files, "open", _SlowFile, raising=False)

    async def text() -> AsyncIterator[str]:
        yield "a"
        yield "b"  # awaits the first batch's write
        await asyncio.sleep(30)

    task = asyncio.create_task(write_file(str(tmp_path / "out.txt"), text()))
    await asyncio.sleep(0.1)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert _SlowFile.last.events == ["wrote", "closed"]
