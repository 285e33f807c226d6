"""The self-contained HTML report of one run directory.

``write_report(run_dir)`` reads the run's results store and writes one HTML file that needs
nothing else: CSS is inline, every picture is a base64 PNG data URI, and the only script is
a few lines that mark ``<body data-ready="ok">`` once every image has decoded (the browser
test waits for it). The page holds:

- the leaderboard (model x family and model x capability: n, mean, 95% CI, pass rate),
  models ranked by ``aggregate.model_ranking``;
- a bar chart of each model's mean per capability with its confidence interval;
- per capability, per family: the law tested, each model's mean, and a gallery of the first
  few instances: for each model a strip of frames from its video with the tracked path
  (object colour) over the ground-truth path (grey, dashed), its score and explanation,
  and an x(t) / y(t) plot of the tracks against ground truth;
- counterfactual pairs of the causal families, scored jointly (``vidreason.pairs``);
- the verifier audit, when ``vidreason audit --run-dir`` wrote one;
- the rows that could not be scored (unreadable videos, missing instances).

The page is built in two steps: functions here turn rows into plain view records
(``FamilyView``, ``ExampleView`` ...) and ``templates/report.html.j2`` lays them out, with
autoescaping on. To add a section, compute its data in a small function, add it to the
dict returned by ``build_context`` and render it in the template. Pictures go through
``png_data_uri`` (arrays) or ``figure_data_uri`` (matplotlib figures). matplotlib is
imported lazily and drawn with the Agg canvas only (no pyplot, no global backend change).
"""

from __future__ import annotations

import base64
import io
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import cv2
import numpy as np

from vidreason.report.aggregate import Entry, leaderboard, model_ranking, pair_leaderboard
from vidreason.store import Row, rows

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from vidreason.types import Instance
    from vidreason.verifiers.tracking import Tracks

REPORT_FILE = "report.html"
TEMPLATE = "report.html.j2"
STRIP_FRAMES = 4
MAX_TILE = 256  # px: strip tiles are downscaled to at most this width
GAP = 4  # px between the tiles of a strip
SHIFT = 4  # OpenCV fixed-point bits: sub-pixel, anti-aliased lines
GT_GREY = (110, 110, 110)
OUTLINE = (30, 30, 30)
MODEL_COLOURS = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
)


# --------------------------------------------------------------------------- view records


@dataclass(frozen=True)
class StripView:
    """One model's video of one instance: a drawn frame strip, or why there is none."""

    model: str
    video: str
    value: float
    passed: bool
    explanation: str
    error: str
    image: str = ""  # PNG data URI


@dataclass(frozen=True)
class ExampleView:
    """One instance of a family with every model's strip and a tracks-vs-truth plot."""

    idx: int
    difficulty: int
    instance_dir: str
    prompt: str
    strips: list[StripView]
    plot: str = ""  # PNG data URI
    error: str = ""


@dataclass(frozen=True)
class FamilyView:
    family: str
    capability: str
    law: str
    entries: list[Entry]  # one per model, ranking order
    examples: list[ExampleView]


@dataclass(frozen=True)
class CapabilityView:
    capability: str
    entries: list[Entry]  # pooled capability rows, ranking order
    families: list[FamilyView]


# --------------------------------------------------------------------------- public API


def write_report(run_dir: Path, out: Path | None = None, examples_per_family: int = 2) -> Path:
    """Write the HTML report of ``run_dir`` (default ``run_dir/report.html``); return its path."""
    run_dir = Path(run_dir)
    out = Path(out) if out is not None else run_dir / REPORT_FILE
    html = render_html(build_context(run_dir, examples_per_family))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(html, encoding="utf-8")
    return out


