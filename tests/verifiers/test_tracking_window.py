"""Labelling a body's colour only in the window that holds it gives exactly what labelling
the whole frame gives: the same blob, position, area and second copy, ties included."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from vidreason.perception.tracking import (
    _OPEN,
    _blobs,
    _unknown_area,
    body_blobs,
    class_boxes,
    codes,
)


def _whole_frame(classes, labels, share, k, reach):
    """The labelling as it was done before windows: over every pixel of the frame."""
    weight = (labels == k).astype(np.float32)
    blended = (classes == k) & (labels != k)
    weight[blended] = share[blended]
    return _blobs(weight, labels == k, reach)


def _scene(rng: np.random.Generator, h: int, w: int) -> tuple[np.ndarray, ...]:
    labels = np.full((h, w), 7, np.uint8)  # background
    classes = labels.copy()
    share = np.zeros((h, w), np.float32)
    for _ in range(rng.integers(1, 6)):
        k = int(rng.integers(0, 3))
        x, y = int(rng.integers(0, w)), int(rng.integers(0, h))
        r = int(rng.integers(1, 14))
        if rng.random() < 0.3:  # an exact copy of a blob elsewhere: a tie in mass
            for cx in (x, (x + w // 2) % w):
                cv2.circle(labels, (cx, y), r, k, -1)
        else:
            cv2.circle(labels, (x, y), r, k, -1)
        if rng.random() < 0.5:  # a blurred edge: blends that count for k by a share
            ring = np.zeros((h, w), np.uint8)
            cv2.circle(ring, (x, y), r + 2, 1, 2)
            edge = (ring > 0) & (labels == 7)
            labels[edge] = 255
            classes[edge] = k
            share[edge] = rng.uniform(0.3, 1.0, int(edge.sum())).astype(np.float32)
    if rng.random() < 0.2:  # stray pixels of a colour all over the frame
        specks = rng.random((h, w)) < 0.001
        labels[specks] = rng.integers(0, 3, int(specks.sum()))
    classes = np.where(labels == 255, classes, labels)
    return classes, labels, share


@pytest.mark.parametrize("threads", [1, 2])
def test_a_window_gives_what_the_whole_frame_gives(threads):
    rng = np.random.default_rng(0)
    before = cv2.getNumThreads()
    cv2.setNumThreads(threads)
    try:
        for trial in range(16):
            h, w = (256, 256) if trial % 2 else (480, 832)
            classes, labels, share = _scene(rng, h, w)
            for k in range(3):
                for reach in (6.0, 30.0):
                    got = body_blobs(classes, labels, share, k, reach)
                    want = _whole_frame(classes, labels, share, k, reach)
                    np.testing.assert_array_equal(np.array(got), np.array(want), err_msg=f"{trial}")
    finally:
        cv2.setNumThreads(before)


def test_a_colour_not_in_the_frame_is_not_found():
    labels = np.full((64, 64), 7, np.uint8)
    x, y, a, a2 = body_blobs(labels, labels, np.zeros((64, 64), np.float32), 0, 10.0)
    assert np.isnan(x) and np.isnan(y) and a == 0.0 and a2 == 0.0


def test_unknown_area_in_a_window_is_the_whole_frames():
    rng = np.random.default_rng(1)
    for trial in range(40):
        h, w = (256, 256) if trial % 2 else (480, 832)
        mask = np.zeros((h, w), bool)
        for _ in range(rng.integers(0, 4)):  # blobs, some on the edge of the frame
            x, y = int(rng.integers(-5, w + 5)), int(rng.integers(-5, h + 5))
            m = np.zeros((h, w), np.uint8)
            cv2.circle(m, (x, y), int(rng.integers(1, 12)), 1, -1)
            mask |= m > 0
        mask |= rng.random((h, w)) < (0.01 if trial % 3 == 0 else 0.0)  # seams and specks
        opened = cv2.morphologyEx(mask.astype(np.uint8), cv2.MORPH_OPEN, _OPEN)
        n, _, stats, _ = cv2.connectedComponentsWithStats(opened, connectivity=8)
        want = float(stats[1:, cv2.CC_STAT_AREA].max()) if n > 1 else 0.0
        assert _unknown_area(mask) == want, trial


def test_class_boxes_are_each_class_bounding_rect():
    rng = np.random.default_rng(2)
    for trial in range(16):
        h, w = (256, 256) if trial % 2 else (480, 832)
        classes, _, _ = _scene(rng, h, w)
        got = class_boxes(classes, [0, 1, 2], 3)
        for k in range(3):
            want = cv2.boundingRect((classes == k).view(np.uint8))
            assert got.get(k, (0, 0, 0, 0)) == want, (trial, k)


def test_codes_quantise_each_channel():
    rng = np.random.default_rng(3)
    frame = rng.integers(0, 256, (37, 53, 3), dtype=np.uint8)
    for bits in (5, 6, 8):
        q = (frame >> (8 - bits)).astype(np.int64)
        want = (q[..., 0] << (2 * bits)) | (q[..., 1] << bits) | q[..., 2]
        np.testing.assert_array_equal(codes(frame, bits), want)
    np.testing.assert_array_equal(codes(frame[5:9, 7:30]), codes(frame)[5:9, 7:30])
    assert codes(frame[:0]).shape == (0, 53)
