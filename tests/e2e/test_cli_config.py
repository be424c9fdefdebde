"""`rollcall config check` and `rollcall config schema`, run as real subprocesses."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

from jsonschema import Draft202012Validator

from tests.e2e.conftest import Cli, child_env, parallel

EXAMPLE = Path(__file__).resolve().parents[2] / "config.example.toml"

BAD = """\
[server]
port = "${PORT}"
hots = "x"

[program]
timezone = "Mars/Base"

[[people]]
id = "p-001"
"""


def test_check_and_schema(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(BAD)
    broken = tmp_path / "broken.toml"
    broken.write_text("[server\n")
    cli = Cli(config=None, cwd=tmp_path, env=child_env(PORT="eighty"))
    ok, after_verb, problems, missing, syntax, schema = parallel(
        lambda: cli.run("--config", str(EXAMPLE), "config", "check"),
        lambda: cli.run("config", "check", "--config", str(EXAMPLE)),
        lambda: cli.run("config", "check", "--config", str(bad)),
        lambda: cli.run("config", "check", "--config", str(tmp_path / "nope.toml")),
        lambda: cli.run("config", "check", "--config", str(broken)),
        lambda: cli.run("config", "schema"),
    )
    for r in (ok, after_verb):
        assert r.returncode == 0, r
        assert r.out_lines == [f"{EXAMPLE}: ok"]

    assert problems.returncode == 1, problems
    assert problems.out_lines == [
        f"{bad}: server.hots: unknown key (did you mean host?)",
        f'{bad}: server.port: expected an integer, got "eighty"',
        f'{bad}: program.timezone: unknown time zone "Mars/Base"',
        f"{bad}: people[0].display_name: required",
    ]
    assert "Traceback" not in problems.stderr

    assert missing.returncode == 1 and missing.out_lines == [
        f"config file not found: {tmp_path / 'nope.toml'}"
    ]
    assert syntax.returncode == 1 and len(syntax.out_lines) == 1
    assert syntax.out_lines[0].startswith(f"{broken}: invalid TOML: ") and "line 1" in syntax.stdout

    assert schema.returncode == 0, schema
    printed = json.loads(schema.stdout)
    assert printed["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    example = tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))
    assert list(Draft202012Validator(printed).iter_errors(example)) == []