def build_context(run_dir: Path, examples_per_family: int = 2) -> dict[str, Any]:
    """Everything the template shows, as plain data."""
    all_rows = rows(run_dir)
    entries = leaderboard(all_rows)
    ranking = model_ranking(entries)
    models = [m for m, _ in ranking]
    colours = model_colours(models)
    return {
        "run_dir": str(run_dir),
        "n_rows": len(all_rows),
        "ranking": ranking,
        "model_colours": colours,
        "board": ranked_entries(entries, models),
        "chart": capability_chart(entries, models, colours),
        "capabilities": capability_views(
            run_dir, all_rows, entries, models, colours, examples_per_family
        ),
        "errors": [r for r in all_rows if r.error],
        "audit": audit_view(run_dir),
        "pairs": pairs_view(all_rows, models),
    }


def pairs_view(all_rows: list[Row], models: Sequence[str]) -> dict[str, Any] | None:
    """Counterfactual pairs scored jointly: a board per model x family and every pair."""
    from vidreason.pairs import score_pairs

    results = score_pairs(all_rows)
    if not results:
        return None
    order = {m: i for i, m in enumerate(models)}
    board = sorted(pair_leaderboard(all_rows), key=lambda e: (order.get(e.model, 0), e.family))
    results = sorted(results, key=lambda p: (order.get(p.model, 0), p.pair))
    return {"board": board, "results": results}


AUDIT_FILE = "audit.json"


def audit_view(run_dir: Path) -> dict[str, Any] | None:
    """The audit written to ``run_dir/audit.json`` by ``vidreason audit --run-dir``, as
    rows per family with a verdict against the targets; None when there is none."""
    import json

    path = Path(run_dir) / AUDIT_FILE
    if not path.is_file():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    aucs = {r["family"]: r["auroc"] for r in data if "auroc" in r}
    families = []
    for family in sorted({r["family"] for r in data}):
        rows_ = [r for r in data if r["family"] == family and "kind" in r]
        for r in rows_:
            r["ok"] = r["rate"] >= 0.95 if r["kind"] == "violation" else r["rate"] <= 0.02
        auc = aucs.get(family, float("nan"))
        families.append({"family": family, "auroc": auc, "auroc_ok": auc >= 0.98, "rows": rows_})
    return {"families": families}


