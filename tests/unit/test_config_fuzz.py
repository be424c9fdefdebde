"""Whatever the file holds, the loader answers with a config or a `ConfigError` in its own words:
never a traceback, never pydantic's wording."""

from __future__ import annotations

import tomllib
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.config import ConfigError
from bot.config.loading import read_toml

EXAMPLE = tomllib.loads(
    (Path(__file__).resolve().parents[2] / "config.example.toml").read_text(encoding="utf-8")
)
ODD = st.sampled_from(
    [1, -1, 0, 2.5, float("nan"), True, "", " ", "x", "${X}", "${}", "$${X}", "${Y} z", [],
     [1], ["a", "a"], {}, {"a": 1}, [{}], date(2026, 1, 1), time(9), datetime(2026, 1, 1, 9),
     "18:00", "24h", "FREQ=DAILY", "+15550100000", "a@b.org", "85746352000"]
)  # fmt: skip


def mutated(node: Any, draw: Any) -> Any:
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            choice = draw(st.integers(0, 19))
            if choice == 0:
                out[key] = draw(ODD)
            elif choice != 1:  # 1: the key is left out
                out[key] = mutated(value, draw)
        if draw(st.integers(0, 19)) == 0:
            out[draw(st.sampled_from(["enabled", "mode", "colour", "from", "date"]))] = draw(ODD)
        return out
    if isinstance(node, list):
        return [mutated(item, draw) for item in node]
    return node


@settings(max_examples=60, deadline=None)
@given(st.data(), st.sampled_from([{}, {"X": "1", "Y": "true"}, {"X": ""}]))
def test_any_config_gets_a_config_or_a_clear_error(data: Any, env: dict[str, str]) -> None:
    doc = mutated(EXAMPLE, data.draw)
    try:
        read_toml(doc, env, "c.toml", None)
    except ConfigError as e:
        assert e.errors
        for line in e.errors:
            assert ": " in line and "Input should" not in line and "Value error" not in line
