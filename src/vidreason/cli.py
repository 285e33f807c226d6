"""The `vidreason` command line: thin wrappers over ``vidreason.api``.

Verbs: tasks, models, generate, run, score, answer, leaderboard, runs, forget, report, check,
audit, merge, demo, import, export. A user mistake (bad path, unknown name, unreadable
file, a place that cannot be written) prints one line naming it and exits 2, before any
work; a failed conformance check exits 1; Ctrl-C stops at once, says what is kept and
exits 130. Progress goes to stderr: bars with an ETA on a terminal, a plain line per
stage otherwise. ``--shard i/n`` (generate, run, score, check, audit) does one shard of
the instances and ``merge`` joins the shards' run folders; ``--executor ray`` runs the
work on a Ray cluster.
"""

from __future__ import annotations

import contextlib
import functools
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer
import typer.core
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from vidreason import api

if TYPE_CHECKING:
    from vidreason.runner.shard import Shard

HELP = (
    "Score the reasoning of video generation models against physics engines and solvers:"
    " generate task suites, score videos, print leaderboards, write reports."
)
app = typer.Typer(add_completion=False, no_args_is_help=True, help=HELP)
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)
F = TypeVar("F", bound=Callable[..., object])


RESUMABLE = {"generate", "run", "score", "demo", "answer"}  # verbs whose finished work is kept


def _hide_flag_types() -> None:
    """Typer shows a flag as if it took a ``<bool>`` value; a flag takes none."""
    option = getattr(typer.core, "TyperOption", None)
    shown = getattr(option, "display_type_rich", None)
    if option is None or shown is None or getattr(shown, "hides_flags", False):
        return

    def display_type_rich(self: object, ctx: object) -> str | None:
        return None if getattr(self, "is_flag", False) else shown(self, ctx)

    display_type_rich.hides_flags = True  # type: ignore[attr-defined]
    option.display_type_rich = display_type_rich


_hide_flag_types()


def friendly(fn: F) -> F:
    """Turn user mistakes into one line on stderr and exit code 2, and Ctrl-C into one
    line saying what is kept and exit code 130."""

    @functools.wraps(fn)
    def wrapper(*args: object, **kwargs: object) -> object:
        from vidreason.errors import Interrupted, UserError
        from vidreason.instance_io import InstanceError
        from vidreason.registry import UnknownName
        from vidreason.render.video_io import VideoError

        try:
            return fn(*args, **kwargs)
        except (UserError, UnknownName, InstanceError, VideoError, FileNotFoundError) as exc:
            err.print(f"[red]error:[/red] {escape(str(exc))}", highlight=False)
            raise typer.Exit(2) from None
        except (Interrupted, KeyboardInterrupt) as exc:
            done = f"{exc.done} of {exc.total} done" if isinstance(exc, Interrupted) else ""
            if fn.__name__ in RESUMABLE:
                kept = f"{done} are stored" if done else "what was done is stored"
                line = f"interrupted: {kept}; rerun the same command to resume"
            else:
                line = f"interrupted after {done}" if done else "interrupted"
            err.print(line, highlight=False)
            raise typer.Exit(130) from None

    return wrapper  # type: ignore[return-value]


def at_least_one(n: int | None, option: str = "--n") -> None:
    from vidreason.errors import UserError

    if n is not None and n < 1:
        raise UserError(f"{option} must be at least 1, got {n}")


@contextlib.contextmanager
def working(text: str, enabled: bool) -> Iterator[None]:
    """A spinner on stderr while a stage with no count runs (a plain line when stderr
    is not a terminal)."""
    if not enabled:
        yield
    elif err.is_terminal:
        with err.status(text):
            yield
    else:
        err.print(text, highlight=False)
        yield


Workers = Annotated[int | None, typer.Option(help="Processes to use (default: all cores).")]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="No progress output.")]
Seed = Annotated[int, typer.Option(help="Seed; the same seed gives the same bytes and scores.")]
Style = Annotated[
    str,
    typer.Option(
        help="How scenes are drawn: flat (flat colours), shaded (light, gradients, soft"
        " shadows) or textured (patterned surfaces and bodies); the laws are the same."
    ),
]
ContextFrames = Annotated[
    int,
    typer.Option(
        help="Continuation: the first K true frames are the model's context (context.mp4);"
        " it generates the rest, and only that is scored. 0: image-to-video.",
    ),
]
FamilyArgs = Annotated[
    list[str] | None,
    typer.Argument(metavar="FAMILY", help="Families (default: all; see `vidreason tasks`)."),
]


