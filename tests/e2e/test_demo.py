"""`rollcall demo`: a scripted week on a fake clock, in memory; exits 0 and touches no database."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.conftest import CONFIG_NAME, Cli, assert_ok, parallel

HEADER = (
    "session_id,group_id,session_start,session_end,participant_id,status,attended_minutes,"
    "camera_minutes,first_seen,last_seen,checked_in_at,flags,verified_by,makeup_for"
)


def test_demo_prints_rosters_and_the_report_and_leaves_no_database(
    config_dir: Path, tmp_path: Path
) -> None:
    bare = tmp_path / "bare"  # no config here at all: the demo needs none
    bare.mkdir()
    with_config = Cli(config=config_dir / CONFIG_NAME, cwd=config_dir, script=True)
    without = Cli(config=None, cwd=bare, script=True)
    results = parallel(lambda: with_config.run("demo"), lambda: without.run("demo"))
    for r in results:
        assert_ok(r)
        lines = r.out_lines
        assert any("→ Roster: Evening Group A" in line for line in lines)
        assert HEADER in lines
        rows = lines[lines.index(HEADER) + 1 :]
        rows = [row for row in rows if row.strip()]
        assert len(rows) >= 12  # three sessions of four participants
        assert all(row.count(",") == HEADER.count(",") for row in rows)
        statuses = {row.split(",")[5] for row in rows}
        assert {"present", "late", "partial", "absent", "excused"} <= statuses
        overridden = [row.split(",") for row in rows if "override" in row.split(",")[11]]
        assert overridden and all(cells[12] == "f-001" for cells in overridden)
    assert results[0].stdout == results[1].stdout  # a fake clock: the same week every time
    assert sorted(p.name for p in config_dir.iterdir()) == [CONFIG_NAME]
    assert list(bare.iterdir()) == []
