"""Law checks for object permanence: a ball behind an opaque screen still exists.

The screens are named in ``World2D.occluders``; ``checks.visible_fraction`` gives
the share of each ball the ground truth leaves in view at any time. Timing is judged
with a slack of ``WINDOW`` frames either side, so a frame counts as *hidden* only when
the ball is fully behind a screen throughout that slack, and as *in view* only when it
is (nearly) fully shown throughout it; the frames in between, with the ball at a
screen's edge, are not judged.

- ``hidden``: no ball can be seen in a frame where it is hidden (no ghost through the
  screen, no coming out early, no jump across the screen);
- ``emerges``: a ball that comes out from behind a screen does so at the true time
  (half of it in view), within ``TIMING`` frames;
- ``in_view``: a ball at least half in view (within a frame either side) is found in
  every frame (it does not vanish or change colour), and in plain view it is where the
  ground truth puts it;
- ``size``: while in plain view, a ball's blob has about the ball's area.

``observed_outcome`` reads which balls come out from behind a screen and which are
hidden at the end from the tracks alone. To add a check, write a function
``(tracks, instance) -> Check`` and add it to ``permanence_checks``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from vidreason.perception.tracking import Tracks
from vidreason.scene.geometry import scene_size
from vidreason.scene.occluders import covered
from vidreason.types import Body, Check, Instance
from vidreason.verifiers.checks import band, gt_positions, occluders, visible_fraction

WINDOW = 2.0  # frames of timing slack either side
HIDDEN = 0.02  # at most this share in view: hidden
SHOWN = 0.9  # at least this share in view: in plain view
SEEN_AREA = 0.35  # a blob of this share of a ball's area is the ball, seen
HALF = 0.5  # a ball has come out when half of it is in view
TIMING = (2.0, 4.0)  # frames off when coming out: tolerated / failed
PLACE = (0.04, 0.08)  # position error in plain view, as a fraction of the frame
SIZE = (np.log(1.5), np.log(2.2))  # |log area ratio| tolerated / failed


def balls(instance: Instance) -> list[Body]:
    names = {b.name for b in occluders(instance)}
    return [b for b in instance.spec.bodies if b.name not in names]


def _window(
    instance: Instance, name: str, times: np.ndarray, slack: float = WINDOW
) -> tuple[np.ndarray, np.ndarray]:
    """Least and most of ball ``name`` in view within ``slack`` frames of each time."""
    fps = instance.spec.fmt.fps
    shares = np.stack(
        [visible_fraction(instance, name, times + k / fps) for k in np.linspace(-slack, slack, 9)]
    )
    return shares.min(axis=0), shares.max(axis=0)


def _screen_at(instance: Instance, ball: Body, t: float) -> str:
    """The label of the screen that covers most of ``ball`` at time ``t``."""
    centre = gt_positions(instance, ball.name, np.array([t]))
    screens = occluders(instance)
    if not screens:
        return "screen"
    best = max(screens, key=lambda s: float(covered(centre, ball.radius, [s])[0]))
    return best.label


def hidden(tracks: Tracks, instance: Instance) -> Check:
    """No ball is seen where the ground truth has it fully behind a screen."""
    first: tuple[int, str] | None = None
    for b in balls(instance):
        _, most = _window(instance, b.name, tracks.times)
        seen = (most < HIDDEN) & (tracks.area[b.name] >= SEEN_AREA * b.area)
        if seen.any():
            k = int(np.flatnonzero(seen)[0])
            if first is None or k < first[0]:
                screen = _screen_at(instance, b, float(tracks.times[k]))
                first = (
                    k,
                    f"the {b.label} can be seen at frame {k} although it is behind the {screen}",
                )
    if first is None:
        return Check("hidden", 1.0)
    return Check("hidden", 0.0, first[1])


def _emergences(instance: Instance, name: str) -> list[tuple[float, float, float]]:
    """(time it goes fully out of sight, time half of it is back in view, time it next
    goes out of sight or +inf) for every time ball ``name`` comes out from a screen."""
    fps = instance.spec.fmt.fps
    n = instance.trajectory.n_frames
    t = np.arange(n) / fps
    f = visible_fraction(instance, name, t)
    starts = [i for i in range(n) if f[i] <= HIDDEN and (i == 0 or f[i - 1] > HIDDEN)]
    out = []
    for s in starts:
        after = np.flatnonzero((f >= HALF) & (np.arange(n) > s))
        if not len(after):
            continue
        j = int(after[0])
        u = (HALF - f[j - 1]) / (f[j] - f[j - 1]) if f[j] > f[j - 1] else 1.0
        nxt = [x / fps for x in starts if x > j]
        out.append((s / fps, float(t[j - 1] + u / fps), nxt[0] if nxt else np.inf))
    return out


def _crossing(times: np.ndarray, share: np.ndarray, k: int, lo: int) -> float:
    """When the seen share crosses ``HALF`` on the way up to frame ``k``."""
    if k <= lo or share[k - 1] >= HALF or share[k] <= share[k - 1]:
        return float(times[k])
    u = (HALF - share[k - 1]) / (share[k] - share[k - 1])
    return float(times[k - 1] + u * (times[k] - times[k - 1]))


def emerges(tracks: Tracks, instance: Instance) -> Check:
    """Each ball comes out from behind its screen when the ground truth says it does."""
    fps = instance.spec.fmt.fps
    worst, note = 1.0, ""
    for b in balls(instance):
        share = tracks.area[b.name] / b.area
        for gone, back, until in _emergences(instance, b.name):
            screen = _screen_at(instance, b, gone + 0.5 / fps)
            expect = int(np.argmin(np.abs(tracks.times - back)))
            idx = np.flatnonzero((tracks.times >= gone) & (tracks.times < until))
            out = idx[share[idx] >= HALF] if len(idx) else idx
            if not len(out):
                value = 0.0
                text = (
                    f"the {b.label} never comes out from behind the {screen}"
                    f" (it should at frame {expect})"
                )
            else:
                k = int(out[0])
                off = (_crossing(tracks.times, share, k, int(idx[0])) - back) * fps
                value = band(abs(off), *TIMING)
                when = "early" if off < 0 else "late"
                text = (
                    f"the {b.label} comes out from behind the {screen} at frame {k},"
                    f" {abs(off):.0f} frames too {when} (it should at frame {expect})"
                )
            if value < worst:
                worst, note = value, text
    return Check("emerges", worst, note if worst < 1.0 else "")


def _missing_run(flags: np.ndarray) -> int | None:
    """First index of two flagged frames in a row."""
    both = flags[:-1] & flags[1:]
    return int(np.flatnonzero(both)[0]) if both.any() else None


def in_view(tracks: Tracks, instance: Instance) -> Check:
    """A ball in plain view is seen, where it should be, in every frame."""
    fps, size = instance.spec.fmt.fps, scene_size(instance)
    worst, note = 1.0, ""
    for b in balls(instance):
        least, _ = _window(instance, b.name, tracks.times)
        shown = least >= SHOWN
        found = tracks.found(b.name)
        half = _window(instance, b.name, tracks.times, slack=1.0)[0] >= HALF
        k = _missing_run(half & ~found)
        if k is not None:
            return Check(
                "in_view",
                0.0,
                f"the {b.label} vanishes at frame {k} in plain view: nothing hides it there"
                " (or it changes colour)",
            )
        idx = np.flatnonzero(shown & found)
        if not len(idx):
            continue
        p = tracks.pos[b.name][idx]
        errs = np.stack(
            [
                np.linalg.norm(
                    p - gt_positions(instance, b.name, tracks.times[idx] + s / fps), axis=1
                )
                for s in np.linspace(-WINDOW, WINDOW, 9)
            ]
        ).min(axis=0)
        j = int(np.argmax(errs))
        value = band(float(errs[j]) / size, *PLACE)
        if value < worst:
            worst = value
            f = int(idx[j])
            g = gt_positions(instance, b.name, tracks.times[f : f + 1])[0]
            note = (
                f"at frame {f} the {b.label} is at ({p[j][0]:.0f}, {p[j][1]:.0f}),"
                f" {errs[j]:.0f} px from where it should be ({g[0]:.0f}, {g[1]:.0f})"
            )
    return Check("in_view", worst, note if worst < 1.0 else "")


def size(tracks: Tracks, instance: Instance) -> Check:
    """Each stretch of plain view shows the ball at its own size."""
    worst, note = 1.0, ""
    for b in balls(instance):
        least, _ = _window(instance, b.name, tracks.times)
        ok = (least >= SHOWN) & tracks.found(b.name)
        idx = np.flatnonzero(ok)
        for run in np.split(idx, np.flatnonzero(np.diff(idx) > 1) + 1):
            if len(run) < 2:
                continue
            ratio = float(np.median(tracks.area[b.name][run])) / b.area
            value = band(abs(np.log(ratio)), *SIZE)
            if value < worst:
                worst = value
                note = (
                    f"from frame {int(run[0])} the {b.label} covers {ratio:.1f} times"
                    " its own area: it has changed size"
                )
    return Check("size", worst, note if worst < 1.0 else "")


def permanence_checks(tracks: Tracks, instance: Instance) -> list[Check]:
    """The permanence family's law checks, declared in ``tasks/temporal/permanence.py``: a body
    the screen hides stays unseen there (``hidden``), comes out where and when the truth does
    (``emerges``), is seen wherever the truth shows it (``in_view``) and keeps its size
    (``size``)."""
    return [
        hidden(tracks, instance),
        emerges(tracks, instance),
        in_view(tracks, instance),
        size(tracks, instance),
    ]


def _comes_back(found: np.ndarray) -> bool:
    """Seen, then unseen for two frames or more, then seen again."""
    seen = np.flatnonzero(found)
    if len(seen) < 2:
        return False
    return bool((np.diff(seen) > 2).any())


def observed_outcome(tracks: Tracks, instance: Instance) -> dict[str, Any]:
    """Which balls come out from behind a screen, and which are out of sight at the end
    (missing from the last two frames), read from the tracks."""
    emerged, gone = [], []
    for b in balls(instance):
        found = tracks.found(b.name)
        if _comes_back(found):
            emerged.append(b.label)
        if len(found) >= 2 and not found[-1] and not found[-2]:
            gone.append(b.label)
    return {"emerges": emerged, "hidden_at_end": gone}
