"""CSV text without a `csv.writer` call per row: each distinct cell quoted once (a year's
export repeats a few thousand ids, times and words over ≈ 80,000 rows), a row joined
from the quoted cells. The same bytes as `csv.writer(f, lineterminator="\\n")` writes
(the tests hold the two equal), so a reader parses the same cells."""

from __future__ import annotations

import csv
import io


def quoted(text: str) -> str:
    """`text` as the default dialect writes it inside a row of two cells or more
    (quoted, its quotes doubled, when it holds a comma, a quote or a line break)."""
    buf = io.StringIO()
    # a second, empty cell: a row of one empty cell is written `""`, never as a cell
    csv.writer(buf, lineterminator="\n").writerow((text, ""))
    return buf.getvalue()[:-2]  # without the second cell's "," and the line's "\n"
