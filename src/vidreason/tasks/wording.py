"""Small helpers for writing prompts, shared by every family."""

from __future__ import annotations


def article(word: str) -> str:
    """``word`` with its indefinite article: "an orange", "a red ball"."""
    return f"{'an' if word[:1].lower() in 'aeiou' else 'a'} {word}"
