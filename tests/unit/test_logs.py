"""`[logging] format = "json"`: one JSON object a line, ids only; the privacy filter stays
in front of it; `level` is honoured; and the config keys are checked."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from bot.config import ConfigError, parse_config
from bot.core.settings import LoggingConfig
from bot.shell import logs


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    yield stream
    for h in list(root.handlers):
        if h not in handlers:
            root.removeHandler(h)
    root.setLevel(level)


def test_json_lines_carry_ids_and_never_an_exceptions_text(captured: io.StringIO) -> None:
    logs.setup_logging(LoggingConfig(format="json", level="info"), stream=captured)
    log = logging.getLogger("rollcall.test")
    log.info("checked in %s", "p-001", extra={"request_id": "slack:T1:abc"})
    log.debug("not at info")
    try:
        raise ValueError("Jordan Q. said something private")
    except ValueError:
        log.exception("handling request failed")
    # a third-party record that would echo a body is dropped, json or not
    logging.getLogger("slack_bolt.App").warning("Invalid request signature; body=text=Jordan")
    lines = [json.loads(x) for x in captured.getvalue().splitlines()]
    assert [x["msg"] for x in lines] == ["checked in p-001", "handling request failed"]
    first, second = lines
    assert first["level"] == "info" and first["logger"] == "rollcall.test"
    assert first["request_id"] == "slack:T1:abc"
    assert first["ts"].endswith("+00:00")
    assert second["exc_type"] == "ValueError"
    assert "Jordan" not in captured.getvalue()


def test_text_format_and_level(captured: io.StringIO) -> None:
    logging.getLogger("rollcall").setLevel(logging.NOTSET)  # the suite's log scanner sets INFO
    quiet = LoggingConfig(format="text", level="warning")
    logs.setup_logging(quiet, stream=captured)
    logs.setup_logging(quiet, stream=captured)  # again: still one handler
    logging.getLogger("rollcall.test").info("quiet")
    logging.getLogger("rollcall.test").warning("loud %s", "g-1")
    (line,) = captured.getvalue().splitlines()
    assert line.endswith(" WARNING rollcall.test: loud g-1")


def test_logging_keys_are_checked() -> None:
    config = parse_config('[logging]\nformat = "json"\nlevel = "debug"\n', {})
    assert config.logging == LoggingConfig(format="json", level="debug")
    assert parse_config("", {}).logging == LoggingConfig()
    with pytest.raises(ConfigError) as e:
        parse_config('[logging]\nformat = "xml"\nlevl = "info"\n', {})
    assert 'logging.format: must be one of text, json, got "xml"' in str(e.value)
    assert "logging.levl: unknown key" in str(e.value)
