"""2D scene styles: the primitives, and the rasteriser drawing shaded and textured scenes
(clearly not flat, each body's colour kept as its hue, the same bytes for the same seed)."""

from __future__ import annotations

import dataclasses

import cv2
import numpy as np
import pytest

from vidreason.perception.tracking import lab_of
from vidreason.render import style as st
from vidreason.tasks import build_instance, get_family
from vidreason.types import VideoFormat


def _frames(family: str, style: str, index: int = 0) -> tuple[object, np.ndarray]:
    return build_instance(get_family(family), 0, index, 2, VideoFormat(style=style))


def test_light_gradient_is_brighter_towards_the_light() -> None:
    g = st.light_gradient(64, 64)
    assert g[0, 0] > g[32, 32] > g[-1, -1]  # the light is at the upper left
    assert g.max() - g.min() == pytest.approx(st.GRADIENT, abs=0.01)


def test_checks_and_stripes_alternate() -> None:
    c = st.checker(32, 32, 8)
    assert c[4, 4] == pytest.approx(1 + st.CHECK, abs=1e-3)
    assert c[4, 12] == pytest.approx(1 - st.CHECK, abs=1e-3)
    s = st.stripes(32, 32, 8, 0.1)
    assert s.max() == pytest.approx(1.1, abs=1e-3) and s.min() == pytest.approx(0.9, abs=1e-3)


def test_compose_stays_within_the_silhouette() -> None:
    img = np.full((20, 20, 3), 200, np.uint8)
    win = st.window(img.shape, 10, 10, 5)
    cover = np.zeros((win.y1 - win.y0, win.x1 - win.x0), np.float32)
    cover[3:6, 3:6] = 1.0
    fill = st.shaded_fill(win, (200, 30, 30), (10, 10), 5)
    st.compose(img, win, cover, fill)
    changed = np.argwhere((img != 200).any(axis=2))
    assert changed.min(axis=0).tolist() == [win.y0 + 3, win.x0 + 3]
    assert changed.max(axis=0).tolist() == [win.y0 + 5, win.x0 + 5]


def _off_key(colours: np.ndarray, key: tuple[int, int, int]) -> tuple[np.ndarray, np.ndarray]:
    """How far each colour lies from ``key`` in hue and chroma (a, b) and in lightness
    (8-bit Lab: L x 2.55)."""
    d = lab_of(colours) - lab_of(np.array([key]))[0]
    return np.linalg.norm(d[:, 1:], axis=1), np.abs(d[:, 0])


@pytest.mark.parametrize("style", ["shaded", "textured"])
def test_a_styled_scene_is_drawn_so_and_keeps_its_colours(style: str) -> None:
    inst, frames = _frames("bounce-v1", style)
    _, flat = _frames("bounce-v1", "flat")
    assert not np.array_equal(frames[0], flat[0])
    ball = inst.spec.bodies[0]
    x, y = (round(v) for v in inst.trajectory.states[ball.name][0][:2])
    r = int(0.7 * ball.radius)
    inside = frames[0][y - r : y + r + 1, x - r : x + r + 1].reshape(-1, 3)
    assert np.ptp(inside.astype(int), axis=0).max() >= 20  # not one flat colour
    hue, light = _off_key(inside, ball.colour)
    assert hue.max() < 10 and light.max() < 2.55 * 12  # its hue, a little lighter or darker
    sky = frames[0][:10].reshape(-1, 3).astype(int)  # above every body
    spread = np.ptp(sky.mean(axis=1))
    if style == "shaded":  # a smooth gradient, a few % of the brightness
        assert 8 <= spread <= 40
        row = frames[0][5, :, 1].astype(int)
        assert row[0] > row[-1] and np.abs(np.diff(row)).max() <= 2
    else:  # checks of moderate contrast
        assert spread >= 25


def test_a_shaded_body_casts_a_shadow_that_follows_it() -> None:
    inst, frames = _frames("bounce-v1", "shaded")
    _, flat = _frames("bounce-v1", "flat")
    ball = inst.spec.bodies[0]
    for i in (0, len(frames) - 1):
        x, y = inst.trajectory.states[ball.name][i][:2]
        dx, dy = st.shadow_offset(ball.radius)
        px, py = round(x + dx + 0.9 * ball.radius), round(y + dy + 0.5 * ball.radius)
        gain = st.light_gradient(*frames.shape[1:3])[py, px]
        expected = flat[i][py, px].astype(float) * gain
        assert (frames[i][py, px] < expected - 8).all()  # darker than the lit backdrop


