"""Model configuration from a TOML file (``vidreason run --model-config wan.toml``).

```toml
name = "my-model"            # the name its scores are stored under
adapter = "python"           # python | http | diffusers | builtin
factory = "mypkg.video:make" # python: package.module:function returning a model
path = "src"                 # python: a folder put on sys.path (relative to this file)

[settings]                   # python: keyword arguments of the factory
steps = 30

[card]                       # what the model is (see ModelCard); all optional
goal_conditioned = false
devices = ["cuda:0"]

[http]                       # http: see vidreason.models.http.HttpSettings

[diffusers]                  # diffusers: see vidreason.models.diffusers_adapter
```

Every mistake is one line naming the file: an unknown key (with "did you mean"), a value
of the wrong type, a missing key or a path that does not exist. Secrets never go in the
file: the http adapter reads its key from the environment variable the file names.
The settings and card are folded into the model's version (``settings_version``), so a
changed setting never reuses old videos or scores.
"""

from __future__ import annotations

import dataclasses
import difflib
import tomllib
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vidreason.errors import UserError
from vidreason.models.base import (
    MODALITIES,
    Generated,
    GenerationRequest,
    ModelCard,
    NativeFormat,
    card_of,
)

ADAPTERS = ("python", "http", "diffusers", "builtin")
TOP_KEYS = (
    "name", "adapter", "version", "factory", "path", "model", "settings", "card", "http",
    "diffusers",
)  # fmt: skip
CARD_KEYS = {
    "modality": str,
    "goal_conditioned": bool,
    "devices": list,
    "batch_size": int,
    "context_frames": int,
    "uses_prompt": bool,
    "continues": bool,
    "width": int,
    "height": int,
    "fps": int,
    "frames": int,
    "multiple_of": int,
    "frames_step": int,
    "frames_offset": int,
}


@dataclass(frozen=True)
class ModelConfig:
    """A validated model configuration; ``source`` names where it came from."""

    adapter: str
    name: str = ""
    version: str = ""
    factory: str = ""
    path: Path | None = None
    model: str = ""
    settings: Mapping[str, Any] = field(default_factory=dict)
    card: Mapping[str, Any] = field(default_factory=dict)
    http: Mapping[str, Any] = field(default_factory=dict)
    diffusers: Mapping[str, Any] = field(default_factory=dict)
    source: str = ""


def _unknown(key: str, known: Sequence[str], where: str) -> UserError:
    close = difflib.get_close_matches(key, list(known), n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return UserError(f"{where}: unknown key {key!r}{hint} (known: {', '.join(known)})")


def _type_name(kind: object) -> str:
    names = {str: "a string", int: "an integer", float: "a number", bool: "true or false"}
    names.update({list: "a list", dict: "a table"})
    return names.get(kind, str(kind))  # type: ignore[call-overload]


def _is(value: object, kind: object) -> bool:
    if kind is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, kind)  # type: ignore[arg-type]


def check_type(value: object, kind: object, what: str, where: str) -> None:
    if not _is(value, kind):
        raise UserError(f"{where}: {what} must be {_type_name(kind)}, got {value!r}")


