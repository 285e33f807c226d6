"""The HTML report of one run directory: one page and a folder of small plots beside it.

``write_report(run_dir)`` reads the run's results store and writes ``run_dir/report.html``
and ``run_dir/report_files/`` (one SVG plot per failure card). Nothing is fetched from the
network and nothing is inlined as base64: videos, the conditioning images and the plots
are linked by paths relative to the report's folder, so the run folder can be moved or
zipped whole. Videos are ``preload="none"`` and images ``loading="lazy"``: the page opens
fast however many there are. The page holds, top to bottom:

- a summary: models ranked (``aggregate.model_ranking``) with each capability's mean and
  95% CI, and a bar chart of the same;
- the leaderboard (model x family and model x capability), a sortable table;
- per capability, per family: the law tested and each model's mean, CI and pass rate, with
  a link to the family's failures in the gallery;
- the failure gallery (``cards.py``): each failed video playing next to its ground truth,
  the tracked paths drawn over it, an x(t) / y(t) plot, the explanation and the checks;
- every scored video in one sortable table;
- counterfactual pairs of the causal families (``vidreason.pairs``), answers of
  video-understanding models to the suite's questions with the baselines
  (``report.answers``), the verifier audit (``audit.json``) and the rows that could not
  be scored.

A navigation column links every section, capability and family; a filter bar (model,
family, passed / failed) applies to every table and to the gallery. The script and the
styles are in ``templates/`` next to the page template, inlined, plain JavaScript.

To add a section: compute its data in a small function, add it to ``build_context`` and
render it in ``templates/report.html.j2`` (autoescape is on).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.request import url2pathname

import numpy as np
from markupsafe import Markup

from vidreason.report import svg, tolerance
from vidreason.report.aggregate import Entry, leaderboard, model_ranking, pair_leaderboard
from vidreason.report.cards import Card, failure_cards, link, pick_failures, shown_path
from vidreason.store import Row, rows

REPORT_FILE = "report.html"
TEMPLATE = "report.html.j2"
AUDIT_FILE = "audit.json"
FAILURES_PER_FAMILY = 3  # failure cards per model x family
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


@dataclass(frozen=True)
class ModelSummary:
    model: str
    rank: int
    mean: float  # mean over capabilities
    n: int
    pass_rate: float
    capabilities: dict[str, Entry]  # pooled rows by capability


@dataclass(frozen=True)
class FamilyView:
    family: str
    capability: str
    law: str
    entries: list[Entry]  # one per model, ranking order
    failures: dict[str, int]  # failed videos per model


@dataclass(frozen=True)
class CapabilityView:
    capability: str
    entries: list[Entry]  # pooled capability rows, ranking order
    families: list[FamilyView]


# --------------------------------------------------------------------------- public API


def files_dir_name(out: Path) -> str:
    """The folder of the report's plots, named after the page: report.html -> report_files."""
    return f"{Path(out).stem}_files"


def write_report(
    run_dir: Path, out: Path | None = None, failures_per_family: int = FAILURES_PER_FAMILY
) -> Path:
    """Write the HTML report of ``run_dir`` (default ``run_dir/report.html``) and its plots
    folder; return the page's path."""
    run_dir = Path(run_dir)
    out = Path(out) if out is not None else run_dir / REPORT_FILE
    out.parent.mkdir(parents=True, exist_ok=True)
    context = build_context(run_dir, out, failures_per_family)
    files = out.parent / files_dir_name(out)
    for old in files.glob("*.svg"):
        old.unlink()
    for c in context["gallery"]:
        for name, text in c.files.items():
            files.mkdir(exist_ok=True)
            (out.parent / url2pathname(name)).write_text(text, encoding="utf-8")
    out.write_text(render_html(context), encoding="utf-8")
    return out


