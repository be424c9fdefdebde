"""`[program.billing]` and the dashboard's `[server]` keys."""

from __future__ import annotations

from bot.config import parse_config
from bot.core.domain import BillingRules
from tests.unit.test_config import error_of


def test_billing_defaults_and_values() -> None:
    assert parse_config("", {}).program.billing == BillingRules()
    cfg = parse_config(
        "[program.billing]\nmin_minutes_per_day = 120\nmin_days_per_week = 2\n"
        "min_minutes_per_week = 540\n",
        {},
    )
    assert cfg.program.billing == BillingRules(
        min_minutes_per_day=120, min_days_per_week=2, min_minutes_per_week=540
    )


def test_billing_mistakes_are_named() -> None:
    assert "program.billing.min_days_per_week" in error_of(
        "[program.billing]\nmin_days_per_week = 8\n"
    )
    assert "program.billing.min_minutes_per_day" in error_of(
        '[program.billing]\nmin_minutes_per_day = "lots"\n'
    )
    assert "program.billing.per_fortnight" in error_of("[program.billing]\nper_fortnight = 1\n")


def test_public_url_and_dashboard_secret() -> None:
    cfg = parse_config(
        '[server]\npublic_url = "https://rc.example.org/"\ndashboard_secret = "${DASH}"\n',
        {"DASH": "s3cret"},
    )
    assert cfg.server.public_url == "https://rc.example.org"
    assert cfg.server.dashboard_secret == "s3cret" and "s3cret" not in repr(cfg.server)
    assert "server.public_url" in error_of('[server]\npublic_url = "rc.example.org"\n')
    assert "DASH" in error_of('[server]\ndashboard_secret = "${DASH}"\n')
