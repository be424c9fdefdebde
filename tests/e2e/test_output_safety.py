"""Output that can't be turned against its reader, and a CLI that a closed pipe can't crash.

- a guest's display name as a meeting platform sent it (escape sequences, a bell, a
  bidi override) reaches `rollcall guest list` escaped, never as control characters;
- `rollcall weekly | head` (and any verb whose reader goes away) ends quietly with the
  shell's SIGPIPE status, not a traceback.
"""

from __future__ import annotations

import subprocess
from datetime import timedelta

from bot.core.domain import EvidenceKind, LedgerEntry
from storage.sql import open_store
from tests.conftest import scan_child_logs
from tests.e2e.conftest import GROUP, Site, assert_ok, child_env

HOSTILE = "\x1b]0;owned\x07Robin\x1b[2J\u202eevil\x9b"


async def test_guest_names_reach_the_terminal_escaped(scenario_site: Site) -> None:
    at = scenario_site.scenario.at(18, 5)
    store = await open_store(f"sqlite:///{scenario_site.db}")
    try:
        await store.append_evidence(
            [
                LedgerEntry(
                    key="zoom:hostile-guest:join",
                    kind=EvidenceKind.PRESENCE,
                    group_id=GROUP,
                    guest_key="zoom:hostile",
                    source="zoom",
                    at=at,
                    recorded_at=at + timedelta(seconds=1),
                    data={"action": "join", "source": "zoom", "stream": "zoom-hostile"},
                )
            ],
            notes=[HOSTILE],
        )
    finally:
        await store.close()
    listed = assert_ok(scenario_site.cli().run("guest", "list", "--group", GROUP))
    (line,) = listed.out_lines
    assert line.endswith("\t\\x1b]0;owned\\x07Robin\\x1b[2J\\u202eevil\\x9b"), line
    printable = {"\t"}
    assert all(c.isprintable() or c in printable for c in listed.stdout.rstrip("\n")), line


def _closed_reader(site: Site, *args: str) -> subprocess.CompletedProcess[bytes]:
    """Run a verb whose stdout reader is gone before it writes (as `| head` ends up)."""
    proc = subprocess.Popen(
        site.cli().argv(args),
        cwd=site.dir,
        env=child_env(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # the reader leaves at once
    err = proc.stderr.read()
    code = proc.wait(timeout=30)
    scan_child_logs(f"rollcall {args[0]}", err)
    return subprocess.CompletedProcess(proc.args, code, b"", err)


def test_a_closed_pipe_ends_quietly(scenario_site: Site) -> None:
    for args in (["weekly"], ["report", "--format", "csv"], ["audit", "log"]):
        done = _closed_reader(scenario_site, *args)
        assert b"Traceback" not in done.stderr, (args, done.stderr.decode())
        assert b"BrokenPipeError" not in done.stderr, (args, done.stderr.decode())
        assert done.returncode == 141, (args, done.returncode, done.stderr.decode())
