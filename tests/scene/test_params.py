"""Typed per-family parameters (``scene/params``): a sampler writes them, the prompt,
engine and verifier read them back, a missing or ill-typed key is one clear error, and no
module outside ``scene/params`` reaches into ``spec.params`` / ``spec.extra`` by a string
key."""

from __future__ import annotations

import ast
import dataclasses
from pathlib import Path

import numpy as np
import pytest

from vidreason.scene.params import Floor, Params, ParamsError
from vidreason.scene.params.causal import BlockerParams, TriggerParams, WallRecord
from vidreason.scene.params.physics import PendulumParams
from vidreason.scene.params.planning import Schedule, SortParams
from vidreason.tasks import FAMILIES, get_family
from vidreason.types import SceneSpec, VideoFormat

PARAMS_DIR = Path(__file__).resolve().parents[2] / "src" / "vidreason" / "scene" / "params"
SRC = PARAMS_DIR.parents[1]


def spec_with(p: Params, family: str = "pendulum") -> SceneSpec:
    return SceneSpec(
        family=family,
        version=1,
        seed=0,
        index=0,
        difficulty=1,
        fmt=VideoFormat(),
        gravity=1.0,
        bodies=(),
        params=p.to_params(),
        extra=p.to_extra(),
    )


def test_parameters_written_by_a_sampler_read_back_the_same():
    calm = PendulumParams(length=120.0, amplitude=0.4, periods=1.5)
    damped = dataclasses.replace(calm, damping=0.55)
    assert calm.to_params() == {"length": 120.0, "amplitude": 0.4, "periods": 1.5}
    assert calm.to_extra() == {}  # an optional field left None is not written
    assert damped.to_extra() == {"damping": 0.55}
    for p in (calm, damped):
        assert PendulumParams.of(spec_with(p)) == p


def test_a_missing_key_is_one_error_naming_the_family_and_the_key():
    spec = spec_with(PendulumParams(length=120.0, amplitude=0.4, periods=1.5))
    del spec.params["amplitude"]
    with pytest.raises(ParamsError, match=r"^pendulum-v1: spec.params has no 'amplitude'$"):
        PendulumParams.of(spec)
    assert PendulumParams.maybe(spec) is None


def test_a_value_of_the_wrong_type_is_one_error_naming_the_family_and_the_key():
    spec = spec_with(PendulumParams(length=120.0, amplitude=0.4, periods=1.5, damping=0.5))
    spec.extra["damping"] = "some"
    with pytest.raises(ParamsError, match=r"^pendulum-v1: spec.extra\['damping'\] is 'some'"):
        PendulumParams.of(spec)
    spec.extra["damping"] = True  # a bool is not a number
    with pytest.raises(ParamsError, match="damping"):
        PendulumParams.of(spec)


def test_an_int_is_stored_as_a_float_and_read_back_as_an_int():
    p = Schedule(optimal_moves=5, t_start=0.2, t_move=0.4)
    assert p.to_params() == {"optimal_moves": 5.0, "t_start": 0.2, "t_move": 0.4}
    back = Schedule.of(spec_with(p, "maze"))
    assert back.optimal_moves == 5 and isinstance(back.optimal_moves, int)
    spec = spec_with(p, "maze")
    spec.params["optimal_moves"] = 5.5
    with pytest.raises(ParamsError, match="optimal_moves"):
        Schedule.of(spec)


def test_a_record_is_stored_as_a_dict_and_read_back_as_its_dataclass():
    p = BlockerParams(floor_y=230.4, wall=WallRecord(colour="red", x=120.0, width=9.0, height=60))
    assert p.to_extra() == {"wall": {"colour": "red", "x": 120.0, "width": 9.0, "height": 60}}
    spec = spec_with(p, "blocker")
    assert BlockerParams.of(spec) == p
    del spec.extra["wall"]["height"]
    with pytest.raises(ParamsError, match=r"blocker-v1: spec.extra\['wall'\]"):
        BlockerParams.of(spec)