ShardOption = Annotated[
    str | None,
    typer.Option(
        metavar="I/N",
        help="Only shard I of N (1-based: 1/4 to 4/4) of the instances, split the same way"
        " on every machine; `vidreason merge` joins the shards' run folders.",
    ),
]


ExecutorOption = Annotated[
    str,
    typer.Option(
        metavar="local|ray",
        help="Where the work runs: this machine's cores, or a Ray cluster"
        " (the ray extra; see docs/ray.md).",
    ),
]
AddressOption = Annotated[
    str | None,
    typer.Option(
        help="The Ray cluster to join (default: RAY_ADDRESS, else a local Ray started here)."
    ),
]


def _executing(kind: str, address: str | None) -> contextlib.AbstractContextManager:
    """Run the verb's work on the executor asked for (a mistake is one line, first)."""
    from vidreason.runner.executor import Executor, use

    return use(Executor(kind, address))


def _shard(text: str | None) -> Shard | None:
    from vidreason.runner.shard import parse_shard

    return parse_shard(text)


def _suite_names() -> str:
    from vidreason.suites import SUITES

    return ", ".join(SUITES.names())


def _check_workers(workers: int | None) -> None:
    at_least_one(workers, "--workers")


def _listed(paths: tuple[str, ...], limit: int = 5) -> str:
    more = f", and {len(paths) - limit} more" if len(paths) > limit else ""
    return ", ".join(paths[:limit]) + more


def _summary(summary: api.RunSummary) -> None:
    out.print(
        f"{summary.total} videos: {summary.scored} scored, {summary.skipped} already in the store"
        + (f" (suite {', '.join(summary.suites)})" if any(summary.suites) else "")
    )
    problems = (
        ("missing (scored 0)", summary.missing),
        ("could not be read (scored 0)", summary.unreadable),
        (
            "match no instance (ignored; videos are named <family>-v<N>/<index:05d>.mp4)",
            summary.unmatched,
        ),
    )
    for what, paths in problems:
        if paths:
            n = len(paths)
            noun = "video" if "match" not in what else "file"
            err.print(
                f"[yellow]{n} {noun}{'s' if n > 1 else ''} {what}:[/yellow] "
                f"{escape(_listed(paths))}",
                highlight=False,
            )
    for e in summary.errors:
        err.print(f"[yellow]failed:[/yellow] {escape(e)}", highlight=False)


@app.command()
@friendly
def tasks(
    markdown: Annotated[
        bool, typer.Option("--markdown", help="Print the README's table of families.")
    ] = False,
) -> None:
    """List the registered task families."""
    from vidreason.tasks import FAMILIES, get_family

    if markdown:
        from vidreason.tasks.catalog import family_table

        sys.stdout.write(family_table(FAMILIES.names()) + "\n")
        return
    table = Table("family", "capability", "engine", "law tested")
    for fid in FAMILIES.names():
        f = get_family(fid)
        table.add_row(f.id, f.capability, f.engine, f.law)
    out.print(table)


@app.command()
@friendly
def models() -> None:
    """List the built-in models."""
    from vidreason.models import MODELS, card_of, get_model

    table = Table("model", "version", "modality", "sees the goal", "what it is")
    for name in MODELS.names():
        m = get_model(name)
        card = card_of(m)
        sees = "yes (flagged)" if card.goal_conditioned else "no"
        modality = card.modality + (" + continuation" if card.continues else "")
        table.add_row(name, m.version, modality, sees, getattr(m, "description", ""))
    out.print(table)
    out.print(
        "Your own: --model package.module:factory, or --model-config FILE.toml"
        " (python, http or diffusers adapter); see README.",
        highlight=False,
    )


