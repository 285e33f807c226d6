"""What counts as moved in a `trigger` scene's ground truth, for the family and its verifier.

The family keeps a scene whose hatch and ball move exactly when the switch is pressed;
the verifier (``verifiers/trigger.py``) reads from the ground truth whether the ball was
released. Both call a body moved past the same distance.
"""

from __future__ import annotations

MOVED = 1.0  # px the ground truth must move an object for it to count as moved
