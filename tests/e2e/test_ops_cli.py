"""The operator's small verbs as a subprocess: `--version`, `db downgrade` (only where
safe), and `rollcall run` logging JSON lines with `[logging] format = "json"`."""

from __future__ import annotations

import json
import signal
from importlib.metadata import version
from pathlib import Path

import pytest

from storage.migrate import SAFE_TO_UNDO, head_revision
from tests.e2e.conftest import CONFIG_NAME, Cli, assert_ok, assert_user_error, db_rows
from tests.e2e.test_run_server import rollcall_run


def test_version(tmp_path: Path) -> None:
    for cli in (Cli(config=None, cwd=tmp_path), Cli(config=None, cwd=tmp_path, script=True)):
        r = assert_ok(cli.run("--version"))
        assert r.stdout == f"rollcall {version('rollcall')}\n"


@pytest.mark.timeout(300)
def test_db_downgrade_undoes_only_what_loses_no_records(config_dir: Path) -> None:
    cli = Cli(config=config_dir / CONFIG_NAME, cwd=config_dir)
    assert_ok(cli.run("db", "upgrade"))
    assert_ok(cli.run("enroll", "p-008", "--group", "adhoc"))
    head = head_revision()
    if head in SAFE_TO_UNDO:
        r = assert_ok(cli.run("db", "downgrade"))
        assert r.stdout.startswith(f"downgraded from {head} to ")
        assert db_rows(cli.db, "SELECT count(*) FROM audit")[0][0] > 0  # records stay
    line = assert_user_error(cli.run("db", "downgrade", "base"), "refusing to downgrade")
    assert "rollcall restore FILE" in line
    assert_user_error(cli.run("db", "downgrade", "nonsense"), "not an earlier revision")
    assert_ok(cli.run("db", "upgrade"))
    assert db_rows(cli.db, "SELECT version_num FROM alembic_version") == [(head,)]


async def test_run_logs_json_lines_when_asked(config_dir: Path) -> None:
    conf = config_dir / CONFIG_NAME
    conf.write_text(conf.read_text() + '\n[logging]\nformat = "json"\nlevel = "info"\n')
    async with rollcall_run(config_dir) as r:
        await r.stop_with(signal.SIGTERM)
    assert r.code == 0, r.output
    lines = [x for x in "".join(r.stderr).splitlines() if x.strip()]
    assert lines
    parsed = [json.loads(x) for x in lines]  # every line is one JSON object
    assert {"ts", "level", "logger", "msg"} <= set(parsed[0])
    assert any(p["msg"].startswith("listening on 127.0.0.1:") for p in parsed)
