"""The report's pictures as small SVG text, drawn by hand: no plotting library, no raster, and the
same numbers always give the same bytes.

- ``capability_chart``: grouped bars of each model's mean per capability with its 95% CI,
  a legend of the models;
- ``path_overlay``: the tracked path of each object (solid, its own colour, a dot where it
  was last found) over the ground-truth path (dashed), in the video's pixel frame, laid
  over the playing video;
- ``tracks_plot``: x(t) and y(t) of each object, tracked (solid) against ground truth
  (dashed), in the object's colour, with a legend naming every object.

Each function takes plain numbers and returns one ``<svg>`` element as a string; every text
it writes goes through ``esc``. To add a picture, add a function here and show it from
``html.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

import numpy as np

FONT = 'font-family="system-ui, sans-serif"'
TRUTH_DASH = "5 4"


def esc(text: object) -> str:
    return escape(str(text), quote=True)


def hex_colour(rgb: Sequence[int]) -> str:
    return "#" + "".join(f"{int(c):02x}" for c in rgb[:3])


def _n(x: float) -> str:
    """A coordinate with one decimal, without a trailing ``.0``."""
    s = f"{x:.1f}"
    return s[:-2] if s.endswith(".0") else s


def simplify(points: np.ndarray, tolerance: float = 0.4) -> np.ndarray:
    """Ramer-Douglas-Peucker: the fewest points whose line stays within ``tolerance`` px."""
    if len(points) <= 2:
        return points
    keep = np.zeros(len(points), dtype=bool)
    keep[[0, -1]] = True
    stack = [(0, len(points) - 1)]
    while stack:
        a, b = stack.pop()
        if b - a < 2:
            continue
        seg = points[b] - points[a]
        rel = points[a + 1 : b] - points[a]
        length = float(np.hypot(*seg))
        if length > 0:
            dist = np.abs(seg[0] * rel[:, 1] - seg[1] * rel[:, 0]) / length
        else:
            dist = np.hypot(rel[:, 0], rel[:, 1])
        k = int(np.argmax(dist))
        if dist[k] > tolerance:
            keep[a + 1 + k] = True
            stack += [(a, a + 1 + k), (a + 1 + k, b)]
    return points[keep]


def polyline_points(xs: np.ndarray, ys: np.ndarray, tolerance: float = 0.4) -> list[str]:
    """``points`` attributes of the stretches without NaN, simplified to ``tolerance`` px;
    a stretch that does not move (or has one point) draws nothing."""
    pts = np.stack([np.asarray(xs, dtype=float), np.asarray(ys, dtype=float)], axis=1)
    ok = np.isfinite(pts).all(axis=1)
    edges = np.flatnonzero(np.diff(np.concatenate([[0], ok.astype(np.int8), [0]])))
    out = []
    for a, b in zip(edges[::2], edges[1::2], strict=True):
        run = simplify(pts[a:b], tolerance)
        if len(run) >= 2 and np.ptp(run, axis=0).max() > tolerance:
            out.append(" ".join(f"{_n(x)},{_n(y)}" for x, y in run))
    return out


def _lines(points: list[str], style: str) -> str:
    return "".join(f'<polyline points="{p}" {style}/>' for p in points)


# --------------------------------------------------------------------------- chart


@dataclass(frozen=True)
class Bar:
    model: str
    group: str
    mean: float
    low: float
    high: float


def capability_chart(
    bars: Sequence[Bar], groups: Sequence[str], models: Sequence[str], colours: dict[str, str]
) -> str:
    """Grouped bars, one group per capability and one bar per model, with CI whiskers."""
    if not bars or not groups or not models:
        return ""
    bar_w, pad, left, top, plot_h = 16, 14, 52, 12, 180
    group_w = bar_w * len(models) + pad
    legend_w = 16 + 8 * max(len(m) for m in models)
    width = left + group_w * len(groups) + 16 + legend_w
    height = top + plot_h + 40
    y = lambda v: top + plot_h * (1 - max(0.0, min(1.0, v)))  # noqa: E731
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" '
        f'aria-label="mean score per model and capability" {FONT} font-size="11">'
    ]
    for tick in (0.0, 0.25, 0.5, 0.75, 1.0):
        parts.append(
            f'<line x1="{left}" x2="{left + group_w * len(groups)}" y1="{_n(y(tick))}" '
            f'y2="{_n(y(tick))}" stroke="#ddd"/>'
            f'<text x="{left - 4}" y="{_n(y(tick) + 4)}" text-anchor="end">{tick:.2f}</text>'
        )
    found = {(b.model, b.group): b for b in bars}
    for j, group in enumerate(groups):
        x0 = left + j * group_w + pad / 2
        parts.append(
            f'<text x="{_n(x0 + bar_w * len(models) / 2)}" y="{top + plot_h + 16}" '
            f'text-anchor="middle">{esc(group)}</text>'
        )
        for k, model in enumerate(models):
            b = found.get((model, group))
            if b is None:
                continue
            x = x0 + k * bar_w
            parts.append(
                f'<rect x="{_n(x + 1)}" y="{_n(y(b.mean))}" width="{bar_w - 2}" '
                f'height="{_n(y(0) - y(b.mean))}" fill="{colours[model]}">'
                f"<title>{esc(model)}, {esc(group)}: {b.mean:.3f} "
                f"[{b.low:.3f}, {b.high:.3f}]</title></rect>"
            )
            if np.isfinite(b.low) and np.isfinite(b.high):
                cx = _n(x + bar_w / 2)
                parts.append(
                    f'<path d="M{cx} {_n(y(b.low))}V{_n(y(b.high))}'
                    f"M{_n(x + 4)} {_n(y(b.low))}H{_n(x + bar_w - 4)}"
                    f'M{_n(x + 4)} {_n(y(b.high))}H{_n(x + bar_w - 4)}" stroke="#222"/>'
                )
    lx = left + group_w * len(groups) + 16
    for k, model in enumerate(models):
        ly = top + 4 + 16 * k
        parts.append(
            f'<rect x="{lx}" y="{ly}" width="10" height="10" fill="{colours[model]}"/>'
            f'<text x="{lx + 14}" y="{ly + 9}">{esc(model)}</text>'
        )
    parts.append(
        f'<text x="12" y="{_n(top + plot_h / 2)}" transform="rotate(-90 12 {_n(top + plot_h / 2)})" '
        f'text-anchor="middle">mean score</text></svg>'
    )
    return "".join(parts)


# --------------------------------------------------------------------------- tracks


@dataclass(frozen=True)
class ObjectPath:
    """One object's tracked and true positions, in the frame the picture is drawn in."""

    label: str
    colour: str  # "#rrggbb"
    times: np.ndarray  # tracked frame times (s)
    tracked: np.ndarray  # (n, 2), NaN where not found
    truth_times: np.ndarray
    truth: np.ndarray  # (m, 2)


