"""Small helpers for writing prompts."""

from __future__ import annotations


def article(word: str) -> str:
    """``word`` with its indefinite article: "an orange", "a red"."""
    return f"{'an' if word[:1].lower() in 'aeiou' else 'a'} {word}"
