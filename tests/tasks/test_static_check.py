"""`vidreason check NAME --static`: a line per check, exit 1 when one fails; a family
broken in every way the static checks look at fails each of them."""

from __future__ import annotations

import random
from dataclasses import replace

import pytest
from typer.testing import CliRunner

from vidreason.cli import app
from vidreason.static_check import CHECKS, static_check
from vidreason.tasks import CheckSpec, get_family, register_family
from vidreason.tasks.catalog import BUILTIN

NAMES = [c.__name__.removeprefix("check_") for c in CHECKS]


def invoke(*args: str):
    return CliRunner().invoke(app, list(args))


def _lines(output: str, family: str) -> dict[str, str]:
    """check name -> "ok" or "FAIL", from the lines about ``family``."""
    out = {}
    for line in output.splitlines():
        mark, fid, rest = line.split(maxsplit=2)
        if fid == family:
            out[rest.split(":", 1)[0]] = mark
    return out


def test_a_good_family_passes_every_static_check():
    result = invoke("check", "projectile", "--static")
    assert result.exit_code == 0, result.output
    assert _lines(result.stdout, "projectile-v1") == dict.fromkeys(NAMES, "ok")
    assert "declared: returns the declared checks: gravity, parabola" in result.stdout


@pytest.fixture
def broken():
    """Projectile, broken: a sampler that writes another identity, draws from the global
    random state, adds a second ball of the same colour key outside the view (named by a
    colour word the prompt does not use), a tuple JSON turns into a list and no floor line
    in its parameters; and a wrong list of declared checks."""
    good = get_family("projectile")

    def sample(rng, seed, index, difficulty, fmt):
        spec = good.sample(rng, seed, index, difficulty, fmt)
        ball = spec.bodies[0]
        where = (-50.0, random.uniform(0, fmt.height))
        twin = replace(ball, name="twin", colour_name="mauve", position=where)
        return replace(
            spec,
            family="projectile",
            version=1,
            bodies=(ball, twin),
            params={},
            extra={"path": (1, 2)},
        )

    family = register_family(
        replace(
            good,
            name="broken",
            sample=sample,
            checks=(CheckSpec("gravity", "within 10%"), CheckSpec("wobble", "none")),
        )
    )
    yield family
    from vidreason.tasks import FAMILIES

    FAMILIES.remove(family.id)


def test_a_broken_family_fails_each_static_check(broken):
    result = invoke("check", "broken", "projectile", "--static")
    assert result.exit_code == 1, result.output
    assert _lines(result.stdout, "broken-v1") == dict.fromkeys(NAMES, "FAIL")
    assert _lines(result.stdout, "projectile-v1") == dict.fromkeys(NAMES, "ok")
    assert f"{len(NAMES)} static checks failed" in result.stderr
    said = {f.check: f.line for f in static_check(broken)}
    assert "writes projectile-v1" in said["identity"]
    assert "twin and ball share the colour" in said["colours"]
    assert said["in_view"].startswith("twin at (-50,")
    assert said["prompt"] == "the prompt does not name twin by its colour"
    assert said["json"] == "the spec changes through JSON: extra"
    assert said["declared"] == "undeclared parabola; declared but not returned wobble"
    assert said["params"] == "broken-v1: spec.params has no 'floor_y'"


def test_static_check_of_an_unknown_family_is_one_line():
    result = invoke("check", "projectle", "--static")
    assert result.exit_code == 2
    assert "did you mean 'projectile-v1'" in result.stderr


@pytest.mark.slow
@pytest.mark.parametrize("family", sorted(BUILTIN))
def test_every_family_passes_the_static_checks(family):
    failed = [f"{f.check}: {f.line}" for f in static_check(get_family(family)) if not f.ok]
    assert not failed, failed
