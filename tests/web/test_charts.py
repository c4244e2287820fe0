"""The server-side SVG charts: pure functions, labels escaped."""

from __future__ import annotations

from callcenter.web.supervision import charts


def test_charts_are_svg_and_escape_their_labels() -> None:
    svg = charts.bar_chart("<t>", ["<x>", "b"], [charts.Series("<s>", [3, None], "c-answered")])
    assert svg.startswith('<svg class="chart"') and "<x>" not in svg and "&lt;x&gt;" in svg and "&lt;s&gt;" in svg
    assert "<script" not in svg and "–" in svg  # a missing figure is shown as a dash
    share = charts.share_bar("share", [("a", 3, "c-answered"), ("b", 1, "c-abandoned")])
    assert "75%" in share and "25%" in share
    assert [charts.nice_max(v) for v in (0, 7, 23, 100, 101)] == [1.0, 10.0, 50.0, 100.0, 200.0]
