"""`rollcall report --format html`: the attendance report through the dashboard's
templates (autoescaped) with the same server-drawn charts, as one self-contained file
(no scripts, fonts or anything fetched)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import tzinfo

from adapters.web import charts
from adapters.web.pages import ENV
from bot.core.domain import Flag
from bot.core.overview.views import weekly_points
from bot.core.reports.render import COLUMNS, ReportRow

#: what the HTML report shows after the CSV columns: engagement and the sign-off
HTML_EXTRA = ("participation", "signed_off_by")


def _cells(row: ReportRow, tz: tzinfo) -> dict[str, str]:
    r = row.record
    return {
        **row.cells(tz),
        "participation": r.participation.value if r.participation else "",
        "signed_off_by": row.signoff.by if row.signoff else "",
    }


def render_html(rows: Sequence[ReportRow], tz: tzinfo, title: str = "Attendance report") -> str:
    weeks = weekly_points(((r.session, r.record) for r in rows), tz)
    labels = [w.week for w in weeks]
    participants = len({r.record.person_id for r in rows}) or 1
    return ENV.get_template("report.html").render(
        title=title,
        columns=(*COLUMNS, *HTML_EXTRA),
        rows=[_cells(r, tz) for r in rows],
        attested=[Flag.ATTESTED_MINUTES in r.record.flags for r in rows],
        statuses=sorted(Counter(r.record.status.value for r in rows).items()),
        nonce="",
        rate_svg=charts.rate_trend(labels, [w.rate for w in weeks], "") if weeks else "",
        hours_svg=(
            charts.hours_per_participant(labels, [w.minutes / 60 / participants for w in weeks], "")
            if weeks
            else ""
        ),
    )
