"""Test helper: a session's row for a person in the CSV report, as `rollcall report
--format csv` writes it (PRODUCT.md's columns)."""

from __future__ import annotations

import csv
import io

from bot.core.engine import Engine
from bot.core.reports.render import COLUMNS, to_csv


async def csv_row(engine: Engine, session_id: str, person_id: str) -> dict[str, str]:
    rows = await engine.report_rows(person_id=person_id)
    reader = csv.DictReader(io.StringIO(to_csv(rows, engine.timezone)))
    assert reader.fieldnames == list(COLUMNS)
    (row,) = [r for r in reader if r["session_id"] == session_id]
    return row
