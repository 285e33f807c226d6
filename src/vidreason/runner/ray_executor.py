"""The Ray executor (``--executor ray [--address ...]``): the only module importing Ray.

- Work items (instances to generate, corrupted videos to audit, videos to score) are
  Ray tasks of one CPU each; scoring tasks are submitted as soon as each video exists.
- A model is one Ray actor per device of its card (``num_gpus=1`` for a ``cuda`` device,
  where Ray makes the GPU it gives the actor ``cuda:0``): the actor holds the loaded model
  for the whole run, and ``RemoteModel`` stands for it in ``runner/generation.py``, so
  batches, records and errors are those of a local run.
- The driver (this process) takes every result and writes it into the run's store: one
  writer, and the same rows, resuming, progress and Ctrl-C as locally.

Every machine of the cluster needs vidreason installed and the suite, videos and run
folders at the same paths (shared storage): tasks read and write files, not objects.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import re
import socket
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from vidreason.errors import Interrupted, UserError

if TYPE_CHECKING:
    from vidreason.runner.local import Stage

try:
    import ray
    from ray.exceptions import RayTaskError
except ImportError:  # the optional extra is not installed
    ray = None  # type: ignore[assignment]

T = TypeVar("T")
R = TypeVar("R")
WAIT_S = 0.2  # s the driver waits for a result before looking at the feed again
CONNECT_S = 10.0  # s to wait for a cluster's address to take a connection


def _ray() -> Any:
    if ray is None:
        raise UserError("--executor ray needs Ray: pip install 'vidreason[ray]' (ray>=2.9)")
    return ray


@contextlib.contextmanager
def connected(address: str | None) -> Iterator[None]:
    """Join the cluster at ``address`` (None: ``RAY_ADDRESS``, or a local Ray started
    here and shut down on exit); a Ray already initialised in this process is used as is."""
    r = _ray()
    started = False
    if not r.is_initialized():
        _reachable(address)
        try:
            r.init(address=address, logging_level=logging.WARNING, include_dashboard=False)
        except (ConnectionError, RuntimeError, ValueError) as exc:
            where = f"--address {address}" if address else "Ray"
            text = str(exc).strip().splitlines()
            raise UserError(f"{where}: cannot start or join a Ray cluster ({text[0]})") from None
        started = True
    try:
        yield
    finally:
        if started:
            r.shutdown()


def _reachable(address: str | None) -> None:
    """A ``host:port`` that takes no connection is one line now (Ray would retry for
    minutes); ``auto``, ``local`` and ``ray://`` addresses are left to Ray."""
    m = re.fullmatch(r"([\w.-]+):(\d+)", address or "")
    if not m:
        return
    try:
        socket.create_connection((m.group(1), int(m.group(2))), timeout=CONNECT_S).close()
    except OSError as exc:
        raise UserError(f"--address {address}: no Ray cluster answers there ({exc})") from None


def _apply(fn: Callable[[T], R], item: T) -> R:
    return fn(item)


_CALLS: dict[str, Any] = {}


def _call() -> Any:
    """``_apply`` as a Ray task of one CPU."""
    if "apply" not in _CALLS:
        _CALLS["apply"] = _ray().remote(num_cpus=1)(_apply)
    return _CALLS["apply"]


def _get(ref: Any) -> Any:
    """A task's result; its exception as the task raised it (not wrapped by Ray), so an
    error reads as it does locally."""
    try:
        return _ray().get(ref)
    except RayTaskError as exc:
        cause = getattr(exc, "cause", None)
        if isinstance(cause, BaseException):
            raise cause from None
        raise


def _cancel(refs: Sequence[Any]) -> None:
    for ref in refs:
        with contextlib.suppress(Exception):
            _ray().cancel(ref, force=True)


