"""The results store: one SQLite file per run directory.

Three tables:

- ``scores``: one row per scoring, keyed by the content hash of everything that decides
  the score (model and its version, suite, task file, verifier version, the video's
  bytes; see ``runner.plan``). Rows are never changed: a rerun of the same inputs reuses
  its row, a changed input gets a new one. Each row records the package version that
  scored it and when.
- ``current``: which row counts for each (model, suite, family, index, seed); ``seed`` is
  which of a model's ``--seeds K`` generations of the instance it is (0 to K-1). Every run points
  each of its units at the key of the inputs it saw *now*, before any scoring, so the
  leaderboard always reflects the videos last scored: restoring the right videos after a
  wrong folder makes their (cached) rows current again. A unit still being scored has no
  row yet and is counted as pending.
- ``runs``: one line per run: model, suite, source folder, counts (scored, reused,
  missing, unreadable) and the files that matched no instance.

Answers to a suite's questions (``vidreason.answers``) live in two tables of their own,
``answers`` and ``answer_sets`` (see the end of this module).

Rows are committed one by one as they arrive, so a killed run resumes where it stopped.
``forget`` removes a model's rows (optionally for one suite). Export to CSV or JSON Lines.
"""

from __future__ import annotations

import csv
import json
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
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
CREATE TABLE IF NOT EXISTS current (
    model TEXT NOT NULL,
    suite TEXT NOT NULL,
    family TEXT NOT NULL,
    idx INTEGER NOT NULL,
    key TEXT NOT NULL,
    run INTEGER NOT NULL DEFAULT 0,
    seed INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (model, suite, family, idx, seed)
);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    started TEXT NOT NULL,
    finished TEXT NOT NULL DEFAULT '',
    model TEXT NOT NULL,
    suite TEXT NOT NULL,
    source TEXT NOT NULL,
    package_version TEXT NOT NULL,
    counts TEXT NOT NULL DEFAULT '{}',
    unmatched TEXT NOT NULL DEFAULT '[]'
);
"""
# Columns added after the first release: (name, SQL type and default). A store written by
# an older version gains them when opened.
ADDED_COLUMNS = {
    "outcome": "TEXT NOT NULL DEFAULT '{}'",
    "suite": "TEXT NOT NULL DEFAULT ''",
    "model_version": "TEXT NOT NULL DEFAULT ''",
    "status": "TEXT NOT NULL DEFAULT 'scored'",
    "verifier_version": "TEXT NOT NULL DEFAULT ''",
    "package_version": "TEXT NOT NULL DEFAULT ''",
    "scored_at": "TEXT NOT NULL DEFAULT ''",
    "seed": "INTEGER NOT NULL DEFAULT 0",
    "goal_conditioned": "INTEGER NOT NULL DEFAULT 0",
}
# A store written before --seeds: its `current` table gains `seed` in its primary key.
CURRENT_WITH_SEED = """
ALTER TABLE current RENAME TO current_before_seeds;
CREATE TABLE current (
    model TEXT NOT NULL,
    suite TEXT NOT NULL,
    family TEXT NOT NULL,
    idx INTEGER NOT NULL,
    key TEXT NOT NULL,
    run INTEGER NOT NULL DEFAULT 0,
    seed INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (model, suite, family, idx, seed)
);
INSERT INTO current (model, suite, family, idx, key, run, seed)
    SELECT model, suite, family, idx, key, run, 0 FROM current_before_seeds;
