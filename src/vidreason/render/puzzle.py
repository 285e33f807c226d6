"""Drawing of a `sliding-puzzle` board: tiles on a tray, each with its number.

A tile is a square in its row's colour with a band in its column's colour along the
bottom and its number above the band (``SlidingPuzzleParams.column_colours``); the board's
geometry is ``SlidingPuzzleParams.board``. The family renders its frames with ``render`` and the
verifier (``verifiers/puzzle.py``) draws the conditioning image with it to recognise the
tiles in a video's first frame.
"""

from __future__ import annotations

from typing import cast

import cv2
import numpy as np

from vidreason.render.raster2d import fill_rect
from vidreason.scene.params.planning import SlidingPuzzleParams
from vidreason.types import RGB, Body, SceneSpec, Trajectory

TRAY = (118, 108, 96)
DIGIT = (28, 28, 30)
BAND = 0.3  # height of a tile's column band as a fraction of the tile


def _sprite(body: Body, band: tuple[int, int, int], pitch: int) -> np.ndarray:
    """One tile on a pitch-sized square of tray: a square in its row's colour with a
    band in its column's colour along the bottom, and its number above the band."""
    img = np.empty((pitch, pitch, 3), np.uint8)
    img[:] = TRAY
    half = body.size[0] / 2
    c = pitch / 2
    fill_rect(img, c - half, c - half, c + half, c + half, body.colour)
    top = c + half - BAND * body.size[0]
    fill_rect(img, c - half, top, c + half, c + half, band)
    text = body.name[4:]
    font, thick = cv2.FONT_HERSHEY_DUPLEX, max(2, round(pitch / 12))
    (tw, th), _ = cv2.getTextSize(text, font, 1.0, thick)
    room = top - (c - half)
    scale = min(0.55 * room / th, 0.8 * body.size[0] / tw)
    (tw, th), _ = cv2.getTextSize(text, font, scale, thick)
    org = (round(c - tw / 2), round((c - half + top) / 2 + th / 2))
    cv2.putText(img, text, org, font, scale, DIGIT, thick, cv2.LINE_AA)
    return img


def _paste(img: np.ndarray, sprite: np.ndarray, x: float, y: float) -> None:
    h, w = sprite.shape[:2]
    x0, y0 = round(x - w / 2), round(y - h / 2)
    H, W = img.shape[:2]
    ax, ay, bx, by = max(0, x0), max(0, y0), min(W, x0 + w), min(H, y0 + h)
    if ax < bx and ay < by:
        img[ay:by, ax:bx] = sprite[ay - y0 : by - y0, ax - x0 : bx - x0]


def render(spec: SceneSpec, trajectory: Trajectory) -> np.ndarray:
    if spec.fmt.style != "flat":
        return _render_styled(spec, trajectory)
    params = SlidingPuzzleParams.of(spec)
    board = params.board
    n, p = board.n, int(board.pitch)
    base = np.empty((spec.fmt.height, spec.fmt.width, 3), np.uint8)
    base[:] = spec.background
    m = 0.12 * p
    x0, y0 = board.x0, board.y0
    fill_rect(base, x0 - m, y0 - m, x0 + n * p + m, y0 + n * p + m, TRAY)
    bands = [cast(RGB, tuple(c)) for c in params.column_colours]
    sprites = {b.name: _sprite(b, bands[(int(b.name[4:]) - 1) % n], p) for b in spec.bodies}
    frames = []
    for i in range(trajectory.n_frames):
        img = base.copy()
        for b in spec.bodies:
            if b.name in trajectory.states:
                x, y = trajectory.states[b.name][i][:2]
                _paste(img, sprites[b.name], x, y)
        frames.append(img)
    return np.stack(frames)


