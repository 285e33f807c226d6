"""Training data: task instances packed into WebDataset tar or Parquet shards.

``generate_dataset`` writes ``n`` instances, spread over the chosen families round-robin
(sample ``i`` is instance ``i // F`` of family ``i % F``, so any prefix is balanced), in
shards of ``shard_size`` samples: ``data-00000.tar`` (WebDataset: members ``<key>.json``,
``<key>.mp4``, ``<key>.png``, ``<key>.txt``) or ``data-00000.parquet`` (one row per sample).
A sample holds exactly the bytes a suite folder holds for the same (seed, family, index):
the first frame (PNG), the ground-truth video (H.264 mp4), the prompt, and ``task.json``'s
content (spec, per-frame states under ``trajectory``, events) with the questions added.

Each worker writes whole shards, one sample at a time, to a temporary name and renames it
when complete; tar members get a fixed mtime, owner and mode and parquet fixed writer
options, so the same seed gives byte-identical shards on any number of workers. A shard's
record (sha256, samples, bytes) is kept in ``.progress/`` as soon as it is written; a rerun
keeps every shard whose file still has its recorded checksum and redoes the rest.
``manifest.json`` (seed, format, families and versions, settings, every shard's checksum)
comes last. To add a format, add a writer to ``WRITERS`` and its suffix to ``SUFFIX``.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import tarfile
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from vidreason.errors import UserError
from vidreason.types import VideoFormat

FORMATS = ("webdataset", "parquet")
SUFFIX = {"webdataset": ".tar", "parquet": ".parquet"}
MANIFEST = "manifest.json"
PROGRESS = ".progress"  # one record per written shard, until the manifest is written
SHARD_SIZE = 1000
ROW_GROUP = 64  # parquet rows per row group: a reader holds one group of videos at a time
MTIME = 0  # every tar member's modification time: the bytes depend on the data only


@dataclass(frozen=True)
class Sample:
    """One instance as a dataset sample: its key, first frame, video, prompt and metadata
    (``task.json``'s content with ``key`` and ``questions`` added)."""

    key: str
    png: bytes
    mp4: bytes
    prompt: str
    meta: dict[str, Any]

    def meta_json(self) -> str:
        return json.dumps(self.meta, sort_keys=True, separators=(",", ":"))


@dataclass(frozen=True)
class ShardJob:
    """Samples ``start`` to ``stop`` (global indices) of a dataset, written to ``out``."""

    shard: int
    start: int
    stop: int
    families: tuple[str, ...]
    seed: int
    fmt: VideoFormat
    format: str
    out: Path

    @property
    def name(self) -> str:
        return f"data-{self.shard:05d}{SUFFIX[self.format]}"

    def identity(self) -> str:
        """A hash of what the shard's bytes depend on (the code's versions included)."""
        from vidreason.tasks import get_family
        from vidreason.tasks.base import versions_of

        inputs = {
            "name": self.name,
            "start": self.start,
            "stop": self.stop,
            "seed": self.seed,
            "format": self.format,
            "video": self.fmt.as_dict(),
            "families": [[f, versions_of(get_family(f))] for f in self.families],
        }
        return hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class ShardRecord:
    """A written shard: its file name, checksum, size, samples, and the samples that
    could not be made (``failed``: key and reason), left out of it."""

    name: str
    sha256: str
    bytes: int
    samples: int
    start: int
    stop: int
    failed: tuple[tuple[str, str], ...] = ()


def locate(families: tuple[str, ...], i: int) -> tuple[str, int]:
    """Sample ``i``'s family and its index within that family (round-robin)."""
    return families[i % len(families)], i // len(families)


def sample_key(family: str, index: int) -> str:
    """A sample's key: ``<family>-<index:05d>`` (no dot: WebDataset splits at the first)."""
    return f"{family}-{index:05d}"


def make_sample(family_id: str, seed: int, index: int, fmt: VideoFormat) -> Sample:
    """Build one instance and pack it, with the very bytes ``generate_suite`` writes."""
    from vidreason.instance_io import instance_to_dict, write_instance
    from vidreason.tasks import get_family
    from vidreason.tasks.base import build_instance, difficulty_of

    family = get_family(family_id)
    inst, frames = build_instance(family, seed, index, difficulty_of(family, index), fmt)
    questions = family.questions(inst) if family.questions is not None else []
    key = sample_key(family.id, index)
    with tempfile.TemporaryDirectory(prefix="vidreason-sample-") as tmp:
        write_instance(inst, frames, Path(tmp))
        png = (Path(tmp) / "first_frame.png").read_bytes()
        mp4 = (Path(tmp) / "ground_truth.mp4").read_bytes()
    meta = {
        **instance_to_dict(inst),
        "key": key,
        "questions": [{"id": i, **q.to_dict()} for i, q in enumerate(questions)],
    }
    return Sample(key=key, png=png, mp4=mp4, prompt=inst.prompt, meta=meta)


def _samples(job: ShardJob, failed: list[tuple[str, str]]) -> Iterator[Sample]:
    """The shard's samples in index order, made one at a time; an instance that cannot
    be made is left out and noted in ``failed``."""
    for i in range(job.start, job.stop):
        family, index = locate(job.families, i)
        try:
            yield make_sample(family, job.seed, index, job.fmt)
        except Exception as exc:  # one broken instance fails alone
            failed.append((sample_key(family, index), f"{type(exc).__name__}: {exc}"))


def _tar_member(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = len(data), MTIME, 0o644
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    tar.addfile(info, io.BytesIO(data))


def write_tar(samples: Iterator[Sample], path: Path) -> int:
    """WebDataset shard: a plain (uncompressed, USTAR) tar, each sample's members together
    and in the order json, mp4, png, txt. Returns the number of samples."""
    count = 0
    with tarfile.open(path, "w", format=tarfile.USTAR_FORMAT) as tar:
        for s in samples:
            _tar_member(tar, f"{s.key}.json", s.meta_json().encode())
            _tar_member(tar, f"{s.key}.mp4", s.mp4)
            _tar_member(tar, f"{s.key}.png", s.png)
            _tar_member(tar, f"{s.key}.txt", (s.prompt + "\n").encode())
            count += 1
    return count


def parquet_schema() -> Any:
    import pyarrow as pa

    return pa.schema(
        [
            ("key", pa.string()),
            ("family", pa.string()),
            ("version", pa.int64()),
            ("seed", pa.int64()),
            ("index", pa.int64()),
            ("difficulty", pa.int64()),
            ("capability", pa.string()),
            ("prompt", pa.string()),
            ("width", pa.int64()),
            ("height", pa.int64()),
            ("fps", pa.int64()),
            ("n_frames", pa.int64()),
            ("png", pa.binary()),
            ("mp4", pa.binary()),
            ("states", pa.string()),
            ("events", pa.string()),
            ("questions", pa.string()),
            ("json", pa.string()),
        ]
    )


def _row(s: Sample) -> dict[str, Any]:
    m = s.meta

    def js(v: Any) -> str:
        return json.dumps(v, sort_keys=True, separators=(",", ":"))

    return {
        "key": s.key,
        "family": m["family_id"],
        "version": m["version"],
        "seed": m["seed"],
        "index": m["index"],
        "difficulty": m["difficulty"],
        "capability": m["capability"],
        "prompt": s.prompt,
        "width": m["resolution"][0],
        "height": m["resolution"][1],
        "fps": m["fps"],
        "n_frames": m["n_frames"],
        "png": s.png,
        "mp4": s.mp4,
        "states": js(m["trajectory"]),
        "events": js(m["events"]),
        "questions": js(m["questions"]),
        "json": s.meta_json(),
    }


def write_parquet(samples: Iterator[Sample], path: Path) -> int:
    """Parquet shard: one row per sample, written ``ROW_GROUP`` rows at a time with fixed
    options (no statistics, no dictionary for the binary columns), so the bytes depend
    on the data only. Returns the number of samples."""
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise UserError("--format parquet needs pyarrow: pip install 'vidreason[data]'") from None
    schema = parquet_schema()
    count = 0
    with pq.ParquetWriter(
        path,
        schema,
        compression="zstd",
        compression_level=3,
        use_dictionary=["key", "family", "capability"],
        write_statistics=False,
        version="2.6",
    ) as writer:
        batch: list[dict[str, Any]] = []
        for s in samples:
            batch.append(_row(s))
            count += 1
            if len(batch) == ROW_GROUP:
                writer.write_table(pa.Table.from_pylist(batch, schema=schema))
                batch = []
        if batch or count == 0:
            writer.write_table(pa.Table.from_pylist(batch, schema=schema))
    return count


WRITERS: dict[str, Callable[[Iterator[Sample], Path], int]] = {
    "webdataset": write_tar,
    "parquet": write_parquet,
}


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def write_shard(job: ShardJob) -> ShardRecord:
    """Write one shard (to a temporary name, renamed when whole); its record."""
    target = job.out / job.name
    tmp = job.out / f".{job.name}.tmp-{os.getpid()}"
    failed: list[tuple[str, str]] = []
    try:
        count = WRITERS[job.format](_samples(job, failed), tmp)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return ShardRecord(
        name=job.name,
        sha256=sha256_of(target),
        bytes=target.stat().st_size,
        samples=count,
        start=job.start,
        stop=job.stop,
        failed=tuple(failed),
    )


def plan_shards(
    out: Path,
    n: int,
    families: tuple[str, ...],
    seed: int,
    fmt: VideoFormat,
    format: str,
    shard_size: int,
) -> list[ShardJob]:
    return [
        ShardJob(k, start, min(start + shard_size, n), families, seed, fmt, format, Path(out))
        for k, start in enumerate(range(0, n, shard_size))
    ]


def _entry(job: ShardJob, record: ShardRecord) -> dict[str, Any]:
    """A shard's line in the manifest: its record and the hash of its inputs."""
    return {**asdict(record), "identity": job.identity()}


def _progress_file(job: ShardJob) -> Path:
    return job.out / PROGRESS / f"{job.name}.json"


def _save_progress(job: ShardJob, record: ShardRecord) -> None:
    path = _progress_file(job)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(_entry(job, record), sort_keys=True)
    tmp = path.with_suffix(f".tmp-{os.getpid()}")
    tmp.write_text(text + "\n", encoding="utf-8")
    os.replace(tmp, path)


def _known_records(out: Path) -> dict[str, tuple[str, dict[str, Any]]]:
    """Records of shards written earlier (by name): from ``.progress/`` and from a
    finished run's manifest, each with the identity it was written for."""
    known: dict[str, tuple[str, dict[str, Any]]] = {}
    try:
        manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
        for entry in manifest["shards"]:
            known[entry["name"]] = (entry["identity"], entry)
    except (OSError, ValueError, KeyError, TypeError):
        pass
    for path in sorted((out / PROGRESS).glob("*.json")):
        try:
            entry = json.loads(path.read_text(encoding="utf-8"))
            known[entry["name"]] = (entry["identity"], entry)
        except (OSError, ValueError, KeyError, TypeError):
            continue
    return known


def _record(d: dict[str, Any]) -> ShardRecord:
    fields = {k: v for k, v in d.items() if k != "identity"}
    return ShardRecord(**{**fields, "failed": tuple(tuple(f) for f in d.get("failed", ()))})


def done_record(job: ShardJob, known: dict[str, tuple[str, dict[str, Any]]]) -> ShardRecord | None:
    """The shard's record when its file is there, written for this very job, with the
    checksum recorded; None when it must be written (again)."""
    path = job.out / job.name
    if job.name not in known or not path.is_file():
        return None
    identity, record = known[job.name]
    if identity != job.identity() or path.stat().st_size != record.get("bytes"):
        return None
    if sha256_of(path) != record.get("sha256"):
        return None
    return _record(record)


def _tidy(out: Path, jobs: list[ShardJob], format: str) -> None:
    """Remove what a killed run left (temporary shards) and shards of this format that
    the plan no longer has (a smaller ``n``)."""
    names = {j.name for j in jobs}
    for p in out.glob(".data-*.tmp-*"):
        p.unlink(missing_ok=True)
    for p in out.glob(f"data-*{SUFFIX[format]}"):
        if p.name not in names:
            p.unlink()


def choose_families(families: list[str] | None, suite: str | None = None) -> tuple[str, ...]:
    """The families' ids in order (given ones as given, else the suite's or all)."""
    from vidreason.suites import SUITES
    from vidreason.tasks import FAMILIES, get_family

    if families:
        ids = [get_family(f).id for f in families]
        return tuple(dict.fromkeys(ids))
    if suite is not None:
        return tuple(SUITES.get(suite).family_ids())
    return tuple(FAMILIES.names())


def generate_dataset(
    out: Path,
    n: int,
    format: str = "webdataset",
    seed: int = 0,
    fmt: VideoFormat | None = None,
    families: list[str] | None = None,
    suite: str | None = None,
    shard_size: int = SHARD_SIZE,
    workers: int | None = None,
    progress: bool = False,
) -> dict[str, Any]:
    """Write ``n`` samples as shards under ``out`` (resuming a killed run) and then
    ``manifest.json``; returns the manifest."""
    from vidreason import __version__
    from vidreason.runner.local import parallel_map
    from vidreason.tasks import get_family
    from vidreason.tasks.base import versions_of

    if format not in FORMATS:
        raise UserError(f"--format must be one of folders, {', '.join(FORMATS)}; got {format!r}")
    if n < 1 or shard_size < 1:
        raise UserError(f"--n and --shard-size must be at least 1, got {n} and {shard_size}")
    if format == "parquet":
        try:
            import pyarrow.parquet  # noqa: F401
        except ImportError:
            raise UserError(
                "--format parquet needs pyarrow: pip install 'vidreason[data]'"
            ) from None
    fmt = fmt or VideoFormat()
    chosen = choose_families(families, suite)
    if not chosen:
        raise UserError("no family to generate (none registered or chosen)")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    jobs = plan_shards(out, n, chosen, seed, fmt, format, shard_size)
    known = _known_records(out)
    (out / MANIFEST).unlink(missing_ok=True)  # whole again only once it is rewritten
    _tidy(out, jobs, format)
    records: dict[str, ShardRecord] = {}
    todo = []
    for job in jobs:
        rec = done_record(job, known)
        if rec is None:
            todo.append(job)
        else:
            records[job.name] = rec
            _save_progress(job, rec)

    def keep(job: ShardJob, rec: ShardRecord) -> None:
        records[job.name] = rec
        _save_progress(job, rec)

    parallel_map(
        write_shard,
        todo,
        workers=workers,
        label=f"{format} shards",
        progress=progress,
        on_result=keep,
    )
    manifest = {
        "vidreason": __version__,
        "format": format,
        "seed": seed,
        "n": n,
        "samples": sum(r.samples for r in records.values()),
        "shard_size": shard_size,
        "video": fmt.as_dict(),
        "families": list(chosen),  # sample i: instance i // F of family i % F (F of them)
        "versions": {f: versions_of(get_family(f)) for f in chosen},
        "shards": [_entry(j, records[j.name]) for j in jobs],
        "failed": [list(f) for j in jobs for f in records[j.name].failed],
    }
    text = json.dumps(manifest, indent=1, sort_keys=True) + "\n"
    tmp = out / f".{MANIFEST}.tmp-{os.getpid()}"
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, out / MANIFEST)
    shutil.rmtree(out / PROGRESS, ignore_errors=True)
    return manifest
