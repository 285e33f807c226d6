"""Scene styles: the format carries the style, flat instances keep their bytes, a styled
suite is another suite, and a mistaken style is one line."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from vidreason.cli import app
from vidreason.runner.plan import suite_id
from vidreason.types import STYLES, VideoFormat


def test_flat_format_writes_no_style() -> None:
    assert "style" not in VideoFormat().as_dict()
    assert VideoFormat(style="shaded").as_dict()["style"] == "shaded"


def test_unknown_style_is_refused() -> None:
    with pytest.raises(ValueError, match="style must be one of flat, shaded, textured"):
        VideoFormat(style="glossy")


def test_cli_names_the_styles_on_a_mistake(tmp_path) -> None:
    r = CliRunner().invoke(
        app, ["generate", "--suite", "smoke", "--out", str(tmp_path / "s"), "--style", "x"]
    )
    assert r.exit_code != 0
    assert "--style must be one of " + ", ".join(STYLES) in r.output
    assert "Traceback" not in r.output


def test_a_styled_suite_is_another_suite(tmp_path) -> None:
    ids = []
    for style in ("flat", "shaded"):
        d = tmp_path / style
        d.mkdir()
        meta = {"suite": "smoke", "seed": 0, "format": VideoFormat(style=style).as_dict()}
        (d / "suite.json").write_text(json.dumps(meta))
        ids.append(suite_id(d))
    assert ids[0] != ids[1] and ids[1].endswith("shaded")
