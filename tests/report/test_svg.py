"""The report's hand-drawn SVG: simplified paths, gaps, legends, escaping."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import numpy as np

from vidreason.report.svg import (
    Bar,
    ObjectPath,
    capability_chart,
    legend_rows,
    path_overlay,
    polyline_points,
    simplify,
    tracks_plot,
)


def test_simplify_keeps_corners_and_drops_collinear_points() -> None:
    line = np.stack([np.arange(50.0), np.zeros(50)], axis=1)
    assert simplify(line).tolist() == [[0.0, 0.0], [49.0, 0.0]]
    corner = np.concatenate([line, np.stack([np.full(20, 49.0), np.arange(1.0, 21)], axis=1)])
    assert simplify(corner).tolist() == [[0.0, 0.0], [49.0, 0.0], [49.0, 20.0]]
    arc = np.stack([np.cos(np.linspace(0, 3, 200)), np.sin(np.linspace(0, 3, 200))], 1) * 100
    kept = simplify(arc, 0.4)
    assert 10 < len(kept) < 60


def test_polyline_breaks_where_the_object_was_lost_and_skips_still_stretches() -> None:
    xs = np.array([0, 10, 20, np.nan, 30, np.nan, 40, 40, 40], dtype=float)
    ys = np.array([0, 10, 20, np.nan, 5, np.nan, 7, 7, 7], dtype=float)
    assert polyline_points(xs, ys) == ["0,0 20,20"]


def _path(label: str = "red ball") -> ObjectPath:
    t = np.arange(10) / 10
    truth = np.stack([10 + 5 * t * 10, 20 + t * 30], axis=1)
    tracked = truth + 1
    tracked[3] = np.nan
    return ObjectPath(label, "#d62728", t, tracked, t, truth)


def test_overlay_draws_truth_dashed_tracked_solid_and_the_last_position() -> None:
    text = path_overlay([_path()], 320, 240)
    root = ET.fromstring(text)
    assert root.get("viewBox") == "0 0 320 240"
    lines = [e for e in root if e.tag.endswith("polyline")]
    dashed = [e for e in lines if e.get("stroke-dasharray")]
    assert len(dashed) == 1 and dashed[0].get("stroke") == "#d62728"
    assert len(lines) - len(dashed) == 2 * 2  # two stretches, each outlined and coloured
    dot = next(e for e in root if e.tag.endswith("circle"))
    assert (dot.get("cx"), dot.get("cy")) == ("56", "48")


def test_plot_names_every_object_and_escapes_labels() -> None:
    paths = [_path("red ball"), _path("<b>lid</b> & cup")]
    text = tracks_plot(paths, (256, 256), 3.0)
    ET.fromstring(text)  # well-formed
    assert ">red ball</text>" in text and "&lt;b&gt;lid&lt;/b&gt; &amp; cup" in text
    assert tracks_plot([], (256, 256), 3.0) == ""


def test_legend_rows_wrap() -> None:
    rows = legend_rows(["a" * 20] * 5, width=300, x0=30)
    assert len(rows) > 1 and all(len(r) >= 1 for r in rows)
    assert [i for r in rows for _, i in r] == list(range(5))


def test_chart_has_a_bar_per_entry_and_a_legend_per_model() -> None:
    bars = [
        Bar("good", "physics", 0.8, 0.7, 0.9),
        Bar("good", "causal", 0.5, float("nan"), float("nan")),
        Bar("bad", "physics", 0.1, 0.0, 0.2),
    ]
    text = capability_chart(
        bars, ["causal", "physics"], ["good", "bad"], {"good": "#111111", "bad": "#222222"}
    )
    ET.fromstring(text)
    assert len(re.findall(r"<title>", text)) == 3
    assert ">good</text>" in text and ">bad</text>" in text
    assert text.count("<path") == 2  # no whisker without an interval
    assert capability_chart([], [], [], {}) == ""