def render_html(context: dict[str, Any]) -> str:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("vidreason", "report/templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["num"] = fmt_num
    env.filters["pct"] = fmt_pct
    env.filters["basename"] = lambda p: Path(p).name
    return env.get_template(TEMPLATE).render(**context)


# --------------------------------------------------------------------------- tables


def fmt_num(x: float) -> str:
    return "–" if x is None or np.isnan(x) else f"{x:.3f}"


def fmt_pct(x: float) -> str:
    return "–" if x is None or np.isnan(x) else f"{100 * x:.0f}%"


def model_colours(models: Sequence[str]) -> dict[str, str]:
    return {m: MODEL_COLOURS[i % len(MODEL_COLOURS)] for i, m in enumerate(models)}


def ranked_entries(entries: Iterable[Entry], models: Sequence[str]) -> list[Entry]:
    """Leaderboard rows grouped by model in ranking order; family rows before pooled rows."""
    order = {m: i for i, m in enumerate(models)}
    return sorted(
        entries,
        key=lambda e: (order.get(e.model, len(order)), e.family == "*", e.capability, e.family),
    )


def _by_model(entries: Iterable[Entry], models: Sequence[str]) -> list[Entry]:
    found = {e.model: e for e in entries}
    return [found[m] for m in models if m in found]


# --------------------------------------------------------------------------- sections


def capability_views(
    run_dir: Path,
    all_rows: list[Row],
    entries: list[Entry],
    models: Sequence[str],
    colours: dict[str, str],
    examples_per_family: int,
) -> list[CapabilityView]:
    by_family: dict[str, list[Row]] = defaultdict(list)
    for r in all_rows:
        by_family[r.family].append(r)
    views = []
    for cap in sorted({r.capability for r in all_rows}):
        families = sorted(f for f, rs in by_family.items() if rs[0].capability == cap)
        fam_views = [
            family_view(run_dir, f, by_family[f], entries, models, colours, examples_per_family)
            for f in families
        ]
        pooled = [e for e in entries if e.family == "*" and e.capability == cap]
        views.append(CapabilityView(cap, _by_model(pooled, models), fam_views))
    return views


def family_law(family: str) -> str:
    from vidreason.tasks import get_family

    try:
        return get_family(family).law
    except (KeyError, ValueError) as exc:
        return f"(unknown family: {exc})"


def family_view(
    run_dir: Path,
    family: str,
    fam_rows: list[Row],
    entries: list[Entry],
    models: Sequence[str],
    colours: dict[str, str],
    examples_per_family: int,
) -> FamilyView:
    fam_entries = _by_model((e for e in entries if e.family == family), models)
    indices = sorted({r.idx for r in fam_rows})[: max(examples_per_family, 0)]
    examples = [
        example_view(run_dir, [r for r in fam_rows if r.idx == i], models, colours) for i in indices
    ]
    return FamilyView(family, fam_rows[0].capability, family_law(family), fam_entries, examples)


def resolve(run_dir: Path, path: str) -> Path:
    """A stored path: absolute as is, else relative to the run directory if it exists there."""
    p = Path(path)
    if p.is_absolute():
        return p
    return run_dir / p if (run_dir / p).exists() else p


def _first_per_model(idx_rows: list[Row], models: Sequence[str]) -> list[Row]:
    first: dict[str, Row] = {}
    for r in idx_rows:
        first.setdefault(r.model, r)
    return [first[m] for m in models if m in first]


def example_view(
    run_dir: Path, idx_rows: list[Row], models: Sequence[str], colours: dict[str, str]
) -> ExampleView:
    from vidreason.instance_io import InstanceError, load_instance

    picked = _first_per_model(idx_rows, models)
    head = picked[0]
    try:
        instance = load_instance(resolve(run_dir, head.instance_dir))
    except InstanceError as exc:
        strips = [_strip_record(r, error=r.error or str(exc)) for r in picked]
        return ExampleView(head.idx, head.difficulty, head.instance_dir, "", strips, error=str(exc))
    strips, tracks = [], {}
    for r in picked:
        strip, tr = strip_view(run_dir, r, instance)
        strips.append(strip)
        if tr is not None:
            tracks[r.model] = tr
    plot = tracks_plot(instance, tracks, colours)
    return ExampleView(
        head.idx, head.difficulty, head.instance_dir, instance.prompt, strips, plot=plot
    )


def _strip_record(row: Row, error: str = "", image: str = "") -> StripView:
    return StripView(
        model=row.model,
        video=row.video,
        value=row.value,
        passed=row.passed,
        explanation=row.explanation,
        error=error,
        image=image,
    )


def strip_view(run_dir: Path, row: Row, instance: Instance) -> tuple[StripView, Tracks | None]:
    """Decode and track one row's video and draw its strip; the error text if unreadable."""
    from vidreason.render.video_io import VideoError, read_video
    from vidreason.verifiers.tracking import track_frames

    try:
        frames = read_video(resolve(run_dir, row.video)).frames
    except VideoError as exc:
        return _strip_record(row, error=row.error or str(exc)), None
    tracks = track_frames(frames, instance)
    return _strip_record(
        row, error=row.error, image=png_data_uri(draw_strip(tracks, instance))
    ), tracks


# --------------------------------------------------------------------------- drawing


def png_data_uri(rgb: np.ndarray) -> str:
    ok, buf = cv2.imencode(".png", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    if not ok:  # pragma: no cover - OpenCV encodes any uint8 image
        raise ValueError("PNG encoding failed")
    return "data:image/png;base64," + base64.b64encode(buf.tobytes()).decode("ascii")


def strip_indices(n: int, k: int = STRIP_FRAMES) -> list[int]:
    """First, evenly spaced middle and last frame indices (fewer for very short videos)."""
    if n <= 1:
        return [0]
    return sorted({round(j * (n - 1) / (k - 1)) for j in range(k)})


def truth_path(instance: Instance, name: str) -> np.ndarray:
    return np.asarray(instance.trajectory.positions(name), dtype=float)


def truth_times(instance: Instance) -> np.ndarray:
    return np.arange(instance.trajectory.n_frames) / instance.spec.fmt.fps


def truth_at(instance: Instance, name: str, t: float) -> tuple[float, float]:
    path, times = truth_path(instance, name), truth_times(instance)
    return float(np.interp(t, times, path[:, 0])), float(np.interp(t, times, path[:, 1]))


def _fixed(points: np.ndarray) -> np.ndarray:
    return np.round(points * (1 << SHIFT)).astype(np.int32).reshape(-1, 1, 2)


def finite_runs(points: np.ndarray) -> list[np.ndarray]:
    """The stretches of a (n, 2) path without NaN, each at least two points long."""
    ok = ~np.isnan(points).any(axis=1)
    runs, start = [], None
    for i, good in enumerate([*ok, False]):
        if good and start is None:
            start = i
        elif not good and start is not None:
            if i - start >= 2:
                runs.append(points[start:i])
            start = None
    return runs


def draw_path(img: np.ndarray, points: np.ndarray, colour: tuple[int, ...], thickness: int) -> None:
    """A polyline through the found points, broken where the object was not found."""
    runs = [_fixed(r) for r in finite_runs(points)]
    if runs:
        cv2.polylines(img, runs, False, OUTLINE, thickness + 2, cv2.LINE_AA, SHIFT)
        cv2.polylines(img, runs, False, colour, thickness, cv2.LINE_AA, SHIFT)


def draw_dashed(
    img: np.ndarray, points: np.ndarray, colour: tuple[int, ...], dash: float = 5, gap: float = 4
) -> None:
    """A thin dashed polyline: the path resampled every pixel, drawn where ``s mod period < dash``."""
    if len(points) < 2:
        return
    s = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(points, axis=0), axis=1))])
    if s[-1] <= 0:
        return
    t = np.arange(0.0, s[-1], 1.0)
    pts = np.stack([np.interp(t, s, points[:, 0]), np.interp(t, s, points[:, 1])], axis=1)
    on = (t % (dash + gap)) < dash
    dashes = [_fixed(pts[a:b]) for a, b in _true_runs(on) if b - a >= 2]
    if dashes:
        cv2.polylines(img, dashes, False, colour, 1, cv2.LINE_AA, SHIFT)


