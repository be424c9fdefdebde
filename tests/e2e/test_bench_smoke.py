"""The benchmark suite's smoke run: every benchmark at a toy size completes and its
checker passes (nothing lost, nothing doubled, every export written, every reminder
delivered once). Never a timing: the figures themselves are `make bench`'s business."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


# a few dozen seconds on an idle machine; generous for a shared one (not a timed test)
@pytest.mark.timeout(900)
def test_every_benchmark_completes_at_a_toy_size(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--tiny", "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    results = json.loads(out.read_text(encoding="utf-8"))
    assert results["checks"] and all(results["checks"].values()), results["checks"]
    assert {"storm", "zoom", "ingest", "roster", "history", "reminders", "startup"} <= set(
        results["checks"]
    )
    assert results["storm"]["lost"] == 0 and results["storm"]["doubled"] == 0
    table = out.with_suffix(".md").read_text(encoding="utf-8")
    assert "| B1 in the store | lost 0, doubled 0" in table
