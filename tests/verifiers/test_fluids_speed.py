"""The liquid families' faster paths give what the plain ones gave, to the bit: a turned
container tested only in each wall's box, its masks made once a scene, and the faded
share's products over every pixel with the rest only where a tint may be kept."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tests.helpers import build
from vidreason.corruptions import BY_NAME, encode
from vidreason.render.liquid import cup_angles, cup_masks
from vidreason.render.video_io import read_video
from vidreason.scene import liquid
from vidreason.scene.params.fluids import Liquid
from vidreason.types import VideoFormat
from vidreason.verifiers import fluids


def _turned_everywhere(rects, pivot, angle: float, w: int, h: int) -> np.ndarray:
    """``liquid.turned_mask`` as it was: every pixel of the picture turned back."""
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float64)
    dx, dy = xs - pivot[0], ys - pivot[1]
    c, s = math.cos(angle), math.sin(angle)
    lx, ly = pivot[0] + c * dx + s * dy, pivot[1] - s * dx + c * dy
    out = np.zeros((h, w), bool)
    for x0, y0, x1, y1 in rects:
        out |= (lx >= x0) & (lx < x1) & (ly >= y0) & (ly < y1)
    return out


def test_a_turned_container_tested_in_its_walls_boxes_is_the_whole_pictures():
    rng = np.random.default_rng(0)
    for k in range(120):
        w, h = int(rng.integers(20, 160)), int(rng.integers(20, 160))
        rects = []
        for _ in range(3):  # partly outside the picture too
            x0, y0 = rng.uniform(-30, w + 10), rng.uniform(-30, h + 10)
            rects.append([x0, y0, x0 + rng.uniform(0.5, 60), y0 + rng.uniform(0.5, 60)])
        if k % 3 == 0:  # edges on whole pixels, where the rounding of the turn decides
            rects = [[float(round(v)) for v in r] for r in rects]
        pivot = [rng.uniform(0, w), rng.uniform(0, h)]
        turned = liquid.turner(rects, pivot, w, h)
        for a in [*rng.uniform(-3.2, 3.2, 4), 0.0, math.pi / 2]:
            assert np.array_equal(turned(a), _turned_everywhere(rects, pivot, a, w, h))


def test_a_pours_cup_masks_are_made_once_and_read_only():
    inst, _ = build("pour")
    spec, p = inst.spec, Liquid.of(inst.spec)
    masks = cup_masks(spec, inst.trajectory)
    assert masks is not None and not masks.flags.writeable
    assert cup_masks(spec, inst.trajectory) is masks
    angles = cup_angles(inst.trajectory)
    w, h = spec.fmt.width, spec.fmt.height
    for i in (0, len(angles) // 2, len(angles) - 1):
        assert np.array_equal(masks[i], _turned_everywhere(p.cup, p.pivot, angles[i], w, h))


def _faded_everywhere(rgb: np.ndarray, liq: np.ndarray, back: np.ndarray) -> np.ndarray:
    """``fluids.faded`` as it was: every step over every pixel."""
    y_liq, y_back = float(liq @ fluids._LUMA), float(back @ fluids._LUMA)
    axis = fluids._CHROMA @ (liq - back)
    if abs(y_back - y_liq) < fluids.MIN_LUMA or float(np.linalg.norm(axis)) < fluids.MIN_CHROMA:
        return np.zeros(len(rgb), np.float32)
    chroma = (rgb - back) @ fluids._CHROMA.T
    along = chroma @ axis / float(axis @ axis)
    off = np.linalg.norm(chroma - along[:, None] * axis, axis=1) / float(np.linalg.norm(axis))
    tinted = (along >= fluids.TINT) & (off <= 0.5 * along)
    share = np.clip((y_back - rgb @ fluids._LUMA) / (y_back - y_liq), 0.0, 1.0)
    return np.where(tinted, share, 0.0).astype(np.float32)


@pytest.mark.parametrize("name", ["mpeg4", "crf 35", "24 fps blend"])
def test_the_faded_share_of_a_coded_pour_is_the_plain_ones(name, tmp_path):
    inst, frames = build("pour")
    sample = BY_NAME[name].fn(inst, frames, np.random.default_rng(0))
    video = read_video(encode(sample, tmp_path / "v")).frames
    liq = np.asarray(inst.spec.bodies[0].colour, np.float32)
    back = np.asarray(inst.spec.background, np.float32)
    kept = 0
    for f in video[::4]:
        rgb = f.reshape(-1, 3).astype(np.float32)
        got = fluids.faded(rgb, liq, back)
        assert got.dtype == np.float32
        assert np.array_equal(got, _faded_everywhere(rgb, liq, back))
        kept += int(np.count_nonzero(got))
    assert kept > 0  # some pixels keep a tint: the shares are compared, not only zeros


def test_the_liquids_colour_table_is_made_once_a_palette_and_is_label_tables():
    from vidreason.perception.tracking import label_table, scene_palette, style_colours

    for style in ("flat", "shaded"):
        inst, _ = build("dam-break", fmt=VideoFormat(style=style))
        _, colours = scene_palette(inst)
        table = fluids._table(colours, inst)
        assert fluids._table(list(colours), inst) is table
        lightness = style_colours(inst.spec)[1]
        assert np.array_equal(table, label_table(fluids._lab(colours), lightness=lightness))
