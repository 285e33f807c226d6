"""Verifiers: find objects by colour key, track them, and test tracks against laws."""
