"""Charts as inline SVG, drawn on the server by pygal: no scripts, fonts or CDNs.

pygal embeds a small configuration <script> in every SVG for its optional tooltips;
it is stripped (the page's Content-Security-Policy allows no script at all), and its
<style> elements get the page's CSP nonce.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import pygal
from pygal.style import Style

_SCRIPT = re.compile(r"<script\b.*?</script>", re.DOTALL | re.IGNORECASE)
_STYLE = re.compile(r"<style\b", re.IGNORECASE)
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)

STYLE = Style(
    background="white",
    plot_background="white",
    foreground="#333",
    foreground_strong="#111",
    foreground_subtle="#777",
    font_family="system-ui, sans-serif",
    colors=("#2f6db5", "#c0392b", "#27ae60", "#8e44ad", "#d35400"),
)


def _common(title: str, labels: Sequence[str]) -> dict[str, object]:
    return {
        "title": title,
        "x_labels": list(labels),
        "width": 640,
        "height": 260,
        "explicit_size": True,
        "js": [],
        "disable_xml_declaration": True,
        "style": STYLE,
        "x_label_rotation": 30 if len(labels) > 6 else 0,
        "legend_at_bottom": True,
        "print_values": False,
        "show_dots": True,
    }


def _svg(chart: pygal.graph.graph.Graph, nonce: str) -> str:
    text = chart.render(is_unicode=True)
    text = _COMMENT.sub("", _SCRIPT.sub("", text))
    return _STYLE.sub(f'<style nonce="{nonce}"', text)


def rate_trend(labels: Sequence[str], rates: Sequence[float | None], nonce: str) -> str:
    chart = pygal.Line(**_common("Attendance rate by week (%)", labels), range=(0, 100))
    chart.add("attended", [None if r is None else round(r * 100) for r in rates])
    return _svg(chart, nonce)


def weekly_hours(labels: Sequence[str], hours: Sequence[float], minimum: float, nonce: str) -> str:
    chart = pygal.Bar(**_common("Hours per week against the minimum", labels))
    chart.add("attended (h)", [round(h, 1) for h in hours])
    chart.add("minimum (h)", [minimum] * len(labels))
    return _svg(chart, nonce)


def ratings(labels: Sequence[str], series: Mapping[str, Sequence[float | None]], nonce: str) -> str:
    chart = pygal.Line(**_common("Survey ratings (1–5)", labels), range=(1, 5))
    for name, values in series.items():
        chart.add(name, [None if v is None else round(v, 2) for v in values])
    return _svg(chart, nonce)


def hours_per_participant(labels: Sequence[str], hours: Sequence[float], nonce: str) -> str:
    chart = pygal.Bar(**_common("Hours attended per participant, by week", labels))
    chart.add("hours", [round(h, 1) for h in hours])
    return _svg(chart, nonce)
