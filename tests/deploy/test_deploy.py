"""The deployment files say what deploy/README.md promises: the Dockerfile passes hadolint
and installs through deploy/install.sh (run for real in a clean venv by test_install.py),
compose.yaml runs PostgreSQL and two rollcall processes behind one address, the systemd
unit is locked down, requirements.lock pins and hashes every dependency."""

from __future__ import annotations

import configparser
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import yaml

from bot.config import load_config

ROOT = Path(__file__).resolve().parents[2]
HADOLINT = Path(sys.executable).with_name("hadolint")


def test_dockerfile_passes_hadolint() -> None:
    done = subprocess.run(
        [str(HADOLINT), "--no-color", str(ROOT / "Dockerfile")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_dockerfile_is_slim_non_root_healthchecked_and_stops_on_sigterm() -> None:
    text = (ROOT / "Dockerfile").read_text()
    bases = re.findall(r"^FROM (\S+)", text, re.MULTILINE)
    assert bases and all(re.fullmatch(r"python:3\.\d+\.\d+-slim-\w+", b) for b in bases)
    (user,) = re.findall(r"^USER (\S+)$", text, re.MULTILINE)
    assert user.split(":")[0] not in ("0", "root")
    assert re.search(r"^HEALTHCHECK .*\n?.*/healthz", text, re.MULTILINE)
    assert "STOPSIGNAL SIGTERM" in text
    # the install steps are deploy/install.sh, the very script test_install.py runs
    assert "RUN /src/deploy/install.sh /opt/rollcall /src" in text
    assert 'ENTRYPOINT ["rollcall"]' in text


def _compose() -> dict[str, Any]:
    data = yaml.safe_load((ROOT / "compose.yaml").read_text())
    assert isinstance(data, dict)
    return data


def test_compose_runs_postgres_and_two_processes_behind_one_address() -> None:
    services = _compose()["services"]
    assert services["db"]["image"].startswith("postgres:")
    bots = [s for s in services.values() if s.get("command") == ["run"]]
    assert len(bots) == 2
    for bot in bots:
        assert bot["build"] == "."
        assert bot["stop_signal"] == "SIGTERM"
        assert bot["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        assert "./rollcall.toml:/etc/rollcall/rollcall.toml:ro" in bot["volumes"]
    assert services["migrate"]["command"] == ["db", "upgrade"]
    proxy = services["proxy"]
    assert {"80:80", "443:443"} <= set(proxy["ports"])
    caddy = (ROOT / "deploy" / "Caddyfile").read_text()
    assert "reverse_proxy rollcall-a:8080 rollcall-b:8080" in caddy
    assert "health_uri /readyz" in caddy
    assert "@internal path /metrics /readyz" in caddy
    # only the proxy is published
    assert [n for n, s in services.items() if s.get("ports")] == ["proxy"]


def test_the_compose_config_loads() -> None:
    env = {
        "PGPASSWORD": "pw",
        "SLACK_BOT_TOKEN": "xoxb-1",
        "SLACK_SIGNING_SECRET": "s",
        "ZOOM_WEBHOOK_SECRET": "z",
    }
    config = load_config(ROOT / "deploy" / "compose.rollcall.toml", env)
    assert config.storage_url.startswith("postgresql://rollcall:pw@db/")
    assert config.server.host == "0.0.0.0"
    assert config.logging.format == "json"
    example = (ROOT / "deploy" / "compose.env.example").read_text()
    for name in env:
        assert f"\n{name}=" in f"\n{example}"


def test_systemd_unit_is_locked_down() -> None:
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str  # type: ignore[assignment,method-assign]
    unit.read(ROOT / "deploy" / "rollcall.service")
    service = unit["Service"]
    assert service["User"] == "rollcall"
    assert service["EnvironmentFile"] == "/etc/rollcall/rollcall.env"
    assert service["ProtectSystem"] == "strict"
    assert service["NoNewPrivileges"] == "yes"
    assert service["PrivateTmp"] == "yes"
    assert service["StateDirectory"] == "rollcall"
    assert service["Restart"] == "on-failure"
    assert service["KillSignal"] == "SIGTERM"
    assert service["ExecStart"].endswith("rollcall run")
    assert service["ExecStartPre"].endswith("rollcall db upgrade")
    assert unit["Install"]["WantedBy"] == "multi-user.target"


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~;\[ ]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def test_requirements_lock_pins_and_hashes_every_dependency() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    lock = (ROOT / "requirements.lock").read_text()
    assert "pip-compile --generate-hashes" in lock  # pip-tools made it; say so
    pins = dict(re.findall(r"^([a-z0-9][a-z0-9._-]*)==(\S+) \\$", lock, re.MULTILINE))
    wanted = {_name(r).replace(".", "-") for r in project["dependencies"]}
    assert wanted <= set(pins), wanted - set(pins)
    body = "\n".join(line for line in lock.splitlines() if not line.startswith("#"))
    blocks = re.split(r"\n(?=[a-z0-9])", body.strip())
    assert len(blocks) == len(pins)
    for block in blocks:
        assert "--hash=sha256:" in block, block.splitlines()[0]
    assert "--find-links" not in body and "--index-url" not in body  # no machine paths


def test_license_and_release_files() -> None:
    license_text = (ROOT / "LICENSE").read_text()
    assert "Apache License" in license_text and "Version 2.0, January 2004" in license_text
    assert "END OF TERMS AND CONDITIONS" in license_text
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["license"] == {"text": "Apache-2.0"}
    changelog = (ROOT / "CHANGELOG.md").read_text()
    assert f"## [{project['version']}]" in changelog
    security = (ROOT / "SECURITY.md").read_text()
    assert "Reporting a vulnerability" in security


def test_nightly_backup_timer_runs_rollcall_backup_with_the_secrets() -> None:
    service = configparser.ConfigParser(strict=False, interpolation=None)
    service.optionxform = str  # type: ignore[assignment,method-assign]
    service.read(ROOT / "deploy" / "rollcall-backup.service")
    s = service["Service"]
    assert s["Type"] == "oneshot" and s["User"] == "rollcall"
    assert s["EnvironmentFile"] == "/etc/rollcall/rollcall.env"  # enabled platforms' ${VAR}s
    assert "/opt/rollcall/venv/bin/rollcall backup " in s["ExecStart"]
    assert "%%F" in s["ExecStart"]  # a literal % in a unit file
    timer = configparser.ConfigParser(strict=False, interpolation=None)
    timer.read(ROOT / "deploy" / "rollcall-backup.timer")
    assert timer["Timer"]["OnCalendar"] and timer["Timer"]["Persistent"] == "true"
