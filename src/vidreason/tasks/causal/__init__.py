"""Causal families: chains, triggers and blockers, generated in counterfactual pairs."""

from vidreason.tasks.causal import blocker, dominoes, trigger  # noqa: F401  (registers)
