"""Rendering: 2D raster drawing and video files (PyAV)."""