def _true_runs(mask: np.ndarray) -> list[tuple[int, int]]:
    edges = np.flatnonzero(np.diff(np.concatenate([[0], mask.astype(np.int8), [0]])))
    return list(zip(edges[::2], edges[1::2], strict=True))


def draw_tile(tracks: Tracks, instance: Instance, i: int) -> np.ndarray:
    """Frame ``i`` of the normalised video with ground truth (grey) and the track so far."""
    img = tracks.frames[i].copy()
    t = float(tracks.times[i])
    for body in instance.spec.bodies:
        draw_dashed(img, truth_path(instance, body.name), GT_GREY)
        centre = tuple(int(v) for v in _fixed(np.array(truth_at(instance, body.name, t)))[0, 0])
        radius = round(body.radius * (1 << SHIFT))
        cv2.circle(img, centre, radius, GT_GREY, 1, cv2.LINE_AA, SHIFT)
    for body in instance.spec.bodies:
        draw_path(img, tracks.pos[body.name][: i + 1], tuple(int(c) for c in body.colour), 2)
        x, y = tracks.pos[body.name][i]
        if not np.isnan(x):
            cv2.drawMarker(img, (round(x), round(y)), OUTLINE, cv2.MARKER_CROSS, 7, 1, cv2.LINE_AA)
    _label(img, f"t={t:.2f}s  #{i}")
    return img


def _label(img: np.ndarray, text: str) -> None:
    font, scale = cv2.FONT_HERSHEY_SIMPLEX, 0.38
    (w, h), base = cv2.getTextSize(text, font, scale, 1)
    cv2.rectangle(img, (2, 2), (8 + w, 8 + h + base), (255, 255, 255), -1)
    cv2.putText(img, text, (5, 5 + h), font, scale, OUTLINE, 1, cv2.LINE_AA)