def build_context(
    run_dir: Path, out: Path | None = None, failures_per_family: int = FAILURES_PER_FAMILY
) -> dict[str, Any]:
    """Everything the template shows, as plain data (``out``: where the page will be)."""
    run_dir = Path(run_dir)
    out = Path(out) if out is not None else run_dir / REPORT_FILE
    all_rows = rows(run_dir)
    entries = leaderboard(all_rows)
    ranking = model_ranking(entries)
    models = [m for m, _ in ranking]
    colours = model_colours(models)
    picked, failures = pick_failures(all_rows, failures_per_family)
    cards = failure_cards(run_dir, out.parent, picked, files_dir_name(out))
    capabilities = capability_views(all_rows, entries, models, failures)
    return {
        "run_name": run_dir.resolve().name,
        "run_dir": run_dir,
        "n_rows": len(all_rows),
        "ranking": ranking,
        "models": models,
        "model_colours": colours,
        "goal_models": sorted({r.model for r in all_rows if r.goal_conditioned}),
        "seeds": max((e.seeds for e in entries), default=1),
        "families": sorted({r.family for r in all_rows}),
        "summary": model_summaries(all_rows, entries, ranking),
        "capability_names": [c.capability for c in capabilities],
        "board": ranked_entries(entries, models),
        "chart": Markup(capability_chart(entries, models, colours)),
        "capabilities": capabilities,
        "gallery": order_cards(cards, models),
        "n_failed": sum(failures.values()),
        "failures_per_family": failures_per_family,
        "results": [(r, link_or_empty(run_dir, r.video, out.parent)) for r in all_rows],
        "errors": [r for r in all_rows if r.error],
        "runs": runs_view(run_dir, all_rows),
        "audit": audit_view(run_dir),
        "pairs": pairs_view(all_rows, models),
        "styles": styles_view(all_rows, models),
        "answers": answers_view(run_dir),
        "report_dir": out.parent,
    }


def runs_view(run_dir: Path, all_rows: list) -> list[dict[str, Any]]:
    """Per (model, suite): its rows, how many were missing, unreadable or failed, and the
    files of its last run that matched no instance."""
    from vidreason.store import latest_runs

    latest = latest_runs(run_dir)
    groups: dict[tuple[str, str], list] = {}
    for r in all_rows:
        groups.setdefault((r.model, r.suite), []).append(r)
    return [
        {
            "model": model,
            "suite": suite,
            "rows": len(group),
            "missing": sum(r.status == "missing" for r in group),
            "unreadable": sum(r.status == "unreadable" for r in group),
            "failed": sum(r.status == "error" for r in group),
            "unmatched": list(latest[(model, suite)].unmatched) if (model, suite) in latest else [],
        }
        for (model, suite), group in sorted(groups.items())
    ]


def empty_context() -> dict[str, Any]:
    """The context of a run without scores: ``render_html`` fills in what a caller leaves out."""
    return {
        "run_name": "",
        "run_dir": Path.cwd(),
        "report_dir": Path.cwd(),
        "n_rows": 0,
        "ranking": [],
        "models": [],
        "model_colours": {},
        "goal_models": [],
        "seeds": 1,
        "families": [],
        "summary": [],
        "capability_names": [],
        "board": [],
        "chart": "",
        "capabilities": [],
        "gallery": [],
        "n_failed": 0,
        "failures_per_family": FAILURES_PER_FAMILY,
        "results": [],
        "errors": [],
        "runs": [],
        "audit": None,
        "pairs": None,
        "styles": None,
        "answers": None,
    }


def render_html(context: dict[str, Any]) -> str:
    import jinja2

    from vidreason.report.cards import resolve

    context = {**empty_context(), **context}
    run_dir, report_dir = Path(context["run_dir"]), Path(context["report_dir"])
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
    env.filters["shown"] = lambda p: shown_path(resolve(run_dir, p), report_dir)
    return env.get_template(TEMPLATE).render(**context)


# --------------------------------------------------------------------------- sections


def model_summaries(
    all_rows: Sequence[Row], entries: Iterable[Entry], ranking: Sequence[tuple[str, float]]
) -> list[ModelSummary]:
    """One line per model, best first: its mean over capabilities and each capability."""
    pooled: dict[str, dict[str, Entry]] = defaultdict(dict)
    for e in entries:
        if e.family == "*":
            pooled[e.model][e.capability] = e
    passed: dict[str, list[bool]] = defaultdict(list)
    for r in all_rows:
        passed[r.model].append(r.passed)
    return [
        ModelSummary(
            model=m,
            rank=i + 1,
            mean=mean,
            n=len(passed[m]),
            pass_rate=float(np.mean(passed[m])) if passed[m] else float("nan"),
            capabilities=pooled[m],
        )
        for i, (m, mean) in enumerate(ranking)
    ]


def capability_views(
    all_rows: Sequence[Row],
    entries: list[Entry],
    models: Sequence[str],
    failures: dict[tuple[str, str], int],
) -> list[CapabilityView]:
    capability = {r.family: r.capability for r in all_rows}
    views = []
    for cap in sorted(set(capability.values())):
        families = [
            FamilyView(
                family=f,
                capability=cap,
                law=family_law(f),
                entries=_by_model((e for e in entries if e.family == f), models),
                failures={m: failures.get((m, f), 0) for m in models},
            )
            for f in sorted(f for f, c in capability.items() if c == cap)
        ]
        pooled = [e for e in entries if e.family == "*" and e.capability == cap]
        views.append(CapabilityView(cap, _by_model(pooled, models), families))
    return views


