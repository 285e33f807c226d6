"""Verifier versions, declared in code: part of every score's cache key.

A score depends on the family's law checks (``TaskFamily.verifier_version``, declared in
the family's module) and on what every family shares: decoding, tracking, the shared
checks and how checks combine (``SHARED_VERSION`` here). Bump the family's version when
its checks change what they return, and ``SHARED_VERSION`` when a shared piece does;
``tests/verifiers/test_versions.py`` fails when a verifier's scores on a fixed
mini-suite change while its version did not, so a rerun after an upgrade never keeps a
stale score.
"""

from __future__ import annotations

from vidreason.types import Instance

SHARED_VERSION = 19  # video decoding, tracking, shared checks, combining checks
IMPORTED_VERSION = 1  # verifiers/imported.py (tasks imported from other benchmarks)
IMPORTED_VERIFIER = "imported-v1"


def verifier_version(instance: Instance) -> str:
    """E.g. ``projectile-v1/law@3+shared@2``: what scored an instance, as the code is now."""
    if instance.verifier == IMPORTED_VERIFIER:
        return f"{IMPORTED_VERIFIER}@{IMPORTED_VERSION}"
    from vidreason.tasks import get_family

    family = get_family(instance.family_id)
    return f"{family.verifier_id}@{family.verifier_version}+shared@{SHARED_VERSION}"