def _kinds(hint: object) -> tuple[object, ...]:
    """The plain types a dataclass field's annotation allows (``str | None`` -> str)."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return tuple(k for a in typing.get_args(hint) for k in _kinds(a) if k is not type(None))
    if origin in (tuple, list, Sequence):
        return (list,)
    if origin in (dict, Mapping):
        return (dict,)
    return (hint,)


def parse_table(cls: type, table: Mapping[str, Any], where: str) -> Any:
    """A frozen dataclass ``cls`` from a TOML table: unknown keys, wrong types and missing
    keys (fields without a default) are one-line errors naming ``where``; lists become
    tuples."""
    hints = typing.get_type_hints(cls)
    known = [f.name for f in dataclasses.fields(cls)]
    values: dict[str, Any] = {}
    for key, value in table.items():
        if key not in hints:
            raise _unknown(key, known, where)
        kinds = _kinds(hints[key])
        if not any(_is(value, k) for k in kinds):
            raise UserError(f"{where}: {key} must be {_type_name(kinds[0])}, got {value!r}")
        values[key] = tuple(value) if isinstance(value, list) else value
    for f in dataclasses.fields(cls):
        no_default = f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        if no_default and f.name not in values:
            raise UserError(f"{where}: missing key {f.name!r}")
    try:
        return cls(**values)
    except (TypeError, ValueError) as exc:
        raise UserError(f"{where}: {exc}") from None


def read_toml(path: Path, overrides: Sequence[str] = ()) -> tuple[dict[str, Any], str]:
    """A config file's TOML with ``overrides`` (``--model-set KEY=VALUE``: a dotted key, a
    TOML value or else a string) applied, and how to name it in a message; a missing or
    malformed file is one line naming it."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"{path}: no such model config file")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise UserError(f"{path}: not valid TOML ({exc})") from None
    for item in overrides:
        apply_override(data, item)
    return data, str(path) + (f" (with --model-set {' '.join(overrides)})" if overrides else "")


def read_config(path: Path, overrides: Sequence[str] = ()) -> ModelConfig:
    """A model configuration from a TOML file, validated, with ``overrides`` applied first
    (see ``read_toml``)."""
    data, where = read_toml(path, overrides)
    return parse_config(data, where, base=Path(path).parent)


