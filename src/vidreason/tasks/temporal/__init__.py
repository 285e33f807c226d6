"""Temporal families: object permanence, identity through crossings, event order."""

from vidreason.tasks.temporal import identity, order, permanence  # noqa: F401  (registers)
