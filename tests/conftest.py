"""Shared fixtures: a throwaway PostgreSQL cluster for the tests that need one, and
the fixtures of the fakes of outside services (tests/fakes: SMTP, SMS).

`pg_url` is a fresh, empty database on a private cluster that the first test asking
for it starts (initdb + pg_ctl from /usr/lib/postgresql/<ver>/bin, run as user
postgres when we are root) and the end of the session stops and deletes.

Without PostgreSQL binaries those tests are skipped with the reason, except under
CI=true, where that is a failure: CI must run every backend.
"""

from __future__ import annotations

import contextlib
import glob
import itertools
import os
import shutil
import signal
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

# the fakes of outside services whose fixtures every test may ask for (tests/fakes)
from tests.fakes.sms import twilio  # noqa: F401
from tests.fakes.smtp import certificate, smtp_server, tls_smtp_server  # noqa: F401

PG_BIN_ENV = "ROLLCALL_PG_BIN"  # optional override: a directory holding initdb and pg_ctl
_ICU = ["--locale=C.UTF-8", "--locale-provider=icu", "--icu-locale=en-US"]


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def _pg_bin_dir() -> Path | None:
    override = os.environ.get(PG_BIN_ENV)
    if override:
        candidates = [override]
    else:
        found = glob.glob("/usr/lib/postgresql/*/bin")
        candidates = sorted(found, key=lambda p: _version_key(Path(p).parent.name), reverse=True)
    for candidate in candidates:
        path = Path(candidate)
        if (path / "initdb").is_file() and (path / "pg_ctl").is_file():
            return path
    return None


def _version_key(name: str) -> tuple[int, ...]:
    return tuple(int(part) for part in name.split(".") if part.isdigit())


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True, slots=True)
class PgCluster:
    bin_dir: Path
    host: str
    port: int
    user: str = "postgres"
    data: Path | None = None  # the cluster's data directory (for `restart`)

    def url(self, database: str, driver: str = "postgresql+asyncpg") -> str:
        return f"{driver}://{self.user}@{self.host}:{self.port}/{database}"

    def client(self, tool: str, *args: str) -> None:
        """Run a client program (createdb, dropdb, psql) against this cluster."""
        argv = [str(self.bin_dir / tool), "-h", self.host, "-p", str(self.port), "-U", self.user]
        done = subprocess.run([*argv, *args], capture_output=True, text=True, timeout=60)
        if done.returncode != 0:
            raise RuntimeError(f"{tool} failed ({done.returncode}): {done.stderr}")

    def restart(self) -> None:
        """Restart the server (fast shutdown: every open connection is cut), as an
        operator's restart or a fail-over would; returns once it accepts connections."""
        assert self.data is not None
        log = str(self.data.parent / "server.log")  # the server must not hold our pipes
        _run([str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-l", log, "-m", "fast", "-w",
              "restart"])  # fmt: skip