def apply_override(data: dict[str, Any], item: str) -> None:
    """``a.b=value`` into ``data``: ``value`` read as TOML (``3``, ``true``, ``"x"``,
    ``[1, 2]``), else taken as a string."""
    key, eq, raw = item.partition("=")
    parts = [p.strip() for p in key.split(".")]
    if not eq or not all(parts):
        raise UserError(f"--model-set {item!r}: write KEY=VALUE (e.g. settings.steps=50)")
    try:
        value = tomllib.loads(f"v = {raw.strip()}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw.strip()
    table = data
    for part in parts[:-1]:
        table = table.setdefault(part, {})
        if not isinstance(table, dict):
            raise UserError(f"--model-set {item!r}: {part} is not a table")
    table[parts[-1]] = value


def parse_config(data: Mapping[str, Any], where: str, base: Path | None = None) -> ModelConfig:
    for key in data:
        if key not in TOP_KEYS:
            raise _unknown(key, TOP_KEYS, where)
    kinds = {"settings": dict, "card": dict, "http": dict, "diffusers": dict}
    for key, value in data.items():
        check_type(value, kinds.get(key, str), key, where)
    adapter = data.get("adapter")
    if adapter is None:
        raise UserError(f"{where}: missing key 'adapter' (one of {', '.join(ADAPTERS)})")
    if adapter not in ADAPTERS:
        raise UserError(f"{where}: adapter {adapter!r} is not one of {', '.join(ADAPTERS)}")
    table = {"python": "factory", "builtin": "model", "http": "http", "diffusers": "diffusers"}
    needs = table[adapter]
    if needs not in data:
        raise UserError(f"{where}: missing key {needs!r} (adapter {adapter} needs it)")
    if adapter in ("http", "diffusers") and "name" not in data:
        raise UserError(f"{where}: missing key 'name' (the name its scores are stored under)")
    card = dict(data.get("card", {}))
    for key, value in card.items():
        if key not in CARD_KEYS:
            raise _unknown(key, list(CARD_KEYS), f"{where} [card]")
        check_type(value, CARD_KEYS[key], key, f"{where} [card]")
    if "modality" in card and card["modality"] not in MODALITIES:
        raise UserError(
            f"{where} [card]: modality {card['modality']!r} is not one of {', '.join(MODALITIES)}"
        )
    try:
        make_card(ModelCard(), card)
    except ValueError as exc:
        raise UserError(f"{where} [card]: {exc}") from None
    folder = None
    if "path" in data:
        folder = Path(data["path"])
        if base is not None and not folder.is_absolute():
            folder = base / folder
        if not folder.is_dir():
            raise UserError(f"{where}: path {data['path']!r} does not exist ({folder})")
    if adapter == "http":
        from vidreason.models.http import HttpSettings

        parse_table(HttpSettings, data["http"], f"{where} [http]")
    diffusers: dict[str, Any] = {}
    if adapter == "diffusers":
        from vidreason.models.diffusers_adapter import make_model, with_path

        diffusers = with_path(data["diffusers"], base, where)
        make_model(data["name"], diffusers, card, where)  # every mistake before any work
    return ModelConfig(
        adapter=adapter,
        name=data.get("name", ""),
        version=data.get("version", ""),
        factory=data.get("factory", ""),
        path=folder,
        model=data.get("model", ""),
        settings=dict(data.get("settings", {})),
        card=card,
        http=dict(data.get("http", {})),
        diffusers=diffusers,
        source=where,
    )


def make_card(base: ModelCard, table: Mapping[str, Any]) -> ModelCard:
    """``base`` with the ``[card]`` table's values in place."""
    native_keys = {f.name for f in dataclasses.fields(NativeFormat)}
    renamed = {"frames": "n_frames"}
    native = {renamed.get(k, k): v for k, v in table.items() if renamed.get(k, k) in native_keys}
    rest = {k: v for k, v in table.items() if renamed.get(k, k) not in native_keys}
    if "devices" in rest:
        rest["devices"] = tuple(rest["devices"])
    return dataclasses.replace(base, native=dataclasses.replace(base.native, **native), **rest)


@dataclass
class Configured:
    """A model as a config file made it: its own name and card, its settings (which
    ``version_of`` folds into its version), and the inner model's ``load``/``generate``/
    ``close``."""

    inner: Any
    name: str
    version: str
    card: ModelCard
    settings: dict[str, Any]
    description: str = ""

    def load(self) -> None:
        if hasattr(self.inner, "load"):
            self.inner.load()

    def close(self) -> None:
        if hasattr(self.inner, "close"):
            self.inner.close()

    def generate(self, requests: Sequence[GenerationRequest]) -> Sequence[Path | Generated]:
        return self.inner.generate(requests)

    @property
    def on_device(self) -> Callable[[str], Configured]:
        """A copy per device (or API slot), present only when the inner model makes
        copies: a model without ``on_device`` runs on one worker."""
        if not hasattr(self.inner, "on_device"):
            raise AttributeError("on_device")
        return lambda device: dataclasses.replace(self, inner=self.inner.on_device(device))


def build_model(config: ModelConfig) -> Configured:
    """The model a configuration describes."""
    from vidreason.models.base import MODELS

    if config.adapter == "python":
        from vidreason.models.python import load_factory

        try:
            inner = load_factory(config.factory, config.settings, config.path)
        except UserError as exc:
            raise UserError(f"{config.source}: {exc}") from None
    elif config.adapter == "builtin":
        inner = MODELS.get(config.model)
    elif config.adapter == "diffusers":
        from vidreason.models.diffusers_adapter import check_call, make_model, require

        require()  # before any work, not in a worker
        inner = make_model(config.name, config.diffusers, config.card, config.source)
        check_call(inner.settings, f"{config.source} [diffusers]")
    else:
        from vidreason.models.http import HttpModel, HttpSettings

        settings = parse_table(HttpSettings, config.http, f"{config.source} [http]")
        inner = HttpModel(config.name, settings)
        inner.check_auth(config.source)  # a missing key fails before any work
    try:
        card = make_card(card_of(inner), config.card)
    except ValueError as exc:
        raise UserError(f"{config.source} [card]: {exc}") from None
    everything = {
        "adapter": config.adapter,
        "factory": config.factory,
        "model": config.model,
        "settings": dict(config.settings),
        "http": dict(config.http),
        # where it runs is no part of what it is (the card's devices say it)
        "diffusers": {k: v for k, v in config.diffusers.items() if k != "device"},
    }
    settings = {k: v for k, v in everything.items() if v}
    base = config.version or str(inner.version)
    return Configured(
        inner=inner,
        name=config.name or str(inner.name),
        version=base,
        card=card,
        settings=settings,
        description=getattr(inner, "description", "") or f"{config.adapter} ({config.source})",
    )