def path_overlay(paths: Sequence[ObjectPath], width: int, height: int) -> str:
    """Tracked (solid, outlined) over true (dashed) paths, sized to lie over a video."""
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" preserveAspectRatio="none">'
    ]
    for p in paths:
        truth = polyline_points(p.truth[:, 0], p.truth[:, 1])
        parts.append(
            _lines(
                truth,
                f'fill="none" stroke="{p.colour}" stroke-width="1.5" '
                f'stroke-dasharray="{TRUTH_DASH}" opacity="0.9"',
            )
        )
    for p in paths:
        tracked = polyline_points(p.tracked[:, 0], p.tracked[:, 1])
        parts.append(_lines(tracked, 'fill="none" stroke="#1e1e1e" stroke-width="4"'))
        parts.append(_lines(tracked, f'fill="none" stroke="{p.colour}" stroke-width="2"'))
        found = np.flatnonzero(np.isfinite(p.tracked).all(axis=1))
        if len(found):  # where it was last found: visible even when it never moved
            x, y = p.tracked[found[-1]]
            parts.append(
                f'<circle cx="{_n(x)}" cy="{_n(y)}" r="3.5" fill="{p.colour}" '
                f'stroke="#1e1e1e" stroke-width="1.5"/>'
            )
    parts.append("</svg>")
    return "".join(parts)