def _as_postgres(argv: list[str]) -> list[str]:
    """Run as user postgres when we are root (initdb refuses to run as root)."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *argv]
    return argv


def _run(argv: list[str]) -> None:
    done = subprocess.run(_as_postgres(argv), capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise RuntimeError(f"{argv[0]} failed ({done.returncode}): {done.stderr or done.stdout}")


def _stop_cleanly_on_sigterm() -> None:
    """`timeout pytest ...` sends SIGTERM, which by default kills Python without running
    fixture teardown and so leaves the cluster running; make it an interrupt instead."""

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, interrupt)


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PgCluster]:
    bin_dir = _pg_bin_dir()
    if bin_dir is None:
        reason = (
            "PostgreSQL binaries not found (/usr/lib/postgresql/<ver>/bin/initdb); "
            "install the postgresql package or set " + PG_BIN_ENV
        )
        if _in_ci():
            pytest.fail(f"CI=true: {reason}", pytrace=False)
        pytest.skip(reason)
    _stop_cleanly_on_sigterm()
    root = Path(tempfile.mkdtemp(prefix="rollcall-pg-"))
    if os.geteuid() == 0:
        shutil.chown(root, user="postgres", group="postgres")
    data, log = root / "data", root / "server.log"
    port = _free_port()
    options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off"
    options += " -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
    started = False
    try:
        initdb = [str(bin_dir / "initdb"), "-A", "trust", "-U", "postgres", "-E", "UTF8"]
        try:
            # a linguistic collation, as production databases have: it sorts "p-a" before
            # "P-c" before "p-B", which the stores must not let leak into their ordering
            _run([*initdb, *_ICU, str(data)])
        except RuntimeError:
            shutil.rmtree(data, ignore_errors=True)
            _run([*initdb, str(data)])
        _run(
            [str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", options, "-w", "start"]
        )
        started = True
        yield PgCluster(bin_dir=bin_dir, host="127.0.0.1", port=port, data=data)
    except RuntimeError as exc:
        server_log = log.read_text(errors="replace") if log.exists() else ""
        pytest.fail(f"could not start PostgreSQL: {exc}\n{server_log[-2000:]}", pytrace=False)
    finally:
        if started:
            with contextlib.suppress(RuntimeError, subprocess.TimeoutExpired):
                _run([str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"])
        shutil.rmtree(root, ignore_errors=True)


_db_numbers = itertools.count(1)


@pytest.fixture
def pg_url(pg_cluster: PgCluster) -> Iterator[str]:
    """A fresh, empty database (postgresql+asyncpg://...), dropped after the test.

    Synchronous on purpose (createdb/dropdb), so async fixtures may ask for it
    with `request.getfixturevalue("pg_url")` while their event loop runs.
    """
    name = f"t{os.getpid()}_{next(_db_numbers)}"
    pg_cluster.client("createdb", name)
    yield pg_cluster.url(name)
    pg_cluster.client("dropdb", "--if-exists", "--force", name)


# -- the privacy scanner ------------------------------------------------------------------------

#: names, notes, guest names and survey answers of the test casts (e2e template, Slack
#: harness, Zoom e2e, the disk tests): none may ever reach a log line of ours or a child's
LOG_CANARIES = (
    "Jordan", "Morgan", "Avery", "Kendall", "Casey", "Quinn", "Dr. Rivera",
    "Coordinator Lee", "family visit", "feeling unwell", "on my phone today",
    "left the call early", "Robin's iPhone", "Canary", "Safe and supportive",
)  # fmt: skip
#: what the scanner saw, for the README's figures (`pytest -s` prints it at the end)
SCANNED = {"tests": 0, "lines": 0, "child log lines": 0, "canaries found": 0}
#: the logs of child processes (`rollcall run`, CLI verbs: their stderr) the running
#: test collected, scanned with its own at its end (see `scan_child_logs`)
_CHILD_LOGS: list[tuple[str, str]] = []


def scan_child_logs(source: str, text: str | bytes) -> None:
    """Hand the log output (stderr) of a child process to the privacy scanner: the
    running test fails at its end if any line names or quotes a person of the casts.
    Every helper that runs `rollcall` as a subprocess calls this with what it read."""
    if isinstance(text, bytes):
        text = text.decode(errors="replace")
    _CHILD_LOGS.append((source, text))


def canaries_in(logs: list[tuple[str, str]]) -> tuple[int, list[tuple[str, str]]]:
    """The lines of these (source, text) logs, and each (source, canary) found in them."""
    lines = [(src, line) for src, text in logs for line in text.splitlines()]
    return len(lines), [(src, c) for src, line in lines for c in LOG_CANARIES if c in line]


@pytest.fixture(autouse=True)
def _no_canary_in_our_logs(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Every test, the whole suite long: no log line of ours names anyone or quotes them."""
    import logging

    caplog.set_level(logging.INFO, logger="rollcall")
    _CHILD_LOGS.clear()
    yield
    children, leaked = canaries_in(_CHILD_LOGS)
    _CHILD_LOGS.clear()
    ours = [
        r
        for phase in ("setup", "call")
        for r in caplog.get_records(phase)  # type: ignore[arg-type]
        if r.name.startswith("rollcall")
    ]
    found = [(r.name, c) for r in ours for c in LOG_CANARIES if c in r.getMessage()]
    SCANNED["tests"] += 1
    SCANNED["lines"] += len(ours)
    SCANNED["child log lines"] += children
    SCANNED["canaries found"] += len(found) + len(leaked)
    assert not found, f"personal data in our logs: {found}"
    assert not leaked, f"personal data in a child process's logs: {leaked}"


def pytest_terminal_summary(terminalreporter: object) -> None:
    if SCANNED["tests"]:
        write = getattr(terminalreporter, "write_line", print)
        write(
            "privacy scanner: {tests} tests, {lines} log lines of ours, {child log lines} "
            "log lines of child processes, {canaries found} canaries found".format(**SCANNED)
        )