@app.command()
@friendly
def generate(
    out_dir: Annotated[
        Path, typer.Option("--out", help="Folder to write the suite (or shards) to.")
    ],
    suite: Annotated[
        str | None,
        typer.Option(help=f"Suite name: {_suite_names()} (with --format: its families)."),
    ] = None,
    n: Annotated[
        int | None,
        typer.Option(help="Instances per family (default: the suite's); with --format: in all."),
    ] = None,
    seed: Seed = 0,
    family: Annotated[list[str] | None, typer.Option(help="Only these families.")] = None,
    width: Annotated[int, typer.Option(help="Frame width, px (even, >= 32).")] = 256,
    height: Annotated[int, typer.Option(help="Frame height, px (even, >= 32).")] = 256,
    fps: Annotated[int, typer.Option(help="Frames per second.")] = 16,
    frames: Annotated[int, typer.Option(help="Frames per video (>= 16).")] = 48,
    style: Style = "flat",
    context_frames: ContextFrames = 0,
    data_format: Annotated[
        str,
        typer.Option(
            "--format",
            help="folders (a suite), or training-data shards: webdataset (tar) or parquet.",
        ),
    ] = "folders",
    shard_size: Annotated[int, typer.Option(help="With --format: instances per shard.")] = 1000,
    workers: Workers = None,
    quiet: Quiet = False,
    shard: ShardOption = None,
    executor: ExecutorOption = "local",
    address: AddressOption = None,
) -> None:
    """Generate a suite of task instances, or training-data shards with --format (a
    killed run resumes where it stopped)."""
    from vidreason.errors import UserError
    from vidreason.outputs import output_folder
    from vidreason.suites import SUITE_FILE
    from vidreason.types import VideoFormat

    part = _shard(shard)
    runner = _executing(executor, address)
    if width % 2 or height % 2 or min(width, height) < 32 or fps < 1 or frames < 16:
        raise UserError("need even --width/--height >= 32, --fps >= 1 and --frames >= 16")
    at_least_one(n)
    at_least_one(shard_size, "--shard-size")
    _check_workers(workers)
    formats = ("folders", *api.DATA_FORMATS)
    if data_format not in formats:
        raise UserError(f"--format must be one of {', '.join(formats)}; got {data_format!r}")
    if data_format == "folders" and suite is None:
        raise UserError("--suite is needed (or --format webdataset|parquet with --n)")
    if data_format != "folders" and n is None:
        raise UserError(f"--format {data_format} needs --n (instances in all)")
    output_folder(out_dir)
    fmt = VideoFormat(width=width, height=height, fps=fps, n_frames=frames, style=_style(style))
    if data_format != "folders":
        assert n is not None
        if part or context_frames or executor != "local":
            raise UserError(
                f"--format {data_format} writes its own shards (--shard-size) on this machine:"
                " --shard, --context-frames and --executor are for suites"
            )
        manifest = api.generate_dataset(
            out_dir,
            n,
            format=data_format,
            seed=seed,
            fmt=fmt,
            families=family,
            suite=suite,
            shard_size=shard_size,
            workers=workers,
            progress=not quiet,
        )
        shards = len(manifest["shards"])
        out.print(f"wrote {manifest['samples']} samples in {shards} shards to {out_dir}")
        for key, reason in manifest["failed"]:
            err.print(f"[yellow]failed:[/yellow] {escape(key)}: {escape(reason)}", highlight=False)
        return
    assert suite is not None
    with runner:
        dirs = api.generate(
            suite,
            out_dir,
            n=n,
            seed=seed,
            fmt=fmt,
            families=family,
            workers=workers,
            progress=not quiet,
            shard=part,
            context_frames=context_frames,
        )
    out.print(f"wrote {len(dirs)} instances to {out_dir}" + (f" (shard {part})" if part else ""))
    if part and not (out_dir / SUITE_FILE).is_file():
        out.print(f"{SUITE_FILE} is written once every shard's instances are there")


@app.command()
@friendly
def run(
    suite: Annotated[
        str, typer.Option(help=f"Suite name ({_suite_names()}) or a generated suite folder.")
    ],
    run_dir: Annotated[Path, typer.Option("--out", help="Run directory (store, videos).")],
    model: Annotated[
        list[str] | None,
        typer.Option(
            help="Model(s): a built-in (see `vidreason models`) or package.module:factory."
        ),
    ] = None,
    model_config: Annotated[
        list[Path] | None,
        typer.Option(help="Model config file(s) (TOML: python, http or diffusers adapter)."),
    ] = None,
    model_set: Annotated[
        list[str] | None,
        typer.Option(help="KEY=VALUE over the config file(s), e.g. settings.steps=50."),
    ] = None,
    seeds: Annotated[
        int, typer.Option(help="Generations per instance (mean ± sd over seeds).")
    ] = 1,
    seed: Seed = 0,
    n: Annotated[int | None, typer.Option(help="Instances per family.")] = None,
    family: Annotated[
        list[str] | None, typer.Option(help="Only these families (of a suite name).")
    ] = None,
    workers: Workers = None,
    devices: Annotated[
        str | None,
        typer.Option(help="GPUs for local models, e.g. 0,1: one generation worker per GPU."),
    ] = None,
    quiet: Quiet = False,
    shard: ShardOption = None,
    executor: ExecutorOption = "local",
    address: AddressOption = None,
    style: Annotated[
        list[str] | None,
        typer.Option(
            help="Scene style(s) of a named suite: flat, shaded, textured (repeat the option"
            " to run each; the report compares them)."
        ),
    ] = None,
) -> None:
    """Generate videos with models (each loaded once per worker), scoring each video as
    soon as it exists."""
    from vidreason.outputs import output_folder

    styles = list(dict.fromkeys(_style(s) for s in style or ["flat"]))
    part = _shard(shard)
    runner = _executing(executor, address)
    at_least_one(n)
    at_least_one(seeds, "--seeds")
    _check_workers(workers)
    names, configs = model or [], model_config or []
    models = api.load_models(names, configs, model_set, devices)  # every mistake before any work
    output_folder(run_dir)
    sources = [m if ":" in m else "built-in" for m in names] + [str(c) for c in configs]
    with runner:
        for s in styles:
            summary = api.run_models(
                models,
                suite,
                run_dir,
                seed=seed,
                n=n,
                workers=workers,
                progress=not quiet,
                seeds=seeds,
                source=", ".join(dict.fromkeys(sources)),
                shard=part,
                style=s,
                families=family,
            )
            _summary(summary)