def _styled_sprite(
    body: Body, band: tuple[int, int, int], pitch: int, style: str
) -> tuple[np.ndarray, np.ndarray]:
    """A tile as ``_sprite`` draws it, shaded or striped, premultiplied by its coverage:
    (pitch, pitch, 3) colour and (pitch, pitch, 1) coverage."""
    from vidreason.render import grid_style as gs

    img = np.zeros((pitch, pitch, 3), np.float32)
    half, c = body.size[0] / 2, pitch / 2
    tile = gs.rect(c - half, c - half, c + half, c + half)
    gs.paint(img, tile, body.colour, style)
    top = c + half - BAND * body.size[0]
    gs.paint(img, gs.rect(c - half, top, c + half, c + half), band, style)
    cover = np.zeros((pitch, pitch, 3), np.float32)
    gs.paint(cover, tile, (1.0, 1.0, 1.0), "flat")
    text = np.zeros((pitch, pitch), np.uint8)
    label = body.name[4:]
    font, thick = cv2.FONT_HERSHEY_DUPLEX, max(2, round(pitch / 12))
    (tw, th), _ = cv2.getTextSize(label, font, 1.0, thick)
    scale = min(0.55 * (top - (c - half)) / th, 0.8 * body.size[0] / tw)
    (tw, th), _ = cv2.getTextSize(label, font, scale, thick)
    org = (round(c - tw / 2), round((c - half + top) / 2 + th / 2))
    cv2.putText(text, label, org, font, scale, 255, thick, cv2.LINE_AA)
    a = (text.astype(np.float32) / 255.0)[:, :, None]
    img += a * (np.asarray(DIGIT, np.float32) * cover - img)
    return img, cover[:, :, :1]


def _render_styled(spec: SceneSpec, trajectory: Trajectory) -> np.ndarray:
    """The board shaded (the tray lit from the top left, tiles shaded, soft shadows) or
    textured (a checked background, a striped tray, tiles striped in tints of their
    colours); ``render/grid_style.py``."""
    from vidreason.render import grid_style as gs

    params = SlidingPuzzleParams.of(spec)
    board, style = params.board, spec.fmt.style
    n, p = board.n, int(board.pitch)
    m = 0.12 * p
    x0, y0 = board.x0, board.y0
    canvas = gs.backdrop(spec, spec.background, p / 2, x0, y0)
    tray = gs.rect(x0 - m, y0 - m, x0 + n * p + m, y0 + n * p + m)
    if style == "shaded":
        gs.cast(canvas, [tray], gs.shadow_reach(p))
    gs.paint(canvas, tray, TRAY, style, fixed=True)
    bands = [cast(RGB, tuple(c)) for c in params.column_colours]
    sprites = {
        b.name: _styled_sprite(b, bands[(int(b.name[4:]) - 1) % n], p, style) for b in spec.bodies
    }
    bodies = [b for b in spec.bodies if b.name in trajectory.states]
    reach = 0.5 * gs.shadow_reach(board.tile)
    frames = np.empty((trajectory.n_frames, *canvas.shape), np.uint8)
    for i in range(trajectory.n_frames):
        img = canvas.copy()
        at = [trajectory.states[b.name][i][:2] for b in bodies]
        if style == "shaded":
            half = board.tile / 2
            gs.cast(img, [gs.rect(x - half, y - half, x + half, y + half) for x, y in at], reach)
        for b, (x, y) in zip(bodies, at, strict=True):
            colour, cover = sprites[b.name]
            _blend(img, colour, cover, x, y)
        frames[i] = gs.to_uint8(img)
    return frames


def _blend(img: np.ndarray, colour: np.ndarray, cover: np.ndarray, x: float, y: float) -> None:
    """A premultiplied sprite centred at (x, y) (whole pixels, as ``_paste``) over ``img``."""
    h, w = colour.shape[:2]
    x0, y0 = round(x - w / 2), round(y - h / 2)
    H, W = img.shape[:2]
    ax, ay, bx, by = max(0, x0), max(0, y0), min(W, x0 + w), min(H, y0 + h)
    if ax < bx and ay < by:
        sub = (slice(ay - y0, by - y0), slice(ax - x0, bx - x0))
        view = img[ay:by, ax:bx]
        view *= 1.0 - cover[sub]
        view += colour[sub]
