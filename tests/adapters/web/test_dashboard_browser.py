"""The whole dashboard flow in a real headless Chromium (Debian's chromium + chromium-driver,
driven by Selenium): the DM link signs in, the risk board names the right people in the
right order, a used or expired link is refused, a facilitator can't open another group
or its participants, an outreach entry appears in the person's history, the CSV download
matches `rollcall report --format csv` byte for byte, and logout works. Screenshots go
to docs/screenshots/."""

from __future__ import annotations

import asyncio
import os
import socket
import sys
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest

from bot.shell.web import make_web_app, start_server
from tests.adapters.web.world import World, build_world, link_for
from tests.conftest import scan_child_logs

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
SHOTS = Path(__file__).resolve().parents[3] / "docs" / "screenshots"
T = TypeVar("T")

pytestmark = [
    pytest.mark.timeout(300),
    pytest.mark.skipif(
        not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER))
        and os.environ.get("CI") != "true",
        reason="Debian's chromium and chromium-driver are not installed (.ci/run installs them)",
    ),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
async def served(tmp_path: Path) -> AsyncIterator[World]:
    port = _free_port()
    world = await build_world(tmp_path, port)
    app = make_web_app(world.app.store)
    world.dashboard.add_routes(app)
    runner = await start_server(app, "127.0.0.1", port)
    try:
        yield world
    finally:
        await runner.cleanup()
        await world.app.close()


@pytest.fixture
def driver(tmp_path: Path) -> Any:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    downloads = tmp_path / "downloads"
    downloads.mkdir()
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=1280,1600",
        "--no-first-run",
        "--disable-extensions",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-default-apps",
        "--password-store=basic",
    ):
        options.add_argument(arg)
    options.add_experimental_option(
        "prefs",
        {"download.default_directory": str(downloads), "download.prompt_for_download": False},
    )
    d = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    d.downloads = downloads  # type: ignore[attr-defined]
    try:
        yield d
    finally:
        d.quit()


async def _b(fn: Callable[..., T], *args: Any) -> T:
    """Selenium blocks: drive it from a thread so the server's loop keeps serving."""
    return await asyncio.to_thread(fn, *args)


def _url(d: Any) -> str:
    return str(d.current_url)


def _people_on_board(d: Any) -> list[str]:
    from selenium.webdriver.common.by import By

    rows = d.find_elements(By.CSS_SELECTOR, "#risk-board tbody tr")
    return [r.get_attribute("data-person") for r in rows]


def _text(d: Any) -> str:
    from selenium.webdriver.common.by import By

    return str(d.find_element(By.TAG_NAME, "body").text)


def _log_outreach(d: Any) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    form = d.find_element(By.CSS_SELECTOR, ".card form")
    Select(form.find_element(By.NAME, "how")).select_by_value("call")
    Select(form.find_element(By.NAME, "outcome")).select_by_value("left_message")
    form.find_element(By.NAME, "note").send_keys("Asked about rides to the clinic")
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    _until(d, "Asked about rides to the clinic")


def _until(d: Any, text: str) -> None:
    """Wait for the page that the click loads (a wait for an event, not a timing)."""
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(
        d, 60, ignored_exceptions=(NoSuchElementException, StaleElementReferenceException)
    )
    wait.until(lambda d: text in _text(d))


def _wait_for_file(folder: Path, name: str) -> bytes:
    import time

    deadline = time.monotonic() + 30
    target = folder / name
    while time.monotonic() < deadline:
        if target.exists() and not list(folder.glob("*.crdownload")):
            return target.read_bytes()
        time.sleep(0.1)
    raise AssertionError(f"{name} was not downloaded")


async def _cli_csv(world: World) -> bytes:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.shell.cli",
        "--config",
        str(world.config_path),
        "report",
        "--format",
        "csv",
        "--group",
        "ga",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout=120)
    scan_child_logs("rollcall report", err)
    assert proc.returncode == 0, err.decode()
    return out


async def test_the_coordinators_week_in_chromium(served: World, driver: Any) -> None:
    w, d = served, driver
    SHOTS.mkdir(parents=True, exist_ok=True)
    base = w.config.server.public_url

    # the DM link signs in and lands on the risk board: Morgan first, then Kendall
    link = await link_for(w, "f-001")
    await _b(d.get, link)
    assert await _b(_url, d) == f"{base}/dashboard"
    assert await _b(_people_on_board, d) == ["p-002", "p-004"]
    body = await _b(_text, d)
    assert "missed 2 in a row" in body and "Jordan" not in body.split("Who needs outreach")[1]
    cookie = await _b(d.get_cookie, "rollcall_dashboard")
    assert cookie and cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    await _b(d.save_screenshot, str(SHOTS / "dashboard-risk-board.png"))

    # a second use of the same link is refused (and sets no cookie)
    await _b(d.get, link)
    assert "can't be used" in await _b(_text, d)

    # a facilitator can't open another group or its participants
    for path in ("/dashboard/groups/gb", "/dashboard/participants/p-003"):
        await _b(d.get, base + path)
        assert "don't have access" in await _b(_text, d)

    # an outreach entry appears in the person's history
    await _b(d.get, f"{base}/dashboard/participants/p-002")
    await _b(_log_outreach, d)
    assert await _b(_url, d) == f"{base}/dashboard/participants/p-002"
    history = await _b(_text, d)
    assert "Asked about rides to the clinic" in history and "left message" in history
    await _b(d.save_screenshot, str(SHOTS / "dashboard-participant.png"))

    await _b(d.get, f"{base}/dashboard/groups/ga")
    await _b(d.save_screenshot, str(SHOTS / "dashboard-group.png"))
    # Kendall joined Wednesday's group by phone: the facilitator attests 170 minutes
    await w.chat.send("f-001", "/verify @p-004 present minutes=170 joined by phone", channel="ga")
    await _b(d.get, f"{base}/dashboard/billing?week=2026-W49")
    billing = await _b(_text, d)
    assert "170 (attested)" in billing and "day under 180 min" in billing
    await _b(d.save_screenshot, str(SHOTS / "dashboard-billing.png"))

    # the CSV download matches the CLI byte for byte
    await _b(d.get, f"{base}/dashboard/export.csv?group=ga")
    downloaded = await _b(_wait_for_file, d.downloads, "attendance.csv")
    assert downloaded == await _cli_csv(w)
    assert downloaded.count(b"\n") == 1 + 5 * 3

    # logout works: the session is gone
    await _b(d.get, f"{base}/dashboard")

    def sign_out() -> None:
        from selenium.webdriver.common.by import By

        d.find_element(By.ID, "logout").click()
        _until(d, "signed out")

    await _b(sign_out)
    assert "signed out" in await _b(_text, d)
    await _b(d.get, f"{base}/dashboard")
    assert "not signed in" in await _b(_text, d)

    # an expired link is refused
    late = await link_for(w, "f-001")
    w.clock.advance(timedelta(minutes=11))
    await _b(d.get, late)
    assert "can't be used" in await _b(_text, d)
