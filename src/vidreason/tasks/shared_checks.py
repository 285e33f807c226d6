"""Law checks several families declare alike: names and tolerances in words.

Each tolerance is read off the verifier that computes the check (``vidreason/verifiers``):
a check is 1 within the first bound and 0 beyond the second, linear in between;
"pass/fail" checks are 1 or 0. A family lists these next to its own in
``TaskFamily.checks``; ``vidreason check NAME --static`` compares the list with the names
its law checks return.
"""

from __future__ import annotations

from vidreason.tasks.base import CheckSpec


def gravity(what: str, widened: bool = False) -> CheckSpec:
    """``gravity`` as fitted on ``what`` (verifiers/checks.py: ``GRAVITY``); ``widened``: the
    tolerance widened by the fit's own standard error (verifiers/spread.py)."""
    if widened:
        return CheckSpec(
            "gravity",
            f"{what}: within ±10% of the engine's g, 0 beyond ±20%, both widened by twice"
            " the fit's standard error beyond 2% (by at most 10%)",
        )
    return CheckSpec("gravity", f"{what}: within ±10% of the engine's g; 0 beyond ±20%")


CONTACT_TIME = CheckSpec("contact_time", "first contact within 1 frame of the truth; 0 beyond 3")
SOFT_LANDING = CheckSpec("contact", "lands within 1.5 frames of the simulator; 0 beyond 4")
SOFT_CENTROID = CheckSpec(
    "centroid",
    "rms distance from the true centroid ≤ 2.5% of the frame, 0 beyond 6%; and in every frame"
    " but 2 within 2% of the true path within 0.15 s of its moment, 0 beyond 3.5%",
)
MOMENTUM = CheckSpec("momentum", "total momentum changes by ≤ 8% in the collision; 0 beyond 25%")
STAYS = CheckSpec(
    "stays",
    "a body the truth keeps still moves ≤ 2.5% of the frame from its start; 0 beyond 6%",
)
LANDS = CheckSpec(
    "lands",
    "lands within 1.5 frames of the truth and sinks ≤ 2% of the frame; 0 beyond 4 frames or 5%",
)
NO_HOVERING = CheckSpec(
    "no_hovering", "over any 0.5 s touching nothing, falls at ≥ ½ g; 0 below ¼ g"
)

# 3D families: measured through the stored camera (verifiers/projective.py)
GRAVITY_3D = gravity("ballistic fit through the camera", widened=True)
PATH_3D = CheckSpec(
    "path", "rms distance from the 3D ballistic fit ≤ 0.6% of the frame; 0 beyond 2%"
)
EDGE_3D = CheckSpec("edge", "goes over the table edge within 1.5 frames of the truth; 0 beyond 4")


def landing_3d(where: str) -> CheckSpec:
    return CheckSpec(
        "landing", f"lands on the {where} within 4% of the frame of the true point; 0 beyond 10%"
    )


# planning families (verifiers/grid.py, planning.py)
LEGAL_MOVES = CheckSpec(
    "legal_moves",
    "every change of cell is one side step through an open passage, seen under way (a step"
    " from a cell's middle to the next's, 0.9 of a cell or more between two frames less than"
    " half a move's time apart, is a jump): pass/fail",
)
GOAL = CheckSpec("goal", "ends in the goal cell: pass/fail")
OPTIMAL = CheckSpec("optimal", "exactly the fewest moves: pass/fail")
TIMING = CheckSpec("timing", "the solution is finished within the clip, at any pace: pass/fail")


def scene(smallest: str) -> CheckSpec:
    """``scene``: nothing outside the moving parts changes (a blob of ``smallest``)."""
    return CheckSpec(
        "scene",
        f"nothing outside the moving parts changes: a changed blob of {smallest} for 2 frames"
        " running fails",
    )


# a walk across a grid (maze, shortest-path): verifiers/grid.py:walk_checks
WALK = (LEGAL_MOVES, GOAL, OPTIMAL, TIMING, scene("6% of a cell (at least 12 px)"))