DROP TABLE current_before_seeds;
"""
JSON_COLUMNS = ("checks", "outcome")
STATUSES = ("scored", "missing", "unreadable", "error")


@dataclass(frozen=True)
class Row:
    """One scoring of one video. ``status``: ``scored`` (the verifiers ran), ``missing``
    (no video file), ``unreadable`` (the file could not be decoded) or ``error`` (the
    model or the task failed); every status but ``scored`` has value 0. ``seed``: which
    of the model's generations of the instance (``--seeds K``: 0 to K-1);
    ``goal_conditioned``: the model saw the goal (its card says so), flagged in tables."""

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
    suite: str = ""
    model_version: str = ""
    status: str = "scored"
    verifier_version: str = ""
    package_version: str = ""
    scored_at: str = ""
    seed: int = 0
    goal_conditioned: bool = False

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True)
class Run:
    """One ``run``/``score`` invocation for one model on one suite."""

    id: int
    started: str
    finished: str
    model: str
    suite: str
    source: str
    package_version: str
    counts: dict[str, int]
    unmatched: tuple[str, ...]

    def to_dict(self) -> dict[str, object]:
        d = asdict(self)
        d["unmatched"] = list(self.unmatched)
        return d


_COLUMNS = [f.name for f in fields(Row)]


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


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
    """Bring a store written by an older version up to date: add the columns it lacks,
    and point ``current`` at its newest row per (model, family, index)."""
    have = {r[1] for r in con.execute("PRAGMA table_info(scores)")}
    missing = [c for c in ADDED_COLUMNS if c not in have]
    for c in missing:
        con.execute(f"ALTER TABLE scores ADD COLUMN {c} {ADDED_COLUMNS[c]}")
    if "suite" in missing:  # written before `current` existed
        con.execute("UPDATE scores SET status = 'error' WHERE error != ''")
        con.execute(
            "INSERT OR IGNORE INTO current (model, suite, family, idx, key) "
            "SELECT model, suite, family, idx, key FROM scores WHERE rowid IN "
            "(SELECT MAX(rowid) FROM scores GROUP BY model, family, idx)"
        )
    if "seed" not in {r[1] for r in con.execute("PRAGMA table_info(current)")}:
        con.executescript(CURRENT_WITH_SEED)
    if missing:
        con.commit()


def _values(row: Row) -> list[object]:
    return [
        json.dumps(getattr(row, c), sort_keys=True)
        if c in JSON_COLUMNS
        else int(getattr(row, c))
        if c in ("passed", "goal_conditioned")
        else getattr(row, c)
        for c in _COLUMNS
    ]


def insert(con: sqlite3.Connection, row: Row, run: int = 0) -> None:
    """Store a row (a key already stored keeps its first row) and make it the current
    score of its (model, suite, family, index, seed)."""
    placeholders = ", ".join("?" for _ in _COLUMNS)
    con.execute(
        f"INSERT OR IGNORE INTO scores ({', '.join(_COLUMNS)}) VALUES ({placeholders})",
        _values(row),
    )
    point(con, [(row.model, row.suite, row.family, row.idx, row.seed, row.key)], run)


def point(con: sqlite3.Connection, targets: Iterable[tuple], run: int = 0) -> None:
    """Make each ``(model, suite, family, index, [seed,] key)`` the current one for its
    instance (and seed, 0 when not given)."""
    full = [t if len(t) == 6 else (*t[:4], 0, t[4]) for t in targets]
    con.executemany(
        "INSERT INTO current (model, suite, family, idx, seed, key, run) "
        "VALUES (?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (model, suite, family, idx, seed) DO UPDATE SET key = excluded.key, "
        "run = excluded.run",
        [(*t, run) for t in full],
    )
    con.commit()


def discard_errors(con: sqlite3.Connection, keys: list[str]) -> None:
    """Remove the rows among ``keys`` whose model failed (status ``error``), so that a
    rerun generates and scores them again."""
    for i in range(0, len(keys), 500):
        chunk = keys[i : i + 500]
        con.execute(
            f"DELETE FROM scores WHERE status = 'error' AND key IN ({', '.join('?' for _ in chunk)})",
            chunk,
        )
    con.commit()


def done_keys(con: sqlite3.Connection) -> set[str]:
    return {k for (k,) in con.execute("SELECT key FROM scores")}


def _row(values: tuple) -> Row:
    d = dict(zip(_COLUMNS, values, strict=True))
    for c in JSON_COLUMNS:
        d[c] = json.loads(d[c])
    d["passed"] = bool(d["passed"])
    d["goal_conditioned"] = bool(d["goal_conditioned"])
    return Row(**d)


def _select(con: sqlite3.Connection, where: str = "", args: tuple = ()) -> list[Row]:
    cols = ", ".join(f"s.{c}" for c in _COLUMNS)
    cur = con.execute(
        f"SELECT {cols} FROM scores s {where} "
        "ORDER BY s.model, s.suite, s.family, s.idx, s.seed, s.rowid",
        args,
    )
    return [_row(v) for v in cur]


def rows(run_dir: Path, history: bool = False) -> list[Row]:
    """The current score of every (model, suite, family, index, seed), in a stable order; with
    ``history``, every row ever stored (older videos, older verifier versions)."""
    with connect(run_dir, create=False) as con:
        if history:
            return _select(con)
        return _select(
            con,
            "JOIN current c ON c.key = s.key AND c.model = s.model AND c.suite = s.suite "
            "AND c.family = s.family AND c.idx = s.idx AND c.seed = s.seed",
        )


def rows_by_key(con: sqlite3.Connection, keys: list[str]) -> list[Row]:
    """The stored rows among ``keys`` (in batches, within SQLite's parameter limit)."""
    out: list[Row] = []
    for i in range(0, len(keys), 500):
        chunk = keys[i : i + 500]
        out += _select(con, f"WHERE s.key IN ({', '.join('?' for _ in chunk)})", tuple(chunk))
    return out


def pending(run_dir: Path) -> dict[tuple[str, str], int]:
    """Per (model, suite): instances pointed at a score not stored yet (a run that was
    stopped before it scored them)."""
    with connect(run_dir, create=False) as con:
        cur = con.execute(
            "SELECT c.model, c.suite, COUNT(*) FROM current c "
            "LEFT JOIN scores s ON s.key = c.key WHERE s.key IS NULL GROUP BY c.model, c.suite"
        )
        return {(m, s): int(n) for m, s, n in cur}


def start_run(con: sqlite3.Connection, model: str, suite: str, source: str) -> int:
    from vidreason import __version__

    cur = con.execute(
        "INSERT INTO runs (started, model, suite, source, package_version) VALUES (?, ?, ?, ?, ?)",
        (now(), model, suite, source, __version__),
    )
    con.commit()
    return int(cur.lastrowid or 0)


def finish_run(
    con: sqlite3.Connection, run: int, counts: dict[str, int], unmatched: Iterable[str] = ()
) -> None:
    con.execute(
        "UPDATE runs SET finished = ?, counts = ?, unmatched = ? WHERE id = ?",
        (now(), json.dumps(counts, sort_keys=True), json.dumps(sorted(unmatched)), run),
    )
    con.commit()


def runs(run_dir: Path) -> list[Run]:
    """Every run, oldest first."""
    with connect(run_dir, create=False) as con:
        cur = con.execute(
            "SELECT id, started, finished, model, suite, source, package_version, counts, "
            "unmatched FROM runs ORDER BY id"
        )
        return [
            Run(i, s, f, m, su, src, v, json.loads(c), tuple(json.loads(u)))
            for i, s, f, m, su, src, v, c, u in cur
        ]


def latest_runs(run_dir: Path) -> dict[tuple[str, str], Run]:
    """The newest run of each (model, suite)."""
    return {(r.model, r.suite): r for r in runs(run_dir)}


def forget(run_dir: Path, model: str, suite: str | None = None) -> int:
    """Remove every row of ``model`` (on ``suite`` only, if given); returns how many
    scores were removed."""
    where, args = (
        ("model = ?", (model,))
        if suite is None
        else (
            "model = ? AND suite = ?",
            (model, suite),
        )
    )
    with connect(run_dir, create=False) as con:
        n = con.execute(f"DELETE FROM scores WHERE {where}", args).rowcount
        con.execute(f"DELETE FROM current WHERE {where}", args)
        con.execute(f"DELETE FROM runs WHERE {where}", args)
        con.commit()
    return int(n)


def current_entries(run_dir: Path) -> list[tuple[str, str, str, int, int, str, int]]:
    """The ``current`` table: ``(model, suite, family, idx, seed, key, run)`` per instance."""
    with connect(run_dir, create=False) as con:
        cur = con.execute(
            "SELECT model, suite, family, idx, seed, key, run FROM current "
            "ORDER BY model, suite, family, idx, seed"
        )
        return [tuple(r) for r in cur]


def add_rows(con: sqlite3.Connection, items: Iterable[Row]) -> int:
    """Store rows as they are (a key already stored keeps its row); how many were new."""
    placeholders = ", ".join("?" for _ in _COLUMNS)
    before = con.total_changes
    con.executemany(
        f"INSERT OR IGNORE INTO scores ({', '.join(_COLUMNS)}) VALUES ({placeholders})",
        [_values(r) for r in items],
    )
    con.commit()
    return con.total_changes - before


def add_run(con: sqlite3.Connection, run: Run) -> int:
    """Copy a run's line from another store (once: the same line twice is kept once);
    its id here."""
    values = (
        run.started,
        run.finished,
        run.model,
        run.suite,
        run.source,
        run.package_version,
        json.dumps(run.counts, sort_keys=True),
        json.dumps(sorted(run.unmatched)),
    )
    where = " AND ".join(
        f"{c} = ?" for c in ("started", "finished", "model", "suite", "source", "package_version")
    )
    found = con.execute(
        f"SELECT id FROM runs WHERE {where} AND counts = ? AND unmatched = ?", values
    ).fetchone()
    if found:
        return int(found[0])
    cur = con.execute(
        "INSERT INTO runs (started, finished, model, suite, source, package_version, counts, "
        "unmatched) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        values,
    )
    con.commit()
    return int(cur.lastrowid or 0)


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


# --------------------------------------------------------------------------- answers
# Answers of video-understanding models to a suite's questions (``vidreason.answers``):
# their own tables, so the scores and their readers are untouched. ``answers`` holds one
# row per (model, suite, question); ``answer_sets`` one line per (model, suite) saying
# where its answers came from. Storing a model's answers on a suite replaces all of its
# rows there at once (no stale row survives); the same answers again change nothing.

ANSWERS_SCHEMA = """
CREATE TABLE IF NOT EXISTS answers (
    model TEXT NOT NULL,
    suite TEXT NOT NULL,
    qid TEXT NOT NULL,
    family TEXT NOT NULL,
    capability TEXT NOT NULL,
    idx INTEGER NOT NULL,
    kind TEXT NOT NULL,
    question TEXT NOT NULL,
    truth TEXT NOT NULL,
    choices TEXT NOT NULL,
    given TEXT,
    reply TEXT NOT NULL,
    status TEXT NOT NULL,
    correct INTEGER NOT NULL,
    error TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (model, suite, qid)
);
CREATE TABLE IF NOT EXISTS answer_sets (
    model TEXT NOT NULL,
    suite TEXT NOT NULL,
    source TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    package_version TEXT NOT NULL,
    answered_at TEXT NOT NULL,
    counts TEXT NOT NULL,
    PRIMARY KEY (model, suite)
);
"""
_ANSWER_COLUMNS = (
    "model, suite, qid, family, capability, idx, kind, question, truth, choices, given, "
    "reply, status, correct, error"
)


@dataclass(frozen=True)
class AnswerRow:
    """One question of a suite graded for one model (``vidreason.answers``): ``given`` is
    the answer as matched (the choice it names, else the answer as written), ``status``
    one of correct, wrong, unanswered, unparsed, error."""

    model: str
    suite: str
    qid: str
    family: str
    capability: str
    idx: int
    kind: str
    question: str
    truth: str
    choices: tuple[str, ...]
    given: str | None  # as matched: the choice it names, else the answer as written
    reply: str
    status: str  # correct, wrong, unanswered, unparsed or error
    correct: bool
    error: str = ""

    def to_dict(self) -> dict[str, object]:
        d = asdict(self)
        d["choices"] = list(self.choices)
        return d


@dataclass(frozen=True)
class AnswerSet:
    """Where one model's answers on one suite came from, and their counts by status."""

    model: str
    suite: str
    source: str
    sha256: str
    package_version: str
    answered_at: str
    counts: dict[str, int]

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def _answer_values(r: AnswerRow) -> tuple:
    return (
        *(r.model, r.suite, r.qid, r.family, r.capability, r.idx, r.kind),
        r.question,
        r.truth,
        json.dumps(list(r.choices)),
        r.given,
        r.reply,
        r.status,
        int(r.correct),
        r.error,
    )


def store_answers(
    run_dir: Path, model: str, suite: str, items: list[AnswerRow], source: str, sha256: str
) -> bool:
    """Make ``items`` the answers of ``model`` on ``suite``, in one
    transaction; returns False when the store already held exactly these."""
    from vidreason import __version__

    new = sorted(_answer_values(r) for r in items)
    with connect(run_dir) as con:
        con.executescript(ANSWERS_SCHEMA)
        old = sorted(
            con.execute(
                f"SELECT {_ANSWER_COLUMNS} FROM answers WHERE model = ? AND suite = ?",
                (model, suite),
            )
        )
        if old == new:
            return False
        counts: dict[str, int] = {}
        for r in items:
            counts[r.status] = counts.get(r.status, 0) + 1
        with con:
            con.execute("DELETE FROM answers WHERE model = ? AND suite = ?", (model, suite))
            con.executemany(
                f"INSERT INTO answers ({_ANSWER_COLUMNS}) VALUES "
                f"({', '.join('?' for _ in range(15))})",
                new,
            )
            con.execute(
                "INSERT OR REPLACE INTO answer_sets (model, suite, source, sha256, "
                "package_version, answered_at, counts) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (model, suite, source, sha256, __version__, now(), json.dumps(counts)),
            )
    return True


def answer_rows(run_dir: Path) -> list[AnswerRow]:
    """Every stored answer, by model, suite and question."""
    with connect(run_dir, create=False) as con:
        con.executescript(ANSWERS_SCHEMA)
        cur = con.execute(
            f"SELECT {_ANSWER_COLUMNS} FROM answers ORDER BY model, suite, family, idx, qid"
        )
        out = []
        for v in cur:
            d = dict(zip([c.strip() for c in _ANSWER_COLUMNS.split(",")], v, strict=True))
            d["choices"] = tuple(json.loads(d["choices"]))
            d["correct"] = bool(d["correct"])
            out.append(AnswerRow(**d))
        return out


def answer_sets(run_dir: Path) -> list[AnswerSet]:
    with connect(run_dir, create=False) as con:
        con.executescript(ANSWERS_SCHEMA)
        cur = con.execute(
            "SELECT model, suite, source, sha256, package_version, answered_at, counts "
            "FROM answer_sets ORDER BY model, suite"
        )
        return [
            AnswerSet(m, s, src, sha, version, at, json.loads(c))
            for m, s, src, sha, version, at, c in cur
        ]


def forget_answers(run_dir: Path, model: str, suite: str | None = None) -> int:
    """Remove every answer of ``model`` (on ``suite`` only, if given); returns how many."""
    where, args = (
        ("model = ?", (model,)) if suite is None else ("model = ? AND suite = ?", (model, suite))
    )
    with connect(run_dir, create=False) as con:
        con.executescript(ANSWERS_SCHEMA)
        n = con.execute(f"DELETE FROM answers WHERE {where}", args).rowcount
        con.execute(f"DELETE FROM answer_sets WHERE {where}", args)
        con.commit()
    return int(n)