def family_law(family: str) -> str:
    from vidreason.tasks import get_family

    try:
        return get_family(family).law
    except (KeyError, ValueError) as exc:
        return f"(unknown family: {exc})"


def order_cards(cards: Iterable[Card], models: Sequence[str]) -> list[Card]:
    """Gallery order: capability, family, model ranking, instance."""
    order = {m: i for i, m in enumerate(models)}
    return sorted(
        cards,
        key=lambda c: (c.row.capability, c.row.family, order.get(c.row.model, 0), c.row.idx),
    )


def link_or_empty(run_dir: Path, video: str, report_dir: Path) -> str:
    from vidreason.report.cards import resolve

    path = resolve(run_dir, video)
    return link(path, report_dir) if path.is_file() else ""


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


def styles_view(all_rows: list[Row], models: Sequence[str]) -> dict[str, Any] | None:
    """Scores per scene style and the change from flat on the same instances
    (``report/styles.py``); None when the run holds one style."""
    from vidreason.report.styles import style_board

    board = style_board(all_rows)
    if not board:
        return None
    order = {m: i for i, m in enumerate(models)}
    board = sorted(board, key=lambda e: order.get(e.model, len(order)))  # stable: styles stay
    return {"board": board, "styles": list(dict.fromkeys(e.style for e in board))}


def answers_view(run_dir: Path) -> dict[str, Any] | None:
    """Answers to the suites' questions: per model (the baselines last) its accuracy over
    all questions and per kind, then every family and capability; None when no model
    answered."""
    from vidreason.report.answers import KIND_ORDER, answer_leaderboard
    from vidreason.store import answer_rows, answer_sets

    entries = answer_leaderboard(answer_rows(run_dir))
    if not entries:
        return None
    lines: dict[tuple[str, str], dict[str, Any]] = {}
    for e in entries:
        line = lines.setdefault((e.suite, e.model), {"model": e.model, "suite": e.suite})
        line["baseline"] = e.baseline
        if e.by == "all":
            line["all"] = e
        elif e.by == "kind":
            line.setdefault("kinds", {})[e.group] = e
    kinds = [k for k in KIND_ORDER if any(k in v.get("kinds", {}) for v in lines.values())]
    return {
        "lines": list(lines.values()),
        "kinds": kinds,
        "groups": [e for e in entries if e.by in ("family", "capability")],
        "sets": answer_sets(run_dir),
        "suites": len({e.suite for e in entries}) > 1,
    }


def audit_view(run_dir: Path) -> dict[str, Any] | None:
    """The audit written to ``run_dir/audit.json`` by ``vidreason audit --run-dir``, as
    rows per family with a verdict against the targets; None when there is none."""
    from vidreason.corruptions import TARGETS

    path = Path(run_dir) / AUDIT_FILE
    if not path.is_file():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    aucs = {r["family"]: r["auroc"] for r in data if "auroc" in r}
    families = []
    for family in sorted({r["family"] for r in data}):
        # rows measured for the tolerance cards only (no target) are not judged here
        rows_ = [
            r
            for r in data
            if r["family"] == family and "kind" in r and r.get("target", 0) is not None
        ]
        for r in rows_:
            r["ok"] = TARGETS.met(r["kind"], r["rate"])
        auc = aucs.get(family, float("nan"))
        ok = auc >= TARGETS.auroc
        families.append({"family": family, "auroc": auc, "auroc_ok": ok, "rows": rows_})
    curves = [(d, tolerance.dose_svg(d)) for d in tolerance.doses(data)]
    return {
        "families": families,
        "targets": TARGETS,
        "cards": tolerance.cards(data),
        "doses": curves,
    }


# --------------------------------------------------------------------------- tables, chart


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


def capability_chart(entries: list[Entry], models: Sequence[str], colours: dict[str, str]) -> str:
    """Inline SVG: each model's mean per capability with its 95% CI."""
    pooled = [e for e in entries if e.family == "*"]
    bars = [svg.Bar(e.model, e.capability, e.mean, e.ci_low, e.ci_high) for e in pooled]
    return svg.capability_chart(bars, sorted({e.capability for e in pooled}), models, colours)
