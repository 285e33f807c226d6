"""Causal families: chains, triggers and blockers, generated in counterfactual pairs."""
