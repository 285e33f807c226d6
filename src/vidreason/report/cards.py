"""The failure gallery: one card per failed video, playing next to its ground truth.

``failure_cards`` picks the failed rows (the first ``per_family`` of each model x family, by
instance index), and ``card`` turns one row into a ``Card``: relative links to the model's
video, the ground-truth video and the conditioning image; the tracked path of every object
over its true path as an SVG laid over the playing video; an x(t) / y(t) plot of the same
(``svg.tracks_plot``) to be written next to the report; the explanation and the checks.

A row whose instance or video cannot be read still gets a card, with the reason.
"""

from __future__ import annotations

import hashlib
import os
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.request import pathname2url

import numpy as np

from vidreason.report import svg
from vidreason.store import Row

if TYPE_CHECKING:
    from vidreason.perception.tracking import Tracks
    from vidreason.types import Instance

TRUTH_VIDEO = "ground_truth.mp4"
FIRST_FRAME = "first_frame.png"


@dataclass(frozen=True)
class ObjectKey:
    """A legend entry: what an object is called and the colour it has in the video."""

    label: str
    colour: str


@dataclass(frozen=True)
class Card:
    row: Row
    video: str = ""  # links relative to the report's folder; "" when there is no file
    truth: str = ""
    poster: str = ""
    overlay_file: str = ""  # relative link of the paths drawn over the model's video
    plot_file: str = ""  # relative link of the x(t), y(t) plot
    files: dict[str, str] = field(default_factory=dict)  # link -> SVG text, for write_report
    width: int = 0  # model video size (px)
    height: int = 0
    truth_size: tuple[int, int] = (0, 0)  # ground-truth video size (px)
    objects: list[ObjectKey] = field(default_factory=list)
    prompt: str = ""
    error: str = ""

    @property
    def checks(self) -> list[tuple[str, float]]:
        return sorted(self.row.checks.items())


def resolve(run_dir: Path, path: str) -> Path:
    """A stored path: absolute as is, else relative to the run directory if it exists there."""
    p = Path(path)
    if p.is_absolute():
        return p
    return run_dir / p if (run_dir / p).exists() else p


def link(path: Path, base: Path) -> str:
    """``path`` as a URL relative to the folder ``base`` (spaces and the like quoted)."""
    rel = os.path.relpath(os.path.abspath(path), os.path.abspath(base))
    return pathname2url(rel.replace(os.sep, "/"))


def shown_path(path: str | Path, base: Path) -> str:
    """A path as the page prints it: relative to ``base`` (the report's folder)."""
    try:
        return os.path.relpath(os.path.abspath(path), os.path.abspath(base))
    except ValueError:  # another drive on Windows
        return str(path)


def pick_failures(all_rows: Sequence[Row], per_family: int) -> tuple[list[Row], dict]:
    """The failed rows shown as cards, and the number of failures per (model, family)."""
    groups: dict[tuple[str, str], list[Row]] = defaultdict(list)
    for r in all_rows:
        if not r.passed:
            groups[(r.model, r.family)].append(r)
    picked = []
    for key in sorted(groups):
        picked += sorted(groups[key], key=lambda r: r.idx)[: max(per_family, 0)]
    return picked, {k: len(v) for k, v in groups.items()}


def failure_cards(
    run_dir: Path, report_dir: Path, picked: Sequence[Row], files_dir: str
) -> list[Card]:
    """A card per picked row; instances are loaded once each."""
    cache: dict[str, Instance | str] = {}
    return [card(run_dir, report_dir, r, files_dir, cache) for r in picked]


def _instance(run_dir: Path, row: Row, cache: dict) -> Instance | str:
    from vidreason.instance_io import InstanceError, load_instance

    if row.instance_dir not in cache:
        try:
            cache[row.instance_dir] = load_instance(resolve(run_dir, row.instance_dir))
        except InstanceError as exc:
            cache[row.instance_dir] = str(exc)
    return cache[row.instance_dir]


def card(
    run_dir: Path, report_dir: Path, row: Row, files_dir: str, cache: dict | None = None
) -> Card:
    from vidreason.perception.tracking import track_frames
    from vidreason.render.video_io import VideoError, read_video

    video_path = resolve(run_dir, row.video)
    video = link(video_path, report_dir) if video_path.is_file() else ""
    instance = _instance(run_dir, row, {} if cache is None else cache)
    if isinstance(instance, str):
        return Card(row, video=video, error=row.error or f"cannot load the instance: {instance}")
    inst_dir = resolve(run_dir, row.instance_dir)
    truth = inst_dir / TRUTH_VIDEO
    base = Card(
        row,
        video=video,
        truth=link(truth, report_dir) if truth.is_file() else "",
        poster=link(inst_dir / FIRST_FRAME, report_dir)
        if (inst_dir / FIRST_FRAME).is_file()
        else "",
        objects=[ObjectKey(b.label, svg.hex_colour(b.colour)) for b in instance.spec.bodies],
        truth_size=(instance.spec.fmt.width, instance.spec.fmt.height),
        prompt=instance.prompt,
        error=row.error,
    )
    if not video or not instance.spec.bodies:  # an imported task has no bodies to track
        return base
    try:
        decoded = read_video(video_path)
    except VideoError as exc:
        return replace(base, error=row.error or str(exc))
    tracks = track_frames(decoded.frames, instance, decoded.times)
    height, width = decoded.frames.shape[1:3]
    paths = object_paths(instance, tracks)
    stem = f"{files_dir}/{hashlib.sha1(row.key.encode()).hexdigest()[:16]}"
    overlay_file, plot_file = pathname2url(f"{stem}-paths.svg"), pathname2url(f"{stem}-xy.svg")
    size = (instance.spec.fmt.width, instance.spec.fmt.height)
    overlay = svg.path_overlay(
        [in_video_frame(p, tracks.crop, instance) for p in paths], width, height
    )
    plot = svg.tracks_plot(paths, size, instance.spec.fmt.duration)
    return replace(
        base,
        overlay_file=overlay_file,
        plot_file=plot_file,
        files={overlay_file: overlay, plot_file: plot},
        width=width,
        height=height,
    )


def object_paths(instance: Instance, tracks: Tracks) -> list[svg.ObjectPath]:
    """Every body's tracked and true path in scene pixels."""
    truth_times = np.arange(instance.trajectory.n_frames) / instance.spec.fmt.fps
    return [
        svg.ObjectPath(
            label=b.label,
            colour=svg.hex_colour(b.colour),
            times=np.asarray(tracks.times, dtype=float),
            tracked=np.asarray(tracks.pos[b.name], dtype=float),
            truth_times=truth_times,
            truth=np.asarray(instance.trajectory.positions(b.name), dtype=float)[:, :2],
        )
        for b in instance.spec.bodies
        if b.name in tracks.pos
    ]


def in_video_frame(p: svg.ObjectPath, crop: tuple[int, ...], instance: Instance) -> svg.ObjectPath:
    """Scene pixels mapped to the model video's pixels (undoing the tracker's crop and resize)."""
    x0, y0, x1, y1 = crop
    scale = np.array([(x1 - x0) / instance.spec.fmt.width, (y1 - y0) / instance.spec.fmt.height])
    shift = np.array([x0, y0], dtype=float)
    return svg.ObjectPath(
        p.label,
        p.colour,
        p.times,
        p.tracked * scale + shift,
        p.truth_times,
        p.truth * scale + shift,
    )
