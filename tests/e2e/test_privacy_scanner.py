"""The privacy scanner reads child processes too (issue 17).

Every helper that runs `rollcall` as a subprocess (`Cli.run`, `rollcall_run`, the crash
storm's bot, the scheduler processes, doctor, backup, the dashboard's CLI export) hands
its stderr (where the logs go) to `tests.conftest.scan_child_logs`; the autouse
scanner fails the test at its end when a line carries a canary name, note or survey
answer of the casts. Here: the scanner finds a canary in the stderr of a real child,
and a `rollcall run` fed check-ins, absences and overrides with canary notes logs none.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import _CHILD_LOGS, LOG_CANARIES, canaries_in
from tests.e2e.conftest import CONFIG_NAME, GROUP, Cli, assert_ok, child_env


def test_the_scanner_finds_a_canary_in_a_childs_stderr(tmp_path: Path) -> None:
    # a child that writes a canary to stderr: the config's path names "Jordan"
    missing = tmp_path / "Jordan" / CONFIG_NAME
    done = subprocess.run(
        [sys.executable, "-m", "bot.shell.cli", "--config", str(missing), "weekly"],
        capture_output=True, text=True, timeout=60, env=child_env(), check=False,
    )  # fmt: skip
    assert done.returncode != 0 and "Jordan" in done.stderr
    lines, found = canaries_in([("rollcall weekly", done.stderr)])
    assert lines >= 1
    assert found == [("rollcall weekly", "Jordan")]
    assert canaries_in([("rollcall run", "INFO rollcall.engine checkin p-001 s-1\n")]) == (1, [])


def test_rollcall_run_logs_no_canary_of_what_it_was_told(config_dir: Path) -> None:
    script = f"""\
as f-001
start {GROUP} 60
as p-001
/checkin on my phone today
join
as p-003
/absent family visit
as f-001
/verify @p-001 partial participation=low left the call early
/roster
"""
    cli = Cli(config=config_dir / CONFIG_NAME, cwd=config_dir, script=True)
    before = len(_CHILD_LOGS)
    r = assert_ok(cli.run("-v", "run", stdin=script))
    assert "Recorded Jordan as partial" in r.stdout  # the console (the person's own screen)
    (logged,) = _CHILD_LOGS[before:]
    lines, found = canaries_in([logged])
    assert lines > 0, r.stderr  # it did log: the scanner had something to read
    assert found == [], found
    assert "on my phone today" in LOG_CANARIES and "Jordan" in LOG_CANARIES
