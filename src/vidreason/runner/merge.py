"""``vidreason merge``: put the run folders of shards (``--shard i/n``) back together.

The merged folder holds what one unsharded run would: every score row (keyed by the
same content hashes, so a row merged twice is stored once), the current row of every
(model, suite, instance, seed), the runs' lines, the videos with their records and the
suites the runs generated (``videos/``, ``suites/``), the answers of video-understanding
models (``vidreason answer``: their rows and the ``answers/`` files), and the audit summed
from every shard's outcomes (``audit.json``). Paths inside the run folders (a row's video and
instance, a record's instance) are rewritten to the merged folder; paths outside them (a
suite or a videos folder on shared storage) are kept. The report is written afterwards
by ``vidreason report``.

Before anything is written the runs are checked against each other (and against what
the merged folder already holds): one suite set, one model version per model and suite,
one verifier version per family, one package version, and no instance whose current
row differs between two runs, and no model whose answers on a suite differ between two
runs. Any mismatch is one line naming both runs.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from vidreason import store
from vidreason.errors import UserError

COPIED = ("videos", "suites", "answers")  # the folders of a run folder that hold files to keep


@dataclass(frozen=True)
class MergeSummary:
    runs: int
    rows: int  # current rows in the merged store
    added: int  # score rows new to it
    files: int  # files copied into it
    audit: bool  # an audit was merged
    answers: int = 0  # (model, suite) answer sets stored anew


@dataclass(frozen=True)
class _Source:
    path: Path
    rows: list[store.Row]  # every score row, paths rewritten
    current: list[tuple[str, str, str, int, int, str, int]]
    runs: list[store.Run]


def _rewrite(text: str, old: Path, new: Path) -> str:
    return text.replace(f"{old}{os.sep}", f"{new}{os.sep}")


def _read(run: Path, out: Path) -> _Source:
    if not store.store_path(run).is_file():
        raise UserError(f"{store.store_path(run)}: no results store here (not a run folder)")
    src = run.resolve()
    rows = [
        dataclasses.replace(
            r,
            instance_dir=_rewrite(r.instance_dir, src, out),
            video=_rewrite(r.video, src, out),
            explanation=_rewrite(r.explanation, src, out),
            error=_rewrite(r.error, src, out),
        )
        for r in store.rows(run, history=True)
    ]
    return _Source(run, rows, store.current_entries(run), store.runs(run))


def _agree(sources: list[_Source]) -> None:
    """One line for the first way the runs do not belong to one run."""
    if not sources:
        return
    suites = {s.path: {c[1] for c in s.current} for s in sources}
    first = sources[0]
    for s in sources[1:]:
        if suites[s.path] != suites[first.path]:
            a, b = sorted(suites[first.path]), sorted(suites[s.path])
            raise UserError(
                f"cannot merge {first.path} (suite {', '.join(a)}) and {s.path} "
                f"(suite {', '.join(b)}): shards of one run score the same suite"
            )
    seen: dict[tuple[str, ...], tuple[str, Path]] = {}
    for s in sources:
        by_key = {r.key: r for r in s.rows}
        for model, suite, family, idx, seed, key, _ in s.current:
            row = by_key.get(key)
            if row is None:  # still pending in that run: nothing to compare
                continue
            facts = {
                ("model version", f"{model} on {suite}"): row.model_version,
                ("verifier version", family): row.verifier_version,
                ("package version",): row.package_version,
                ("row", model, suite, family, str(idx), str(seed)): key,
            }
            for what, value in facts.items():
                had = seen.setdefault(what, (value, s.path))
                if had[0] != value:
                    name = " ".join(what[1:]) or "vidreason"
                    detail = (
                        f"different scores of {model} on {family} {idx}"
                        + (f" seed {seed}" if seed else "")
                        + " (merge shards of one run, each once)"
                        if what[0] == "row"
                        else f"{what[0]} of {name}: {had[0]!r} and {value!r}"
                    )
                    raise UserError(f"cannot merge {had[1]} and {s.path}: {detail}")


def _same_file(a: Path, b: Path) -> bool:
    return a.stat().st_size == b.stat().st_size and a.read_bytes() == b.read_bytes()


def _copy_files(run: Path, out: Path) -> int:
    """Copy the run's videos, records and suites into ``out``; records have their paths
    rewritten. A file already there with other bytes is a mistake (one line)."""
    src = run.resolve()
    n = 0
    for folder in COPIED:
        root = src / folder
        if not root.is_dir():
            continue
        for path in sorted(root.rglob("*")):
            if not path.is_file():
                continue
            dest = out / path.relative_to(src)
            data = path.read_bytes()
            if path.suffix == ".json" and folder == "videos":
                data = _rewrite(data.decode("utf-8"), src, out).encode("utf-8")
            if dest.is_file():
                if dest.read_bytes() != data:
                    raise UserError(f"cannot merge {path}: {dest} is there with other content")
                continue
            dest.parent.mkdir(parents=True, exist_ok=True)
            tmp = dest.with_name(f".{dest.name}.merging")
            tmp.write_bytes(data)
            shutil.copystat(path, tmp)
            os.replace(tmp, dest)
            n += 1
    return n


def _finish_suites(out: Path) -> None:
    """The suites the shards generated in their run folders (each its own instances)
    are whole again once merged: write their ``suite.json``."""
    from vidreason.suites import PENDING_FILE, finish_sharded

    for pending in sorted((out / "suites").glob(f"*/{PENDING_FILE}")):
        finish_sharded(pending.parent)


def _merge_audits(runs: list[Path], out: Path) -> bool:
    """Sum the shards' audits (their outcomes) into ``out``'s ``audit.json``."""
    from vidreason.audit import OUTCOMES_FILE, merge_outcomes, read_outcomes, write_run

    places = [r for r in runs if (r / "audit.json").is_file()]
    if (out / OUTCOMES_FILE).is_file():
        places.append(out)
    if not places:
        return False
    how: dict | None = None
    outcomes = []
    for r in places:
        if not (r / OUTCOMES_FILE).is_file():
            raise UserError(
                f"{r / 'audit.json'}: written without {OUTCOMES_FILE} (by an older version);"
                " run the audit again with --run-dir to merge it"
            )
        h, o = read_outcomes(r / OUTCOMES_FILE)
        if how is not None and h != how:
            raise UserError(f"cannot merge the audit of {places[0]} ({how}) and of {r} ({h})")
        how = h
        outcomes += o
    assert how is not None
    write_run(out, merge_outcomes(outcomes), seed=int(how["seed"]), stress=bool(how["stress"]))
    return True


def _answer_sets(
    runs: list[Path], target: Path
) -> dict[tuple[str, str], tuple[Path, store.AnswerSet]]:
    """Each (model, suite)'s answers and the run that holds them; UserError when two runs
    hold different answers of one model on one suite."""
    found: dict[tuple[str, str], tuple[Path, store.AnswerSet]] = {}
    for run in [target, *runs]:
        if not store.store_path(run).is_file():
            continue
        for a in store.answer_sets(run):
            seen = found.setdefault((a.model, a.suite), (run, a))
            if seen[1].sha256 != a.sha256:
                raise UserError(
                    f"{seen[0]} and {run}: different answers of {a.model} on {a.suite};"
                    " merge runs that answered each suite once"
                )
    return found


def _store_answers(found: dict[tuple[str, str], tuple[Path, store.AnswerSet]], target: Path) -> int:
    """Store each answer set not yet in ``target``; how many were stored."""
    added = 0
    for (model, suite), (run, a) in sorted(found.items()):
        if run == target:
            continue
        items = [r for r in store.answer_rows(run) if (r.model, r.suite) == (model, suite)]
        added += store.store_answers(target, model, suite, items, a.source, a.sha256)
    return added


def merge(runs: list[Path], out: Path) -> MergeSummary:
    """Merge the run folders ``runs`` into ``out`` (created, or added to)."""
    if not runs:
        raise UserError("merge: give the run folders to merge")
    target = Path(out).resolve()
    for r in runs:
        if Path(r).resolve() == target:
            raise UserError(f"{r}: the merged folder cannot also be one of the runs merged")
    runs = [Path(r) for r in dict.fromkeys(runs)]
    for r in runs:  # a run folder of an audit alone has no store
        if not store.store_path(r).is_file() and not (r / "audit.json").is_file():
            raise UserError(f"{store.store_path(r)}: no results store here (not a run folder)")
    sources = [_read(r, target) for r in runs if store.store_path(r).is_file()]
    have = [_read(target, target)] if store.store_path(target).is_file() else []
    if sources:
        _agree([*have, *[s for s in sources if s.current]])
    answers = _answer_sets(runs, target)  # checked before any file is copied
    files = sum(_copy_files(s.path, target) for s in sources)
    _finish_suites(target)
    added = 0
    if sources:
        with store.connect(target) as con:
            for s in sources:
                added += store.add_rows(con, s.rows)
                ids = {r.id: store.add_run(con, r) for r in s.runs}
                by_run: dict[int, list[tuple]] = {}
                for *entry, run in s.current:
                    by_run.setdefault(ids.get(run, 0), []).append(tuple(entry))
                for run, entries in by_run.items():
                    store.point(con, entries, run)
    stored = _store_answers(answers, target)
    audit = _merge_audits(runs, target)
    return MergeSummary(
        runs=len(runs),
        rows=len(store.current_entries(target)) if sources else 0,
        added=added,
        files=files,
        audit=audit,
        answers=stored,
    )
