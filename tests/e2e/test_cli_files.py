"""`write_file` (bot.shell.cli_files): each batch is written in a thread while the next
one is made; the file still holds every piece in order, and a failure half-way leaves
neither the file nor its temporary (nothing is closed under a write in flight)."""

from __future__ import annotations

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
