"""What the task families and the verifiers share: the scene, as plain data and geometry.

A family draws a scene and says what happens in it; a verifier reads the same scene off a
video. Whatever both sides need (a body's geometry, a grid's layout, how much screens
hide, the events read off a body's motion, a family's discrete outcome of a trajectory)
lives here, so arrows run one way: ``tasks -> scene <- verifiers``. A module here imports
only ``vidreason.types``, ``vidreason.engines`` and other ``scene`` modules, never
``tasks`` or ``verifiers`` (``tests/test_layout.py``).

- ``geometry.py``: sizes, box distances, slope axes;
- ``occluders.py``: ``covered``, the share of a body that screens hide;
- ``camera.py``: the pinhole camera of the 3D families;
- ``grid.py``: the grid layout and graph of the planning families;
- ``events.py``: onsets, topples and contacts read off a ``Motion``;
- ``blocker.py``, ``stack.py``, ``identity.py``, ``trigger.py``: per family, what a
  trajectory (or a video's positions) shows, read the same way on both sides;
- ``params/``: each family's typed parameters, what its sampler writes into
  ``spec.params`` / ``spec.extra`` and its prompt, engine and verifier read back.

To add a piece: move it here when a family and a verifier both need it; it takes plain
data (``Body``, ``SceneSpec``, ``Instance``, arrays) and returns plain data.
"""