def parallel_map(
    fn: Callable[[T], R],
    items: Sequence[T],
    workers: int | None = None,
    label: str = "",
    progress: bool = False,
    on_result: Callable[[T, R], None] | None = None,
) -> list[R]:
    """``local.parallel_map`` on Ray: at most ``workers`` tasks in flight (None: as many
    as the cluster takes), results in input order."""
    from vidreason.runner.local import Stage

    call = _call()
    results: list[R | None] = [None] * len(items)
    waiting = list(range(len(items)))[::-1]
    flying: dict[Any, int] = {}
    limit = workers or len(items) or 1
    with Stage(label, len(items), progress) as stage:
        try:
            while waiting or flying:
                while waiting and len(flying) < limit:
                    i = waiting.pop()
                    flying[call.remote(fn, items[i])] = i
                done, _ = _ray().wait(list(flying), num_returns=1, timeout=WAIT_S)
                for ref in done:
                    i = flying.pop(ref)
                    result = results[i] = _get(ref)
                    if on_result:
                        on_result(items[i], result)
                    stage.advance()
        except KeyboardInterrupt:
            _cancel(list(flying))
            raise Interrupted(stage.done, len(items)) from None
        except BaseException:
            _cancel(list(flying))
            raise
    return results  # type: ignore[return-value]


def stream_map(
    fn: Callable[[T], R],
    feed: queue.Queue[T],
    total: int,
    stage: Stage,
    workers: int | None = None,
    on_result: Callable[[T, R], None] | None = None,
) -> None:
    """``local.stream_map`` on Ray: each item that arrives on ``feed`` becomes a task at
    once (at most ``workers`` in flight); ``on_result`` runs here, in the driver."""
    call = _call()
    limit = workers or total or 1
    flying: dict[Any, T] = {}
    submitted = 0
    try:
        while stage.done < total:
            try:
                while submitted < total and len(flying) < limit:
                    item = feed.get(timeout=0 if flying else WAIT_S)
                    flying[call.remote(fn, item)] = item
                    submitted += 1
            except queue.Empty:
                pass
            if not flying:
                continue
            done, _ = _ray().wait(list(flying), num_returns=1, timeout=WAIT_S)
            for ref in done:
                item = flying.pop(ref)
                result = _get(ref)
                if on_result:
                    on_result(item, result)
                stage.advance()
    except KeyboardInterrupt:
        _cancel(list(flying))
        raise Interrupted(stage.done, total) from None
    except BaseException:
        _cancel(list(flying))
        raise


class ModelActor:
    """Holds one model on one device for a run (a Ray actor)."""

    def __init__(self, model: Any, device: str, copies: int) -> None:
        if device.startswith("cuda") and hasattr(model, "on_device"):
            model = model.on_device("cuda:0")  # the GPU Ray gave this actor
        elif copies > 1 and hasattr(model, "on_device"):
            model = model.on_device(device)
        self.model = model

    def load(self) -> None:
        if hasattr(self.model, "load"):
            self.model.load()

    def generate(self, requests: list) -> list:
        return list(self.model.generate(requests))

    def close(self) -> None:
        if hasattr(self.model, "close"):
            self.model.close()


class RemoteModel:
    """A model whose calls go to its actor; name, version, card and settings are read
    here, so records and keys are those of the model itself."""

    def __init__(self, model: Any, actor: Any) -> None:
        from vidreason.models.base import card_of, settings_of

        self.name = model.name
        self.version = getattr(model, "version", "")
        self.card = card_of(model)
        self.settings = settings_of(model)
        self.actor = actor

    def load(self) -> None:
        _get(self.actor.load.remote())

    def generate(self, requests: Sequence[Any]) -> list:
        return list(_get(self.actor.generate.remote(list(requests))))

    def close(self) -> None:
        try:
            _get(self.actor.close.remote())
        finally:
            _ray().kill(self.actor)  # its GPU goes back to the cluster now


def actors(model: Any, limit: int) -> list[RemoteModel]:
    """One actor per device of the model's card (as many as local workers, at most
    ``limit``), each standing in for the model in ``runner/generation.py``."""
    from vidreason.models.base import card_of

    devices = card_of(model).devices
    if not (len(devices) > 1 and hasattr(model, "on_device")):
        devices = devices[:1]
    devices = devices[: max(1, limit)]
    holder = _ray().remote(ModelActor)
    out = []
    for device in devices:
        gpus = 1 if device.startswith("cuda") else 0
        actor = holder.options(num_cpus=0, num_gpus=gpus).remote(model, device, len(devices))
        out.append(RemoteModel(model, actor))
    return out