def test_a_textured_body_turns_with_its_pattern() -> None:
    body = get_family("bounce-v1")
    inst, _ = build_instance(body, 0, 0, 2, VideoFormat(style="textured"))
    spec = dataclasses.replace(inst.spec, bodies=(inst.spec.bodies[0],), walls=())
    from vidreason.render.raster2d import draw_frame

    a = draw_frame(spec, {spec.bodies[0].name: (100.0, 100.0, 0.0)})
    b = draw_frame(spec, {spec.bodies[0].name: (100.0, 100.0, np.pi / 2)})
    c = draw_frame(spec, {spec.bodies[0].name: (100.0, 100.0, np.pi)})
    assert not np.array_equal(a[80:120, 80:120], b[80:120, 80:120])
    # a half turn maps the pattern (symmetric about the centre) onto itself, to a pixel
    assert np.abs(a[80:120, 80:120].astype(int) - c[80:120, 80:120]).mean() < 12


@pytest.mark.parametrize("style", ["shaded", "textured"])
def test_same_seed_same_bytes(style: str) -> None:
    for family in ("dominoes-v1", "containment-v1"):
        _, a = _frames(family, style, 1)
        _, b = _frames(family, style, 1)
        assert a.tobytes() == b.tobytes()


def test_flat_is_drawn_as_before() -> None:
    """The flat path is the plain OpenCV fill: a body is one colour inside its outline."""
    inst, frames = _frames("bounce-v1", "flat")
    ball = inst.spec.bodies[0]
    x, y = (round(v) for v in inst.trajectory.states[ball.name][0][:2])
    r = int(0.7 * ball.radius)
    inside = frames[0][y - r : y + r + 1, x - r : x + r + 1].reshape(-1, 3)
    assert (inside == np.array(ball.colour, np.uint8)).all()
    assert cv2.countNonZero((frames[0][:10] != frames[0][0, 0]).any(axis=2).view(np.uint8)) == 0


def test_a_body_outside_the_picture_draws_nothing() -> None:
    assert st.window((20, 30, 3), -50.0, 5.0, 4.0).empty
    assert st.window((20, 30, 3), 5.0, 80.0, 4.0).empty
    assert st.window((20, 30, 3), float("nan"), 5.0, 4.0).empty
    inst, _ = _frames("bounce-v1", "shaded")
    from vidreason.render.raster2d import draw_frame

    name = inst.spec.bodies[0].name
    far = draw_frame(inst.spec, {name: (-500.0, 40.0, 0.0)})
    assert far.shape == (256, 256, 3)


def test_the_tracker_labels_every_shade_and_tint_as_its_key() -> None:
    """Within a styled scene's colour distance: each body colour at its lightest and darkest
    shading and tints is its own key, and the background under a shadow is the background."""
    from vidreason.perception.tracking import LIGHTNESS_WEIGHT, codes, label_table
    from vidreason.tasks.palette import BACKGROUND, COLOURS, FLOOR

    keys = [*COLOURS.values(), BACKGROUND, FLOOR]
    table = label_table(lab_of(np.array(keys)), lightness=LIGHTNESS_WEIGHT["shaded"])
    flat = label_table(lab_of(np.array(keys)))
    missed = 0
    for k, key in enumerate(keys[:-2]):
        light, dark = st.tints(key)
        lit = st.lightness(key, np.array([1.0, -1.0], np.float32))
        seen = np.rint(np.stack([light, dark, *lit])).astype(np.uint8)[None]
        assert (table[codes(seen)] == k).all(), key
        missed += int((flat[codes(seen)] == 255).sum())
    assert missed > 0  # the flat distance would lose some of them
    bg = np.array(BACKGROUND, np.float32)
    darkest = np.rint(bg * (1 - st.GRADIENT / 2) * (1 - st.SHADOW)).astype(np.uint8)
    assert table[codes(darkest[None, None])][0, 0] == len(keys) - 2


def test_a_printed_body_carries_no_style_pattern() -> None:
    """The patterns family's bodies carry prints its questions ask about: a textured scene
    textures their table, not them."""
    inst, frames = _frames("patterns-v1", "textured")
    _, flat = _frames("patterns-v1", "flat")
    for body in inst.spec.bodies:
        plain = (flat[0] == np.array(body.colour, np.uint8)).all(axis=2)
        same = (frames[0][plain] == np.array(body.colour, np.uint8)).all(axis=1)
        assert plain.sum() > 20 and same.mean() > 0.95
    assert not np.array_equal(frames[0], flat[0])  # the table is textured
