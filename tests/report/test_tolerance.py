"""Tolerance cards and dose-response curves from audit rows."""

from __future__ import annotations

from vidreason.report.tolerance import cards, dose_svg, doses


def _row(family, kind, group, magnitude, rate, mean, unit="px"):
    return {
        "family": family,
        "kind": kind,
        "name": f"{group} {magnitude}",
        "n": 2,
        "rate": rate,
        "group": group,
        "magnitude": magnitude,
        "unit": unit,
        "mean": mean,
        "target": None,
    }


ROWS = [
    # shake: 1 and 2 px pass, 4 px fails -> tolerates 2 px
    _row("a-v1", "nuisance", "shake", 1, 0.0, 1.0),
    _row("a-v1", "nuisance", "shake", 4, 0.5, 0.6),
    _row("a-v1", "nuisance", "shake", 2, 0.0, 1.0),
    # a larger zoom passing after a smaller one failed does not count
    _row("a-v1", "nuisance", "zoom", 2, 0.5, 0.7, "%"),
    _row("a-v1", "nuisance", "zoom", 5, 0.0, 1.0, "%"),
    # vanish: 3 frames missed once, 6 and 12 always caught -> catches 6
    _row("a-v1", "violation", "vanish", 3, 0.5, 0.5, "frames"),
    _row("a-v1", "violation", "vanish", 12, 1.0, 0.0, "frames"),
    _row("a-v1", "violation", "vanish", 6, 1.0, 0.1, "frames"),
    # gravity by the size of its log: x0.8 and x1.25 are the small ones
    _row("a-v1", "violation", "gravity", 2.0, 1.0, 0.0, "x"),
    _row("a-v1", "violation", "gravity", 1.25, 1.0, 0.2, "x"),
    _row("a-v1", "violation", "gravity", 0.8, 0.5, 0.4, "x"),
    _row("b-v1", "violation", "vanish", 3, 0.0, 0.9, "frames"),
    _row("b-v1", "violation", "vanish", 6, 0.0, 0.99, "frames"),  # rises: not monotonic
    {"family": "a-v1", "auroc": 1.0},
]


def test_cards_give_the_largest_tolerated_and_the_smallest_caught():
    by = {c.family: c for c in cards(ROWS)}
    a = by["a-v1"]
    tol = {lim.group: lim for lim in a.tolerates}
    assert tol["shake"].magnitude == 2 and tol["shake"].text == "shake: 2 px"
    assert tol["shake"].tried == (1.0, 2.0, 4.0)
    assert tol["zoom"].magnitude is None and tol["zoom"].text == "zoom: none"
    catch = {lim.group: lim for lim in a.catches}
    assert catch["vanish"].magnitude == 6 and catch["vanish"].text == "vanish: 6 frames"
    assert catch["gravity"].magnitude == 1.25 and catch["gravity"].text == "gravity: x1.25"
    assert by["b-v1"].catches[0].text == "vanish: never"


def test_dose_response_is_ordered_by_error_and_flags_a_rise():
    curves = {d.group: d for d in doses(ROWS)}
    vanish = curves["vanish"]
    assert vanish.magnitudes == (3.0, 6.0, 12.0)
    assert vanish.means[0] > vanish.means[-1]
    assert vanish.rising == ("b-v1",)
    assert curves["gravity"].magnitudes[0] in (0.8, 1.25)  # the smallest log first
    svg = dose_svg(vanish)
    assert svg.startswith("<svg") and svg.count("<circle") == 3 and "12 frames" in svg
