import subprocess
import sys


def test_import_is_light():
    code = (
        "import sys, vidreason, vidreason.tasks, vidreason.models, vidreason.cli;"
        "import vidreason.models.config, vidreason.models.diffusers_adapter;"
        "heavy = ('mujoco', 'torch', 'diffusers', 'transformers', 'ray', 'matplotlib', 'jinja2');"
        "heavy = [m for m in heavy if m in sys.modules];"
        "print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_public_api_resolves():
    import vidreason

    assert callable(vidreason.score_video) and callable(vidreason.run_model)