def draw_strip(tracks: Tracks, instance: Instance) -> np.ndarray:
    """The tiles of ``strip_indices`` side by side, separated by white gaps."""
    tiles = [_fit(draw_tile(tracks, instance, i)) for i in strip_indices(tracks.n)]
    h = tiles[0].shape[0]
    gap = np.full((h, GAP, 3), 255, dtype=np.uint8)
    parts = [p for tile in tiles for p in (gap, tile)][1:]
    return np.concatenate(parts, axis=1)


def _fit(tile: np.ndarray) -> np.ndarray:
    h, w = tile.shape[:2]
    if w <= MAX_TILE:
        return tile
    size = (MAX_TILE, max(1, round(h * MAX_TILE / w)))
    return cv2.resize(tile, size, interpolation=cv2.INTER_AREA)


# --------------------------------------------------------------------------- charts


def figure_data_uri(fig: Figure) -> str:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=fig.dpi, bbox_inches="tight", metadata={"Software": None})
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def capability_chart(entries: list[Entry], models: Sequence[str], colours: dict[str, str]) -> str:
    """Grouped bars: one group per capability, one bar per model, 95% CI error bars."""
    pooled = [e for e in entries if e.family == "*"]
    if not pooled:
        return ""
    from matplotlib.figure import Figure

    caps = sorted({e.capability for e in pooled})
    found = {(e.model, e.capability): e for e in pooled}
    width = 0.8 / max(len(models), 1)
    fig = Figure(figsize=(max(4.0, 1.0 + 0.45 * len(caps) * len(models)), 3.0), dpi=100)
    ax = fig.add_subplot()
    for k, model in enumerate(models):
        xs, means, err = [], [], [[], []]
        for j, cap in enumerate(caps):
            e = found.get((model, cap))
            if e is None:
                continue
            xs.append(j + (k - (len(models) - 1) / 2) * width)
            means.append(e.mean)
            err[0].append(max(e.mean - e.ci_low, 0.0))
            err[1].append(max(e.ci_high - e.mean, 0.0))
        bars = ax.bar(
            xs, means, width * 0.92, yerr=err, capsize=3, color=colours[model], label=model
        )
        ax.bar_label(bars, fmt="%.2f", fontsize=7, padding=2)
    ax.set_xticks(range(len(caps)), caps)
    ax.set_ylim(0, 1.12)
    ax.set_ylabel("mean score")
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    return figure_data_uri(fig)


def tracks_plot(instance: Instance, tracks: dict[str, Tracks], colours: dict[str, str]) -> str:
    """x(t) and y(t) of every body: ground truth grey dashed, each model in its colour."""
    if not tracks or not instance.spec.bodies:  # an imported task has no bodies
        return ""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7.5, 2.4), dpi=100, layout="constrained")
    axes = fig.subplots(1, 2)
    t_gt = truth_times(instance)
    size = (instance.spec.fmt.width, instance.spec.fmt.height)
    for k, ax in enumerate(axes):
        values = []
        for body in instance.spec.bodies:
            gt = truth_path(instance, body.name)[:, k]
            ax.plot(t_gt, gt, color="0.3", ls="--", lw=1.6, label="ground truth", zorder=3)
            values.append(gt)
            for model, tr in tracks.items():
                ax.plot(
                    tr.times, tr.pos[body.name][:, k], color=colours[model], lw=1.2, label=model
                )
                values.append(tr.pos[body.name][:, k])
        ax.set_ylim(*axis_limits(np.concatenate(values), size[k]))
        ax.set_xlabel("t (s)")
        ax.set_ylabel(("x", "y")[k] + " (px)")
        ax.grid(alpha=0.3)
    axes[1].invert_yaxis()  # scene y points down: up is up on the plot
    handles, labels = axes[0].get_legend_handles_labels()
    unique = dict(zip(labels, handles, strict=True))
    fig.legend(unique.values(), unique.keys(), fontsize=8, loc="outside right upper", frameon=False)
    return figure_data_uri(fig)


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
