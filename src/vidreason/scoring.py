"""Score a video against a task instance: track, run every check, combine.

The value of a score is its weakest check (a video is as right as its worst mistake);
it passes when that value is at least 0.5. The explanation lists every check that fell
short, worst first, in words. A video that cannot be read scores 0 with the reason.

On a continuation suite (``Instance.context_frames`` K > 0) the model's video holds the
frames after the context, its first frame being the moment K / fps (or, from a model that
is no continuation model, the whole clip, read from that moment on). The true first K
frames are spliced before it and the spliced clip is scored as any other: perception
registers to the first frame and tracks from frame 0 unchanged, every check sees the
model's frames, and the step from the last context frame to the model's first is judged
like any other (a continuation must continue). The score's ``outcome["continuation"]``
and its explanation say so, and name the truth's events the context already shows
(given to the model, not its doing).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np

from vidreason.instance_io import InstanceError, load_instance, read_png
from vidreason.perception.threads import one_blas_thread
from vidreason.perception.timeline import MAX_DELAY
from vidreason.perception.tracking import Tracks, track_frames
from vidreason.render.video_io import Video, VideoError, read_video
from vidreason.types import Check, Instance, Score
from vidreason.verifiers import checks as generic
from vidreason.verifiers.combine import combine
from vidreason.verifiers.path import path as on_path


def failure(reason: str) -> Score:
    return Score(value=0.0, passed=False, checks={}, explanation=reason, error=reason)


def run_checks(tracks: Tracks, instance: Instance, first_image: np.ndarray | None) -> list[Check]:
    """Every check a video gets: the camera check, the shared checks its family runs
    (``TaskFamily.generic_checks``) and the family's law checks (``TaskFamily.law_checks``,
    declared in ``TaskFamily.checks``); on a continuation suite also ``seam``
    (``verifiers/continuation.py``)."""
    from vidreason.tasks import get_family
    from vidreason.verifiers import continuation

    family = get_family(instance.family_id)
    shared = {
        "duration": lambda: generic.duration(tracks, instance),
        "visible": lambda: generic.visibility(tracks, instance),
        "objects": lambda: generic.objects(tracks, instance),
        "first_frame": lambda: generic.first_frame(tracks, instance, first_image),
        "final_state": lambda: generic.final_state(tracks, instance),
        "continuity": lambda: generic.continuity(tracks, instance),
        "path": lambda: on_path(tracks, instance),
    }
    seam = [continuation.seam(tracks, instance)] if instance.context_frames else []
    return [
        generic.camera(tracks, instance),
        *(shared[n]() for n in family.generic_checks),
        *seam,
        *family.law_checks(tracks, instance),
    ]


@one_blas_thread()
def score_frames(
    frames: np.ndarray,
    instance: Instance,
    first_image: np.ndarray | None = None,
    times: np.ndarray | None = None,
) -> tuple[Score, Tracks]:
    tracks = track_frames(frames, instance, times, first_image)
    score = combine(run_checks(tracks, instance, first_image))
    return with_outcome(score, tracks, instance), tracks


def with_outcome(score: Score, tracks: Tracks, instance: Instance) -> Score:
    """Attach what happened in the video next to what should have happened (and the
    counterfactual pair the instance belongs to), for families that define an outcome."""
    from vidreason.tasks import get_family

    family = get_family(instance.family_id)
    if family.outcome is None:
        return score
    outcome = {"observed": family.outcome(tracks, instance), "expected": instance.outcome}
    if "pair" in instance.spec.extra:
        outcome["pair"] = instance.spec.extra["pair"]
    return replace(score, outcome=outcome)


def read_scored_part(video: Path, instance: Instance) -> Video:
    """The frames a score looks at, decoded as a stream: bars cropped and each frame
    resized to the task's resolution as it comes, and nothing after the task's duration
    (with the longest late start taken as a time offset and one frame of margin), so
    memory does not grow with the clip's size or length."""
    fmt = instance.spec.fmt
    until = fmt.duration + MAX_DELAY + 1.0 / fmt.fps
    return read_video(video, size=(fmt.width, fmt.height), until=until)


def given_events(instance: Instance) -> list[str]:
    """The truth's events inside a continuation suite's context, as ``kind objects@frame``
    (``contact ball/wall@6``); contacts there from frame 0 (bodies at rest) are no event."""
    k = instance.context_frames
    return [f"{e.kind} {'/'.join(e.objects)}@{e.frame}" for e in instance.events if 0 < e.frame < k]


def read_continuation(video: Path, instance_dir: Path, instance: Instance, whole: bool) -> Video:
    """The true context (the ground truth's first K frames) followed by the model's frames
    from the moment K / fps on: those of a continuation (``whole`` False: its time 0 is
    that moment), or those of a whole clip from that moment."""
    fmt = instance.spec.fmt
    k = instance.context_frames
    start = k / fmt.fps
    size = (fmt.width, fmt.height)
    truth = read_video(
        Path(instance_dir) / "ground_truth.mp4", size=size, until=start - 0.5 / fmt.fps
    )
    ctx = truth.frames[:k]
    if len(ctx) < k:
        raise VideoError(f"{instance_dir}/ground_truth.mp4: fewer than the {k} context frames")
    end = fmt.duration + 1.0 / fmt.fps
    clip = read_video(video, size=size, until=end if whole else end - start)
    times = clip.times if clip.times is not None else np.arange(clip.n_frames) / clip.fps
    if whole:
        keep = times >= start - 0.5 / fmt.fps
        frames, times = clip.frames[keep], times[keep]
    else:
        frames, times = clip.frames, times + start
    if not len(frames):
        raise VideoError(f"{video}: no frames after the {k} context frames ({start:.2f} s)")
    return Video(
        frames=np.concatenate([ctx, frames]),
        fps=float(fmt.fps),
        times=np.concatenate([np.arange(k) / fmt.fps, times]),
    )


def as_continuation(score: Score, instance: Instance, whole: bool) -> Score:
    """Say in the score that it judged a continuation of the instance's context."""
    k = instance.context_frames
    given = given_events(instance)
    note = f"scored after {k} context frames" + (
        f"; given by the context: {', '.join(given)}" if given else ""
    )
    info = {"context_frames": k, "video": "whole clip" if whole else "continuation"}
    return replace(
        score,
        explanation=f"{score.explanation} ({note})",
        outcome={**score.outcome, "continuation": {**info, "given": given}},
    )


def score_video(video: Path, instance_dir: Path, whole_clip: bool = False) -> Score:
    """Score one video file against one instance folder. Never raises for bad input.
    On a continuation suite ``video`` holds the frames after the context, or the whole
    clip when ``whole_clip`` (a model that is no continuation model)."""
    instance_dir = Path(instance_dir)
    try:
        instance = load_instance(instance_dir)
        first = instance_dir / "first_frame.png"
        image = read_png(first) if first.is_file() else None
        if instance.verifier == "imported-v1":  # no simulator spec: see verifiers/imported.py
            from vidreason.verifiers.imported import score_imported, working_size

            size = working_size(instance)
            clip = read_video(video, size=size, max_frames=None)
            return score_imported(clip, Path(instance_dir), instance)
        if instance.context_frames:
            clip = read_continuation(video, instance_dir, instance, whole_clip)
        else:
            clip = read_scored_part(video, instance)
    except (VideoError, InstanceError) as exc:
        return failure(str(exc))
    times = clip.times if clip.times is not None else np.arange(clip.n_frames) / clip.fps
    score, _ = score_frames(clip.frames, instance, image, times)
    return as_continuation(score, instance, whole_clip) if instance.context_frames else score
