"""A family's scene ``i`` is the same however the process came to draw it: in index
order, out of order, after forgetting, or drawn fresh."""

from __future__ import annotations

import pytest

from vidreason.instance_io import spec_to_dict
from vidreason.tasks import get_family
from vidreason.tasks.base import difficulty_of, forget_scenes, sample_scene
from vidreason.types import VideoFormat

FMT = VideoFormat(width=64, height=64, fps=16, n_frames=16)


def _scenes(family_id: str, order: list[int], fresh: bool = False) -> dict[int, dict]:
    family = get_family(family_id)
    return {
        i: spec_to_dict(sample_scene(family, 3, i, difficulty_of(family, i), FMT, fresh=fresh))
        for i in order
    }


@pytest.mark.parametrize("family_id", ["bounce-v1", "free-fall-pair-v1"])
def test_a_scene_does_not_depend_on_the_order_it_is_drawn_in(family_id):
    forget_scenes()
    in_order = _scenes(family_id, list(range(40)))
    forget_scenes()
    shuffled = _scenes(family_id, [37, 4, 38, 0, 21, 39, 1, *range(40)])
    assert shuffled == in_order
    assert _scenes(family_id, [30, 31], fresh=True) == {i: in_order[i] for i in (30, 31)}
    assert len({json_key(s) for s in in_order.values()}) == 40


def json_key(spec: dict) -> str:
    import json

    return json.dumps({k: v for k, v in spec.items() if k != "index"}, sort_keys=True)
