"""Simulation engines: the only modules that import a physics engine or solver."""
