"""Commonsense families: what any child expects of solid things.

- ``support``: a supported object stays put, an unsupported one falls;
- ``solidity``: solid objects never pass through each other or the floor;
- ``no-levitation``: nothing rises without something pushing it;
- ``containment``: a ball in a cup moves with the cup.

Scenes are side views under gravity built from the pieces in ``scene.py``; the law checks
live in ``vidreason/verifiers/commonsense.py`` and ``vidreason/verifiers/contact.py``.
"""
