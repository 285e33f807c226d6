"""3D physics families, simulated with MuJoCo and rendered offscreen on the CPU:
`throw-3d`, `roll-3d`, `topple-3d`.

They share ``scene`` (the table, floor, wall and camera, and the step from 3D bodies to the
tracker's pixel-sized ``Body`` records) and ``simulate`` (the lazy MuJoCo entry points,
so listing families needs no MuJoCo). To add one: sample a scene with ``scene.room``,
``scene.camera``, ``scene.body3d`` and ``scene.make_spec`` (wrapped in ``scene.validated``
to reject scenes that leave the view), give it law checks that measure through the camera
(``vidreason.verifiers.projective``), register it with ``simulate3d``/``render3d`` and
``engine="mujoco"`` (the module is found by itself: ``tasks/catalog.py``).
"""
