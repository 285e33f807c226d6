"""Temporal families: object permanence, identity through crossings, event order."""