@app.command()
@friendly
def score(
    suite_dir: Annotated[Path, typer.Option(help="A generated suite folder.")],
    videos: Annotated[Path, typer.Option(help="Folder of <family>-v<N>/<index:05d>.mp4 videos.")],
    model_name: Annotated[str, typer.Option(help="Name to store the scores under.")],
    run_dir: Annotated[Path, typer.Option("--out", help="Run directory (store).")],
    workers: Workers = None,
    quiet: Quiet = False,
    shard: ShardOption = None,
    executor: ExecutorOption = "local",
    address: AddressOption = None,
    whole_clips: Annotated[
        bool,
        typer.Option(
            help="Continuation suite: the videos are whole clips (an image-to-video model's),"
            " read from the context's end on, not continuations.",
        ),
    ] = False,
) -> None:
    """Score a folder of videos written by any model."""
    from vidreason.outputs import output_folder

    part = _shard(shard)
    runner = _executing(executor, address)
    _check_workers(workers)
    output_folder(run_dir)
    with runner:
        summary = api.score_folder(
            suite_dir,
            videos,
            model_name,
            run_dir,
            workers=workers,
            progress=not quiet,
            shard=part,
            whole_clips=whole_clips,
        )
    _summary(summary)


GOAL_MARK = "†"
GOAL_NOTE = "conditioned on the goal frame: it has seen the answer, its score tests no reasoning"


def print_leaderboard(entries: list) -> None:
    _print_entries([e for e in entries if e.kind != "pairs"], None)
    pairs = [e for e in entries if e.kind == "pairs"]
    if pairs:
        _print_entries(pairs, "Counterfactual pairs, scored jointly (n = pairs)")


def _print_entries(entries: list, title: str | None) -> None:
    """The leaderboard table; a suite column when the store holds more than one suite."""
    suites = len({e.suite for e in entries}) > 1
    seeds = any(e.seeds > 1 for e in entries)
    head = ["model", *(["suite"] if suites else []), "family", "capability", "n"]
    mean = "mean ± sd" if seeds else "mean"
    table = Table(*head, mean, "95% CI", "pass", title=title)
    table.columns[-2].no_wrap = table.columns[-3].no_wrap = True
    for e in entries:
        spread = f" ± {e.seed_sd:.3f}" if e.seeds > 1 else ""
        table.add_row(
            escape(e.model) + (f" {GOAL_MARK}" if e.goal_conditioned else ""),
            *([escape(e.suite)] if suites else []),
            escape(e.family),
            e.capability,
            str(e.n),
            f"{e.mean:.3f}{spread}",
            escape(f"[{e.ci_low:.3f}, {e.ci_high:.3f}]"),
            f"{e.pass_rate:.0%}",
        )
    out.print(table)
    if seeds:
        k = sorted({e.seeds for e in entries})
        out.print(
            f"± sd over {'/'.join(map(str, k))} seeds (of each seed's mean); the CI is over"
            " instances, each counted by its mean over seeds",
            highlight=False,
        )
    if any(e.goal_conditioned for e in entries):
        out.print(f"{GOAL_MARK} {GOAL_NOTE}", highlight=False)


