"""Simulation engines: the only modules that import a physics engine or solver."""

# How an engine is run where its numbers depend on it (recorded among every instance's
# ``versions``, so instances made under other settings are made again): ``fluid_mpm``
SETTINGS: dict[str, str] = {"taichi": "cpu, one thread, fast_math off"}
