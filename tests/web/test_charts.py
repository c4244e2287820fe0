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


def test_the_shares_written_on_the_bar_add_up_to_100() -> None:
    """Issue 10 point 2: the demo's 60/12/12/36 of 121 calls was written 50/10/10/30 = 100, but
    56/12/12/19 = 99 on a bar that had lost busy; every rounding now sums to 100."""
    import re

    for counts in ((60, 12, 12, 36), (68, 15, 15, 23), (1, 1, 1), (2, 1, 1, 1, 1, 1), (7, 0, 0, 0, 1)):
        parts = [(f"o{i}", n, "c-answered") for i, n in enumerate(counts)]
        assert sum(charts.percentages(counts)) == 100, counts
        assert round(sum(charts.percentages(counts, 1)), 1) == 100.0, counts
        svg = charts.share_bar("share", parts, width=100_000)  # wide: every share is written
        assert sum(int(p) for p in re.findall(r">(\d+)%</text>", svg)) == 100, counts
    assert charts.percentages([68, 15, 15, 23]) == [56, 13, 12, 19]  # largest remainders get the unit
    assert charts.percentages([0, 0]) == [0.0, 0.0]
