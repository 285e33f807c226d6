"""How a video's checks make one score: its value is the weakest check (a video is as
right as its worst mistake); it passes when that value is at least 0.5. The explanation
lists every check that fell short, worst first, in words."""

from __future__ import annotations

import re

from vidreason.types import Check, Score

NEGATIVE_ZERO = re.compile(r"(?<![\w.])-(0(?:\.0+)?)(?!\d|\.\d)")


def plain_numbers(note: str) -> str:
    """A note as a reader wants it: a value that rounds to zero is ``0``, never ``-0``."""
    return NEGATIVE_ZERO.sub(r"\1", note)


def combine(checks: list[Check]) -> Score:
    value = min((c.value for c in checks), default=0.0)
    short = sorted((c for c in checks if c.value < 1.0), key=lambda c: c.value)
    if short:
        explanation = "; ".join(
            f"{c.name} {c.value:.2f}: {plain_numbers(c.note) or 'below tolerance'}" for c in short
        )
    else:
        explanation = "every check passed"
    seen = [c.note for c in checks if c.name == "camera" and c.value >= 1.0 and c.note]
    if seen:  # what perception compensated is shown, not hidden
        explanation += f" ({seen[0]})"
    return Score(
        value=round(float(value), 6),
        passed=bool(value >= 0.5),
        checks={c.name: round(float(c.value), 6) for c in checks},
        explanation=explanation,
    )
