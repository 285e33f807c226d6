"""Scores per scene style: does a model reason worse when the picture looks real?

A suite drawn in another style (``vidreason run --style shaded``, ``types.STYLES``) has the
same instances as the flat one: same families, indices and seed, the same simulation, only
drawn otherwise; its suite id ends in the style (``runner.plan.suite_id``). For every
model and style of a run, a row gives the mean score over instances with its 95%
bootstrap interval and the pass rate, per capability and over all of them (capability
``"*"``); beside a style other than flat, the change from flat measured on the instances
scored in both (paired: the mean of each instance's difference, with its interval), so a
model that holds its laws only in flat pictures shows a drop whose interval excludes 0.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from vidreason.report.aggregate import bootstrap_ci
from vidreason.store import Row
from vidreason.types import STYLES


def style_of(suite: str) -> str:
    """The style a suite id names (``core-s0-256x256-16fps-48f-shaded``), flat if none."""
    return next((p for p in suite.split("-") if p in STYLES[1:]), "flat")


def _base(suite: str) -> str:
    """The suite id without its style: the flat suite it pairs with."""
    return "-".join(p for p in suite.split("-") if p not in STYLES[1:])


@dataclass(frozen=True)
class StyleEntry:
    model: str
    style: str
    capability: str  # or "*": every capability
    n: int
    mean: float
    ci_low: float
    ci_high: float
    pass_rate: float
    paired: int = 0  # instances scored in this style and in flat
    change: float | None = None  # mean of (this style - flat) over those, None for flat
    change_low: float | None = None
    change_high: float | None = None


def _instance_means(rows: Iterable[Row]) -> dict[tuple[str, str, int], float]:
    """(suite without its style, family, index) -> mean score over seeds."""
    values: dict[tuple[str, str, int], list[float]] = defaultdict(list)
    for r in rows:
        values[(_base(r.suite), r.family, r.idx)].append(r.value)
    return {k: float(np.mean(v)) for k, v in values.items()}


def style_board(rows: Iterable[Row]) -> list[StyleEntry]:
    """Per model, style and capability (and ``"*"``), for a run that holds more than one
    style; empty otherwise."""
    rows = list(rows)
    if len({style_of(r.suite) for r in rows}) < 2:
        return []
    groups: dict[tuple[str, str, str], list[Row]] = defaultdict(list)
    for r in rows:
        for cap in (r.capability, "*"):
            groups[(r.model, cap, style_of(r.suite))].append(r)
    out = []

    def order(item: tuple[tuple[str, str, str], list[Row]]) -> tuple:
        model, cap, style = item[0]
        return model, cap != "*", cap, STYLES.index(style)

    for (model, cap, style), group in sorted(groups.items(), key=order):
        mine = _instance_means(group)
        values = np.array(list(mine.values()))
        key = f"{model}|{cap}|{style}"
        lo, hi = bootstrap_ci(values, key)
        flat = _instance_means(groups.get((model, cap, "flat"), []))
        common = sorted(set(mine) & set(flat)) if style != "flat" else []
        diff = np.array([mine[k] - flat[k] for k in common])
        d_lo, d_hi = bootstrap_ci(diff, key + "|change")
        out.append(
            StyleEntry(
                model=model,
                style=style,
                capability=cap,
                n=len(values),
                mean=round(float(values.mean()), 6),
                ci_low=round(lo, 6),
                ci_high=round(hi, 6),
                pass_rate=round(float(np.mean([r.passed for r in group])), 6),
                paired=len(common),
                change=round(float(diff.mean()), 6) if common else None,
                change_low=round(d_lo, 6) if common else None,
                change_high=round(d_hi, 6) if common else None,
            )
        )
    return out
