"""Liquid families, simulated with Taichi's MLS-MPM on the CPU (``engines/fluid_mpm.py``)
and drawn as one flat region (``render/liquid.py``): `dam-break`, `pour` (a cup that
tilts: ``Liquid.cup``, ``pivot`` and ``tilt``), `cascade`.

They share ``common`` (the tank's walls, the spec of a scene with one liquid, the lazy
solver and drawing entry points, so listing families needs no Taichi). To add one: build
walls with ``common.wall``, fill ``Liquid.blocks``, name the ``Liquid.vessels`` whose
levels the verifier reads (``verifiers/fluids.py``), make the spec with
``common.make_spec`` and register it with ``common.simulate_liquid``,
``common.render_liquid`` and ``engine="taichi"``.
"""