def test_a_class_reads_only_its_keys_and_update_keeps_every_other_key():
    p = TriggerParams(floor_y=230.4, shelf_y=128.5, slide=[46.1, 0.32], cause="rolls", side="right")
    spec = dataclasses.replace(spec_with(p, "trigger"), extra={"pair": {"id": "x"}, **p.to_extra()})
    assert Floor.of(spec) == Floor(floor_y=230.4)
    changed = TriggerParams.update(spec, cause="post")
    assert changed.extra == {**spec.extra, "cause": "post"}
    assert list(changed.extra) == list(spec.extra)  # keys stay where they were
    assert changed.params == spec.params


def test_sort_keeps_its_floor_in_extra():
    fmt = VideoFormat()
    spec = get_family("sort").sample(np.random.default_rng(0), 0, 0, 1, fmt)
    p = SortParams.of(spec)
    assert "floor_y" in spec.extra and "floor_y" not in spec.params
    assert p.floor_y == spec.extra["floor_y"] and p.optimal_moves >= 1


def test_every_registered_family_declares_its_parameters():
    missing = [n for n in FAMILIES.names() if get_family(n).params is None]
    assert not missing, missing


def test_every_parameter_has_a_one_line_docstring():
    undocumented = []
    for path in sorted(PARAMS_DIR.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for cls in (n for n in tree.body if isinstance(n, ast.ClassDef)):
            body = cls.body
            for k, node in enumerate(body):
                if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                    doc = body[k + 1] if k + 1 < len(body) else None
                    ok = (
                        isinstance(doc, ast.Expr)
                        and isinstance(doc.value, ast.Constant)
                        and isinstance(doc.value.value, str)
                    )
                    if not ok:
                        undocumented.append(f"{path.name}:{cls.name}.{node.target.id}")
    assert not undocumented, undocumented


BAGS = {"params", "extra"}
# the counterfactual pair's record is stamped on every paired instance by
# tasks/base.py:sample_scene; the scoring entry point and the runner pass it on as it is
PAIR_READERS = {"vidreason/scoring.py", "vidreason/runner/worker.py"}


def string_key_access(tree: ast.AST) -> list[tuple[int, str]]:
    """``x.params["k"]``, ``x.extra.get("k")``, ``"k" in x.extra`` (and the same through a
    name bound to ``x.params`` or ``x.extra``)."""
    aliases = {
        t.id
        for n in ast.walk(tree)
        if isinstance(n, ast.Assign) and isinstance(n.value, ast.Attribute) and n.value.attr in BAGS
        for t in n.targets
        if isinstance(t, ast.Name)
    }

    def bag(n: ast.AST) -> bool:
        return (isinstance(n, ast.Attribute) and n.attr in BAGS) or (
            isinstance(n, ast.Name) and n.id in aliases
        )

    out = []
    for n in ast.walk(tree):
        key = None
        if isinstance(n, ast.Subscript) and bag(n.value) and isinstance(n.slice, ast.Constant):
            key = n.slice.value
        elif (
            isinstance(n, ast.Call)
            and isinstance(n.func, ast.Attribute)
            and n.func.attr == "get"
            and bag(n.func.value)
            and n.args
            and isinstance(n.args[0], ast.Constant)
        ):
            key = n.args[0].value
        elif (
            isinstance(n, ast.Compare)
            and len(n.ops) == 1
            and isinstance(n.ops[0], ast.In | ast.NotIn)
            and bag(n.comparators[0])
            and isinstance(n.left, ast.Constant)
        ):
            key = n.left.value
        if isinstance(key, str):
            out.append((n.lineno, key))
    return out


def test_no_module_outside_scene_params_reads_a_parameter_by_its_string_key():
    found = []
    for path in sorted(SRC.joinpath("vidreason").rglob("*.py")):
        rel = path.relative_to(SRC).as_posix()
        if rel.startswith("vidreason/scene/params/"):
            continue
        for line, key in string_key_access(ast.parse(path.read_text(encoding="utf-8"))):
            if not (rel in PAIR_READERS and key == "pair"):
                found.append(f"{rel}:{line} {key!r}")
    assert not found, found


def test_the_scan_finds_string_key_access():
    code = 'p = spec.params\na = p["x"]\nb = spec.extra.get("y")\nc = "z" in spec.extra\n'
    assert [k for _, k in string_key_access(ast.parse(code))] == ["x", "y", "z"]