def axis_limits(
    values: np.ndarray, extent: float, min_fraction: float = 0.25
) -> tuple[float, float]:
    """Data range padded by 5%, at least ``min_fraction`` of the frame: sub-pixel jitter stays flat."""
    finite = values[np.isfinite(values)]
    if len(finite) == 0:
        return 0.0, float(extent)
    lo, hi = float(finite.min()), float(finite.max())
    span = max(1.1 * (hi - lo), min_fraction * extent)
    mid = (lo + hi) / 2
    return mid - span / 2, mid + span / 2


def legend_rows(labels: Sequence[str], width: float, x0: float) -> list[list[tuple[float, int]]]:
    """Legend entries flowed into rows no wider than ``width``: (x, index) per entry."""
    rows: list[list[tuple[float, int]]] = [[]]
    x = x0
    for i, label in enumerate(labels):
        w = 30 + 6 * len(label) + 12
        if rows[-1] and x + w > width:
            rows.append([])
            x = x0
        rows[-1].append((x, i))
        x += w
    return rows


def tracks_plot(paths: Sequence[ObjectPath], size: tuple[int, int], duration: float) -> str:
    """Two panels, x(t) and y(t) (y down, as in the video), and a legend of the objects."""
    if not paths:
        return ""
    pw, ph, left, top, gap = 160, 110, 34, 8, 44
    width = left + 2 * pw + gap + 8
    rows = legend_rows([p.label for p in paths], width, left)
    height = top + ph + 50 + 16 * len(rows)
    t_max = max(duration, 1e-6)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" {FONT} font-size="10">'
        f'<rect width="{width}" height="{height}" fill="#fff"/>'
    ]
    for k, name in enumerate(("x", "y")):
        x0 = left + k * (pw + gap)
        values = np.concatenate([np.r_[p.tracked[:, k], p.truth[:, k]] for p in paths])
        lo, hi = axis_limits(values, size[k])
        sx = lambda t, x0=x0: x0 + pw * t / t_max  # noqa: E731
        if k == 0:
            sy = lambda v, lo=lo, hi=hi: top + ph * (hi - v) / (hi - lo)  # noqa: E731
        else:  # y points down in the scene: keep up as up
            sy = lambda v, lo=lo, hi=hi: top + ph * (v - lo) / (hi - lo)  # noqa: E731
        parts.append(
            f'<rect x="{x0}" y="{top}" width="{pw}" height="{ph}" fill="none" stroke="#bbb"/>'
            f'<text x="{x0 + pw / 2}" y="{top + ph + 12}" text-anchor="middle">'
            f"{name} (px) over {t_max:.1f} s</text>"
            f'<text x="{x0 - 3}" y="{top + 8}" text-anchor="end">{lo if k else hi:.0f}</text>'
            f'<text x="{x0 - 3}" y="{top + ph}" text-anchor="end">{hi if k else lo:.0f}</text>'
        )
        for p in paths:
            truth = polyline_points(sx(p.truth_times), sy(p.truth[:, k]))
            tracked = polyline_points(sx(p.times), sy(p.tracked[:, k]))
            parts.append(
                _lines(
                    truth,
                    f'fill="none" stroke="{p.colour}" stroke-width="1.5" '
                    f'stroke-dasharray="{TRUTH_DASH}"',
                )
            )
            parts.append(_lines(tracked, 'fill="none" stroke="#1e1e1e" stroke-width="3"'))
            parts.append(_lines(tracked, f'fill="none" stroke="{p.colour}" stroke-width="1.5"'))
    ly = top + ph + 30
    parts.append(
        f'<line x1="{left}" x2="{left + 22}" y1="{ly}" y2="{ly}" stroke="#555" '
        f'stroke-dasharray="{TRUTH_DASH}"/><text x="{left + 26}" y="{ly + 3}">ground truth</text>'
        f'<line x1="{left + 110}" x2="{left + 132}" y1="{ly}" y2="{ly}" stroke="#555" '
        f'stroke-width="2"/><text x="{left + 136}" y="{ly + 3}">tracked in the video</text>'
    )
    for r, row in enumerate(rows):
        y = ly + 16 * (r + 1)
        for x, i in row:
            parts.append(
                f'<rect x="{_n(x)}" y="{y - 5}" width="22" height="8" fill="{paths[i].colour}" '
                f'stroke="#1e1e1e"/><text x="{_n(x + 26)}" y="{y + 3}">{esc(paths[i].label)}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)