@app.command()
@friendly
def leaderboard(
    run_dir: Annotated[Path, typer.Argument(help="Run directory.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Per model x family and model x capability: n, mean, 95% bootstrap CI, pass rate."""
    if as_json:
        sys.stdout.write(api.leaderboard_json(run_dir) + "\n")
    else:
        entries, answers = api.leaderboard(run_dir), api.answer_leaderboard(run_dir)
        if entries or not answers:
            print_leaderboard(entries)
        if answers:
            print_answers(answers, api.answer_sets(run_dir))
        _print_caveats(api.runs(run_dir))


def _problems(s: api.RunStatus) -> str:
    return ", ".join(
        f"{n} {what}"
        for n, what in (
            (s.missing, "missing"),
            (s.unreadable, "unreadable"),
            (s.errors, "failed"),
            (s.pending, "not scored yet (rerun to finish)"),
            (len(s.unmatched), "unmatched files in the folder"),
        )
        if n
    )


def _print_caveats(statuses: list[api.RunStatus]) -> None:
    """One line per (model, suite) whose rows are not all scored videos."""
    for s in statuses:
        problems = _problems(s)
        if problems:
            err.print(
                f"[yellow]{escape(s.model)} on {escape(s.suite or 'its suite')}:[/yellow] "
                + problems,
                highlight=False,
            )


def print_answers(entries: list, sets: list) -> None:
    """The answers table (accuracy per model, kind, family, capability; the baselines
    last) and a line per model with unanswered or unreadable answers."""
    suites = len({e.suite for e in entries}) > 1
    head = ["model", *(["suite"] if suites else []), "questions", "n"]
    table = Table(*head, "accuracy", "95% CI", "answered", title="Answers to the questions")
    for e in entries:
        table.add_row(
            escape(e.model),
            *([escape(e.suite)] if suites else []),
            escape("all" if e.by == "all" else f"{e.by} {e.group}"),
            str(e.n),
            f"{e.accuracy:.3f}",
            escape(f"[{e.ci_low:.3f}, {e.ci_high:.3f}]"),
            "-" if e.baseline else str(e.answered),
        )
    out.print(table)
    out.print(
        "baseline:random is the expected accuracy of a uniform pick among each question's"
        " candidates; baseline:majority answers the most common answer of the question's"
        " family, kind and form on this suite. Unanswered questions count as wrong.",
        highlight=False,
    )
    for s in sets:
        problems = ", ".join(
            f"{s.counts[k]} {k}" for k in ("unanswered", "unparsed", "error") if s.counts.get(k)
        )
        if problems:
            err.print(
                f"[yellow]{escape(s.model)} on {escape(s.suite)} (answers):[/yellow] {problems}",
                highlight=False,
            )


@app.command()
@friendly
def answer(
    suite_dir: Annotated[Path, typer.Option(help="A generated suite folder (with questions).")],
    run_dir: Annotated[Path, typer.Option("--out", help="Run directory (store).")],
    answers: Annotated[
        Path | None,
        typer.Option(
            help='JSON Lines file: {"id": "<family>-v<N>/<index:05d>/<k>", "answer": ...}.'
        ),
    ] = None,
    model_name: Annotated[
        str | None, typer.Option(help="Name to store the answers under (with --answers).")
    ] = None,
    model_config: Annotated[
        Path | None,
        typer.Option(help='A chat model config (TOML, adapter = "chat") to ask instead.'),
    ] = None,
    model_set: Annotated[
        list[str] | None, typer.Option(help="KEY=VALUE over the config file, e.g. chat.frames=4.")
    ] = None,
    quiet: Quiet = False,
) -> None:
    """Score answers to a suite's questions (CLEVRER style): from a JSON Lines file, or
    asked of an OpenAI-compatible chat model with --model-config."""
    from vidreason.answers import BASELINES, load_questions, score_answers
    from vidreason.errors import UserError
    from vidreason.outputs import output_folder

    if (answers is None) == (model_config is None):
        raise UserError("give --answers FILE (with --model-name) or --model-config FILE")
    if model_set and model_config is None:
        raise UserError("--model-set changes a config file's keys: give --model-config too")
    if answers is not None and not model_name:
        raise UserError("--answers needs --model-name (the name to store the answers under)")
    questions = load_questions(suite_dir)
    if model_config is not None:
        from vidreason.models.chat import ask_suite, read_chat_config

        config = read_chat_config(model_config, model_set or [])
        if model_name:
            config = config.named(model_name)
        if config.name in BASELINES:
            raise UserError(f"{model_config}: name {config.name!r} is a baseline's; pick another")
        output_folder(run_dir)
        answers = ask_suite(config, suite_dir, questions, run_dir, progress=not quiet)
        model_name = config.name
    else:
        output_folder(run_dir)
    assert answers is not None and model_name is not None
    summary = score_answers(suite_dir, answers, model_name, run_dir, questions=questions)
    c = summary.counts
    out.print(
        f"{summary.total} questions: {c['correct']} correct, {c['wrong']} wrong,"
        f" {c['unanswered']} unanswered, {c['unparsed'] + c['error']} unreadable;"
        f" accuracy {summary.accuracy:.3f} (suite {summary.suite};"
        f" {'stored' if summary.changed else 'already in the store'})",
        highlight=False,
    )
    if model_config is not None:
        out.print(f"answers: {answers}", highlight=False)
    for what, ids in (
        ("unanswered (counted wrong)", summary.unanswered),
        ("without a readable answer (counted wrong)", summary.unparsed),
    ):
        if ids:
            n = len(ids)
            err.print(
                f"[yellow]{n} question{'s' if n > 1 else ''} {what}:[/yellow] "
                f"{escape(_listed(ids))}",
                highlight=False,
            )


@app.command("runs")
@friendly
def runs_(
    run_dir: Annotated[Path, typer.Argument(help="Run directory.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """What the store holds: per model and suite, its rows and where they came from."""
    import json

    statuses = api.runs(run_dir)
    if as_json:
        sys.stdout.write(json.dumps([s.to_dict() for s in statuses], indent=1) + "\n")
        return
    table = Table("model", "suite", "rows", "passed", "not scored", "last run", "scored by")
    for column in table.columns[:2]:
        column.no_wrap = True
    for s in statuses:
        table.add_row(
            escape(s.model),
            escape(s.suite),
            str(s.rows),
            str(s.passed),
            _problems(s) or "-",
            s.last_run,
            escape(", ".join(s.package_versions)),
        )
    out.print(table)


@app.command()
@friendly
def forget(
    run_dir: Annotated[Path, typer.Argument(help="Run directory.")],
    model: Annotated[str, typer.Option(help="The model whose rows to remove.")],
    suite: Annotated[
        str | None, typer.Option(help="Only its rows on this suite (see `vidreason runs`).")
    ] = None,
) -> None:
    """Remove a model's scores and answers from the store (all of them, or on one suite)."""
    answers = sum(
        sum(s.counts.values())
        for s in api.answer_sets(run_dir)
        if s.model == model and suite in (None, s.suite)
    )
    n = api.forget(run_dir, model, suite)
    where = f" on {suite}" if suite else ""
    also = f" and {answers} answers" if answers else ""
    out.print(f"removed {n} scores{also} of {model}{where} from {run_dir}")


@app.command()
@friendly
def report(
    run_dir: Annotated[Path, typer.Argument(help="Run directory.")],
    out_file: Annotated[
        Path | None,
        typer.Option("--out", help="HTML file to write (default: RUN_DIR/report.html)."),
    ] = None,
    quiet: Quiet = False,
) -> None:
    """Write a self-contained HTML report."""
    from vidreason import store
    from vidreason.errors import UserError
    from vidreason.outputs import output_file

    if not store.store_path(run_dir).is_file():
        raise UserError(f"{store.store_path(run_dir)}: no results store here")
    target = output_file(out_file if out_file is not None else run_dir / "report.html")
    with working(f"report: writing {target}", not quiet):
        path = api.report(run_dir, out_file)
    out.print(f"report: {path}")


@app.command()
@friendly
def check(
    families: FamilyArgs = None,
    n: Annotated[
        int, typer.Option(help="Instances per family (a paired family: rounded up to whole pairs).")
    ] = 3,
    seed: Seed = 0,
    workers: Workers = None,
    quiet: Quiet = False,
    static: Annotated[
        bool,
        typer.Option(
            "--static",
            help="Only the quick checks (seconds): identity, determinism, JSON, colours,"
            " view, prompt, declared law checks.",
        ),
    ] = False,
    shard: ShardOption = None,
    executor: ExecutorOption = "local",
    address: AddressOption = None,
    context_frames: ContextFrames = 0,
    style: Style = "flat",
    width: Annotated[int, typer.Option(help="Frame width, px (even, >= 32).")] = 256,
    height: Annotated[int, typer.Option(help="Frame height, px (even, >= 32).")] = 256,
) -> None:
    """Conformance: deterministic generation, oracle passes, trivial baselines fail
    (with --context-frames K: under the continuation protocol; with --style: scenes drawn
    that way; with --width/--height: at that frame size)."""
    from vidreason.conformance import BASELINE_MAX, ORACLE_MIN
    from vidreason.conformance import check as run_check
    from vidreason.errors import UserError
    from vidreason.tasks import FAMILIES
    from vidreason.types import VideoFormat

    part = _shard(shard)
    if width % 2 or height % 2 or min(width, height) < 32:
        raise UserError(f"need even --width/--height >= 32; got {width}x{height}")
    fmt = VideoFormat(width=width, height=height, style=_style(style))
    _executing(executor, address)  # a mistake in either is one line, before any work
    if static:
        _static_check(families or FAMILIES.names())
        return
    at_least_one(n)
    _check_workers(workers)
    with _executing(executor, address):
        results = run_check(
            families or FAMILIES.names(),
            n=n,
            seed=seed,
            workers=workers,
            progress=not quiet,
            shard=part,
            context_frames=context_frames,
            fmt=fmt,
        )
    if part:
        out.print(f"shard {part}: {sum(r.n for r in results)} instances", highlight=False)
    columns = ["family", "deterministic", f"oracle (>= {ORACLE_MIN})"]
    columns += [f"worst baseline (<= {BASELINE_MAX})"]
    if context_frames:
        columns += [
            f"planted after K (<= {BASELINE_MAX})",
            f"what the K={context_frames} context gives away",
        ]
    table = Table(*columns, "verdict")
    for r in results:
        worst = max(r.baselines, key=lambda b: r.baselines[b])
        extra = [f"{r.planted:.3f}", "; ".join(r.notes) or "-"] if context_frames else []
        table.add_row(
            r.family,
            "yes" if r.deterministic else "[red]no[/red]",
            f"{r.oracle:.3f}",
            f"{worst} {r.baselines[worst]:.3f}",
            *extra,
            "[green]ok[/green]" if r.ok else "[red]" + "; ".join(r.problems) + "[/red]",
        )
    out.print(table)
    if not all(r.ok for r in results):
        err.print(f"{sum(not r.ok for r in results)} of {len(results)} families fall short")
        raise typer.Exit(1)


def _style(style: str) -> str:
    """``style``, or one line naming the styles there are."""
    from vidreason.errors import UserError
    from vidreason.types import STYLES

    if style not in STYLES:
        raise UserError(f"--style must be one of {', '.join(STYLES)}; got {style!r}")
    return style


def _static_check(families: list[str]) -> None:
    """One line per check and family; exit 1 when any fails."""
    from vidreason.static_check import static_check
    from vidreason.tasks import get_family

    chosen = [get_family(f) for f in families]  # unknown names fail before any work
    failed = 0
    for family in chosen:
        for f in static_check(family):
            failed += not f.ok
            mark = "[green]ok[/green]  " if f.ok else "[red]FAIL[/red]"
            out.print(f"{mark} {family.id} {f.check}: {escape(f.line)}", highlight=False)
    if failed:
        err.print(f"{failed} static check{'s' if failed > 1 else ''} failed")
        raise typer.Exit(1)


@app.command()
@friendly
def audit(
    families: FamilyArgs = None,
    n: Annotated[int, typer.Option(help="Instances per family.")] = 4,
    seed: Seed = 0,
    quick: Annotated[bool, typer.Option(help="One instance per family (for CI).")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON rows.")] = False,
    out_file: Annotated[
        Path | None, typer.Option("--out", help="Also write the JSON here.")
    ] = None,
    run_dir: Annotated[
        Path | None, typer.Option(help="Write RUN_DIR/audit.json for the run's report.")
    ] = None,
    workers: Workers = None,
    quiet: Quiet = False,
    stress: Annotated[
        bool,
        typer.Option(
            help="Also every magnitude without a target (zoom 10%, shake 4 px, ...): measured"
            " for the report's tolerance cards, not judged."
        ),
    ] = False,
    shard: ShardOption = None,
    executor: ExecutorOption = "local",
    address: AddressOption = None,
    style: Style = "flat",
) -> None:
    """How often each verifier is wrong: planted violations caught, nuisances passed (with
    --style: on scenes drawn that way)."""
    import json

    from vidreason.audit import audit as run_audit
    from vidreason.audit import to_json_rows, write_run
    from vidreason.corruptions import TARGETS
    from vidreason.outputs import output_file, output_folder
    from vidreason.tasks import FAMILIES

    part = _shard(shard)
    runner = _executing(executor, address)
    at_least_one(n)
    _check_workers(workers)
    if out_file is not None:
        output_file(out_file)
    if run_dir is not None:
        output_folder(run_dir)
    with runner:
        result = run_audit(
            families or FAMILIES.names(),
            n=n,
            seed=seed,
            workers=workers,
            quick=quick,
            progress=not (quiet or as_json),
            stress=stress,
            shard=part,
            style=_style(style),
        )
    rows = to_json_rows(result)
    if run_dir is not None:
        write_run(run_dir, result, seed=seed, stress=stress)
    if out_file is not None:
        out_file.write_text(json.dumps(rows, indent=1) + "\n")
    if as_json:
        sys.stdout.write(json.dumps(rows, indent=1) + "\n")
        return
    table = Table("family", "kind", "corruption", "n", "rate", "target")
    for r in result.rows:
        caught, failed = (
            f">= {TARGETS.caught:.0%} caught",
            f"<= {TARGETS.falsely_failed:.0%} failed",
        )
        target = caught if r.kind == "violation" else failed
        colour = "green" if TARGETS.met(r.kind, r.rate) else "red"
        if r.target is None:  # measured for the tolerance cards only
            target, colour = "(not judged)", "dim"
        table.add_row(
            r.family, r.kind, r.name, str(r.n), f"[{colour}]{r.rate:.0%}[/{colour}]", target
        )
    for family, auc in result.auroc.items():
        colour = "green" if auc >= TARGETS.auroc else "red"
        table.add_row(
            family,
            "auroc",
            "clean+nuisance vs violation",
            "",
            f"[{colour}]{auc:.3f}[/{colour}]",
            f">= {TARGETS.auroc}",
        )
    out.print(table)


@app.command()
@friendly
def merge(
    runs: Annotated[list[Path], typer.Argument(metavar="RUN", help="Run folders to merge.")],
    out_dir: Annotated[
        Path, typer.Option("--out", help="Run folder to merge into (created, or added to).")
    ],
) -> None:
    """Merge the run folders of shards (--shard i/n) into one: scores, videos, suites,
    answers, audit."""
    from vidreason.outputs import output_folder
    from vidreason.runner.merge import merge as merge_runs

    output_folder(out_dir)
    s = merge_runs(list(runs), out_dir)
    what = (
        f"{s.rows} current rows ({s.added} new), {s.files} files"
        + (f", {s.answers} models' answers" if s.answers else "")
        + (", the audit" if s.audit else "")
    )
    out.print(f"merged {s.runs} runs into {out_dir}: {what}", highlight=False)
    if s.rows:
        out.print(f"report: vidreason report {out_dir}", highlight=False)


@app.command()
@friendly
def demo(
    run_dir: Annotated[Path, typer.Option("--out", help="Run directory.")] = Path("demo"),
    family: Annotated[list[str] | None, typer.Option(help="Only these families.")] = None,
    workers: Workers = None,
    quiet: Quiet = False,
) -> None:
    """The whole flow on the smoke suite: oracle and every baseline, leaderboard, report."""
    from vidreason.outputs import output_folder

    _check_workers(workers)
    output_folder(run_dir)
    _summary(api.demo(run_dir, workers=workers, progress=not quiet, families=family))
    print_leaderboard(api.leaderboard(run_dir))
    with working(f"report: writing {run_dir / 'report.html'}", not quiet):
        path = api.report(run_dir)
    out.print(f"report: {path}")
    out.print(f"results: {run_dir / 'results.sqlite'}")


Layout = Annotated[str, typer.Option(help="Folder layout: vbvr (<task>/<index>/ files).")]


@app.command("import")
@friendly
def import_(
    src: Annotated[Path, typer.Argument(help="Folder of <task>/<index>/ task folders.")],
    suite_dir: Annotated[Path, typer.Option("--out", help="Suite folder to write.")],
    layout: Layout = "vbvr",
) -> None:
    """Import another benchmark's task folders as a suite (scored by generic checks)."""
    from vidreason.interop import import_suite
    from vidreason.outputs import output_folder

    output_folder(suite_dir)
    dirs = import_suite(src, suite_dir, layout=layout)
    out.print(f"imported {len(dirs)} instances to {suite_dir}")


@app.command()
@friendly
def export(
    suite_dir: Annotated[Path, typer.Argument(help="A generated suite folder.")],
    out_dir: Annotated[Path, typer.Option("--out", help="Folder to write.")],
    layout: Layout = "vbvr",
) -> None:
    """Export a suite in another benchmark's folder layout."""
    from vidreason.interop import export_suite
    from vidreason.outputs import output_folder

    output_folder(out_dir)
    dirs = export_suite(suite_dir, out_dir, layout=layout)
    out.print(f"exported {len(dirs)} instances to {out_dir}")


def main() -> None:  # pragma: no cover
    app()
