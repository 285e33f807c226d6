"""A spawned worker imports what it runs, not the command line it was started from."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest


@pytest.mark.slow
def test_workers_started_by_the_console_script_do_not_import_the_cli(tmp_path):
    (tmp_path / "probe.py").write_text(
        "import sys\n\ndef loaded(name):\n    return name in sys.modules\n"
    )
    # what pip writes for the ``vidreason`` console script, running a pool instead of the app
    script = tmp_path / "vidreason"
    script.write_text(
        textwrap.dedent(
            f"""
            import sys
            sys.path.insert(0, {str(tmp_path)!r})
            from vidreason.cli import app
            if __name__ == "__main__":
                import probe
                from vidreason.runner.local import parallel_map
                names = ["vidreason.cli", "vidreason.runner.local", "vidreason.tasks"]
                print(parallel_map(probe.loaded, names, workers=2))
                print(sys.modules["__main__"].app is app)
            """
        )
    )
    out = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=120, check=True
    )
    assert out.stdout.split() == ["[False,", "False,", "False]", "True"], out.stdout + out.stderr
