"""Parameters of the temporal families (``tasks/temporal/``)."""

from __future__ import annotations

from dataclasses import dataclass, field

from vidreason.scene.params import IN_EXTRA, Floor, Palette, Params


@dataclass(frozen=True)
class PermanenceParams(Floor):
    """``permanence``: balls pass behind opaque screens and come out as they went in."""

    occluders: list[str] = field(metadata=IN_EXTRA)
    """The screens (``World2D.occluders``): drawn over everything."""
    ignore_contacts: list[list[str]] = field(metadata=IN_EXTRA)
    """Every ball and screen pair (``World2D.ignore_contacts``): nothing hits a screen."""
    damping: float = field(metadata=IN_EXTRA)
    """Fraction of velocity kept per second (``World2D.damping``): the air slows the balls."""
    case: str = field(metadata=IN_EXTRA)
    """``pass``, ``stop`` or ``bounce`` (a ball passes behind the screen, stops or bounces
    there), or ``pair`` (two balls pass)."""


@dataclass(frozen=True)
class OrderParams(Floor):
    """``order``: balls let go one after another land in that order."""

    release: dict[str, float] = field(metadata=IN_EXTRA)
    """Each ball's release time (s, on a frame; past the end: never)."""


@dataclass(frozen=True)
class IdentityParams(Params):
    """``identity``: bodies slide on a table with raised edges and keep their colours and
    shapes."""

    edge: float
    """Width (px) of the table's raised edges."""
    damping: float = field(metadata=IN_EXTRA)
    """Fraction of velocity kept per second (``World2D.damping``)."""


@dataclass(frozen=True)
class PatternsParams(Palette):
    """``patterns``: patterned bodies slide, spin and collide on a table and keep their
    patterns and colours (``palette``: the pattern colours, which the tracker classifies
    as the scene's, not as a body)."""

    edge: float
    """Width (px) of the table's raised edges."""
    damping: float = field(metadata=IN_EXTRA)
    """Fraction of velocity kept per second (``World2D.damping``)."""
    kinds: dict[str, str] = field(metadata=IN_EXTRA)
    """Each body's pattern: ``stripes``, ``dots`` or ``checker``."""
    inks: dict[str, str] = field(metadata=IN_EXTRA)
    """Each body's pattern colour, by name."""
    ink_colours: dict[str, list[int]] = field(metadata=IN_EXTRA)
    """Each body's pattern colour (RGB)."""
