"""The results store: one SQLite file per run directory, append-only.

Each row is one (model, instance) score, keyed by the content hash of its inputs (see
``runner.plan``), so a rerun skips what is done and a killed run resumes where it
stopped: rows are committed one by one as they arrive. Export to CSV or JSON Lines.
"""

from __future__ import annotations

import csv
import json
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

STORE_FILE = "results.sqlite"

SCHEMA = """
CREATE TABLE IF NOT EXISTS scores (
    key TEXT PRIMARY KEY,
    model TEXT NOT NULL,
    family TEXT NOT NULL,
    capability TEXT NOT NULL,
    idx INTEGER NOT NULL,
    difficulty INTEGER NOT NULL,
    instance_dir TEXT NOT NULL,
    video TEXT NOT NULL,
    value REAL NOT NULL,
    passed INTEGER NOT NULL,
    checks TEXT NOT NULL,
    explanation TEXT NOT NULL,
    error TEXT NOT NULL,
    outcome TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS scores_model_family ON scores (model, family);
"""
JSON_COLUMNS = ("checks", "outcome")


@dataclass(frozen=True)
class Row:
    key: str
    model: str
    family: str
    capability: str
    idx: int
    difficulty: int
    instance_dir: str
    video: str
    value: float
    passed: bool
    checks: dict[str, float]
    explanation: str
    error: str
    outcome: dict = field(default_factory=dict)  # observed/expected outcome, pair: pairs.py

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


_COLUMNS = [f.name for f in fields(Row)]


def store_path(run_dir: Path) -> Path:
    return Path(run_dir) / STORE_FILE


@contextmanager
def connect(run_dir: Path, create: bool = True) -> Iterator[sqlite3.Connection]:
    path = store_path(run_dir)
    if not create and not path.is_file():
        raise FileNotFoundError(
            f"{path}: no results store here (run `vidreason run` or `score` first)"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    con = sqlite3.connect(path, timeout=30)
    try:
        con.execute("PRAGMA journal_mode=WAL")
        con.executescript(SCHEMA)
        _migrate(con)
        yield con
    finally:
        con.close()


def _migrate(con: sqlite3.Connection) -> None:
    """Add the columns a store written by an older version lacks."""
    have = {r[1] for r in con.execute("PRAGMA table_info(scores)")}
    if "outcome" not in have:
        con.execute("ALTER TABLE scores ADD COLUMN outcome TEXT NOT NULL DEFAULT '{}'")
        con.commit()


def insert(con: sqlite3.Connection, row: Row) -> None:
    values = [
        json.dumps(getattr(row, c), sort_keys=True)
        if c in JSON_COLUMNS
        else int(row.passed)
        if c == "passed"
        else getattr(row, c)
        for c in _COLUMNS
    ]
    placeholders = ", ".join("?" for _ in _COLUMNS)
    con.execute(
        f"INSERT OR IGNORE INTO scores ({', '.join(_COLUMNS)}) VALUES ({placeholders})", values
    )
    con.commit()


def done_keys(con: sqlite3.Connection) -> set[str]:
    return {k for (k,) in con.execute("SELECT key FROM scores")}


def _row(values: tuple) -> Row:
    d = dict(zip(_COLUMNS, values, strict=True))
    for c in JSON_COLUMNS:
        d[c] = json.loads(d[c])
    d["passed"] = bool(d["passed"])
    return Row(**d)


def rows(run_dir: Path, history: bool = False) -> list[Row]:
    """The current score of every (model, family, index), in a stable order.

    The store is append-only: when a video or a model version changes, its new score is
    a new row. Only the newest row per (model, family, index) counts, unless ``history``.
    """
    where = (
        ""
        if history
        else "WHERE rowid IN (SELECT MAX(rowid) FROM scores GROUP BY model, family, idx)"
    )
    with connect(run_dir, create=False) as con:
        cur = con.execute(
            f"SELECT {', '.join(_COLUMNS)} FROM scores {where} ORDER BY model, family, idx, rowid"
        )
        return [_row(v) for v in cur]


def export_csv(items: Iterable[Row], path: Path) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=_COLUMNS)
        writer.writeheader()
        for r in items:
            d = r.to_dict()
            for c in JSON_COLUMNS:
                d[c] = json.dumps(d[c], sort_keys=True)
            writer.writerow(d)
    return path


def export_jsonl(items: Iterable[Row], path: Path) -> Path:
    with open(path, "w", encoding="utf-8") as fh:
        for r in items:
            fh.write(json.dumps(r.to_dict(), sort_keys=True) + "\n")
    return path
