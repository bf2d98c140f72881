"""The ``convmem`` command line: parse, build through the composition root, call one
library function, render with rich.  No logic worth testing lives only here."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager, nullcontext, suppress
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

from convmem.compose import open_store as _open_store
from convmem.config import Settings
from convmem.display import visible
from convmem.errors import ConfigError, ConvmemError
from convmem.storage.loaders import FORMATS, load_paths
from convmem.storage.memory import MemoryStore

if TYPE_CHECKING:
    from agent.chat import ChatSession

app = typer.Typer(
    name="convmem",
    help="Long-term memory for conversational agents that gets time and context right.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()
err_console = Console(stderr=True)


def _flags_without_a_type() -> None:
    """Show on/off options in --help as bare flags, not as taking a ``<bool>`` value."""
    option = getattr(typer.core, "TyperOption", None)
    shown = getattr(option, "display_type_rich", None)
    if option is None or shown is None or getattr(shown, "bare_flags", False):
        return

    def display_type_rich(self: Any, ctx: Any) -> str | None:
        return None if getattr(self, "is_flag", False) else shown(self, ctx)

    display_type_rich.bare_flags = True  # type: ignore[attr-defined]
    option.display_type_rich = display_type_rich


_flags_without_a_type()

StoreOpt = Annotated[
    Path | None,
    typer.Option("--store", help="Store directory (default: $CONVMEM_STORE or ~/.local/share/convmem)."),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]

T = TypeVar("T")
_QUIET = {"on": False}  # --quiet: no progress bars or status lines


class _RateColumn(ProgressColumn):
    """Items per second, e.g. "412 turns/s"."""

    def __init__(self, unit: str) -> None:
        super().__init__()
        self.unit = unit

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        if speed is None and task.completed and task.elapsed:  # one update so far: the average
            speed = task.completed / task.elapsed
        return Text("" if speed is None else f"{speed:,.0f} {self.unit}/s", style="progress.data.speed")


def open_store(cfg: Settings, create: bool = False, repair: bool = False) -> MemoryStore:
    """The store, with any note on how it opened (read-only, repaired) on stderr."""
    memory = _open_store(cfg, create=create, repair=repair)
    for note in memory.notes:
        err_console.print(plain(note, "yellow"), highlight=False, soft_wrap=True)
    return memory


def plain(text: object, style: str = "") -> Text:
    """Stored, model or user text as it is: never read as Rich markup, controls shown."""
    return Text(visible(str(text)), style=style)


def labelled(label: str, value: object) -> Text:
    return Text.assemble((label, "bold"), ": ", plain(value))


@contextmanager
def progress_bar(label: str, enabled: bool = True, unit: str = "") -> Iterator[Callable[[int, int], None]]:
    """A rich progress bar as a ``(done, total)`` callback (with a rate when ``unit`` is
    given); nothing with --quiet or when stderr is not a terminal."""
    if not enabled or _QUIET["on"] or not err_console.is_terminal:
        yield lambda done, total: None
        return
    columns: list[Any] = [TextColumn(label), BarColumn(), MofNCompleteColumn()]
    if unit:
        columns.append(_RateColumn(unit))
    columns += [TimeElapsedColumn(), TimeRemainingColumn()]
    with Progress(*columns, console=err_console, transient=True) as bar:
        task = bar.add_task(label, total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update


@contextmanager
def status_line(message: str) -> Iterator[None]:
    """A spinner with ``message`` while something slow starts (models loading)."""
    if _QUIET["on"] or not err_console.is_terminal:
        yield
        return
    with err_console.status(message):
        yield


def _open_loaded(cfg: Settings) -> MemoryStore:
    """Open (or create) the store and load its embedding model under a status line, so a
    slow first start says what it is doing."""
    with status_line(f"Loading the embedding model ({cfg.embedder})..."):
        memory = open_store(cfg, create=True)
        try:
            memory.embedder.embed(["warm up"])
        except BaseException:
            memory.close()
            raise
    return memory


QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars or status lines.")]


def _show_version(value: bool) -> None:
    if value:
        from importlib.metadata import PackageNotFoundError, version

        try:
            print(f"convmem {version('convmem')}")
        except PackageNotFoundError:  # run from a checkout that was never installed
            print("convmem (not installed; version unknown)")
        raise typer.Exit()


@app.callback()
def _options(
    show_version: Annotated[
        bool, typer.Option("--version", callback=_show_version, is_eager=True, help="Print the version and exit.")
    ] = False,
    quiet: QuietOpt = False,
) -> None:
    """Long-term memory for conversational agents that gets time and context right."""
    _QUIET["on"] = quiet


CHAT_HISTORY = "chat_history"  # the chat's line history, one per store


def settings(store: Path | None = None, **overrides: Any) -> Settings:
    return Settings.from_env(store=store, **overrides)


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Files or directories to ingest.")],
    fmt: Annotated[str, typer.Option("--format", help=f"One of {', '.join(FORMATS)}.")] = "auto",
    conversation_id: Annotated[str | None, typer.Option("--conversation-id", help="Store the (one) conversation under this id.")] = None,
    id_prefix: Annotated[str | None, typer.Option("--id-prefix", help="Put this before every conversation id (e.g. locomo-).")] = None,
    store: StoreOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Add conversations to memory (atomic and idempotent)."""
    _QUIET["on"] = _QUIET["on"] or quiet
    cfg = settings(store)
    with progress_bar("reading files", unit="files") as progress:
        conversations = load_paths(paths, fmt, cfg.session_gap_minutes, cfg.words_per_minute, progress, cfg.max_turn_chars)
    conversations = _renamed(conversations, conversation_id, id_prefix)
    memory = _reach_store(cfg, opener=lambda: _open_loaded(cfg))
    if _remote(memory):
        with memory:
            report = memory.ingest(conversations)
        console.print(
            f"ingested {len(report.conversations)} conversation(s) through {memory.client.url}:"
            f" {report.added_turns} new turn(s), {report.skipped_turns} already stored"
        )
        return
    with memory, progress_bar("embedding turns", unit="turns") as progress:
        report = memory.ingest(conversations, progress=progress)
        stats = memory.stats()
    console.print(
        f"ingested {len(report.conversations)} conversation(s): {report.added_turns} new turn(s),"
        f" {report.skipped_turns} already stored; store now holds {stats.turns} turns"
        f" and {stats.vectors} vectors"
    )


def _renamed(conversations: list[Any], conversation_id: str | None, id_prefix: str | None) -> list[Any]:
    """The conversations under ``--conversation-id`` or ``--id-prefix`` (ids without '#')."""
    from dataclasses import replace

    if conversation_id is None and not id_prefix:
        return conversations
    if conversation_id is not None and id_prefix:
        raise ConfigError("give --conversation-id or --id-prefix, not both")
    if conversation_id is not None and len(conversations) != 1:
        raise ConfigError(
            f"--conversation-id names one conversation but the input holds {len(conversations)};"
            " use --id-prefix for many"
        )
    renamed = []
    for conv in conversations:
        new_id = conversation_id if conversation_id is not None else f"{id_prefix}{conv.conversation_id}"
        if not new_id.strip() or "#" in new_id:
            raise ConfigError(f"conversation id {new_id!r} must be non-empty and without '#'")
        turns = tuple(replace(t, conversation_id=new_id) for t in conv.turns)
        renamed.append(replace(conv, conversation_id=new_id, turns=turns))
    return renamed


@app.command()
def stats(store: StoreOpt = None, as_json: JsonOpt = False) -> None:
    """How much the store holds."""
    with _reach_store(settings(store)) as memory:
        numbers = memory.stats().as_dict()
    if as_json:
        print(json.dumps(numbers))
        return
    table = Table("what", "count")
    for key, value in numbers.items():
        table.add_row(key, str(value))
    console.print(table)


@app.command()
def sessions(
    conversation: Annotated[str, typer.Argument(help="Conversation id.")],
    store: StoreOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """List a conversation's sessions."""
    with _reach_store(settings(store)) as memory:
        found = memory.sessions(conversation)
        known = memory.conversation_ids()
    if not found:
        raise _unknown_conversation(conversation, known)
    if as_json:
        rows = [
            {"index": s.index, "start": s.start.isoformat(), "end": s.end.isoformat(),
             "weekday": s.weekday, "turns": s.turn_count}
            for s in found
        ]
        print(json.dumps(rows))
        return
    table = Table("session", "start", "weekday", "turns", title=plain(f"conversation {conversation}"))
    for s in found:
        table.add_row(str(s.index), s.start.strftime("%Y-%m-%d %H:%M"), s.weekday, str(s.turn_count))
    console.print(table)


@app.command()
def show(
    conversation: Annotated[str, typer.Argument(help="Conversation id.")],
    session: Annotated[int | None, typer.Option("--session", help="Session index (1-based).")] = None,
    store: StoreOpt = None,
) -> None:
    """Print a conversation's turns (one session with --session)."""
    with _reach_store(settings(store)) as memory:
        turns = memory.turns(conversation, session)
        known = memory.conversation_ids()
        count = len(memory.sessions(conversation))
        event_times = memory.turn_times(conversation, [t.turn_id for t in turns]) if turns else {}
    if not turns:
        if conversation in known:
            raise ConvmemError(f"conversation {conversation} has sessions 1..{count}; pick one of those")
        raise _unknown_conversation(conversation, known)
    for turn in turns:
        console.print(
            Text.assemble(
                plain(f"{turn.turn_id:>6} s{turn.session_index} {turn.spoken_at:%a %Y-%m-%d %H:%M}", "dim"),
                " ", plain(turn.speaker, "bold"), ": ", plain(turn.text),
            ),
            highlight=False,
        )
        for event in event_times.get(turn.turn_id, []):
            console.print(plain(f"{'':>6}    event time: {event.expression!r} = {event.describe()} ({event.kind})", "dim"),
                          highlight=False)


@app.command()
def doctor(
    store: StoreOpt = None,
    check_only: Annotated[bool, typer.Option("--check", help="Report only; do not repair.")] = False,
) -> None:
    """Check that DuckDB and Chroma agree; rebuild the vector side from DuckDB if not."""
    memory = _reach_store(settings(store), repair=not check_only)
    with memory, progress_bar("re-embedding") as progress:
        shown = len(memory.notes)
        report = memory.doctor(repair=not check_only, progress=progress)
        for note in memory.notes[shown:]:  # found while checking
            err_console.print(plain(note, "yellow"), highlight=False, soft_wrap=True)
    status = "ok" if report.healthy else ("repaired" if report.repaired else "out of step")
    console.print(
        f"{status}: {report.turns} turns, {report.vectors} vectors,"
        f" {report.missing_vectors} turns without a vector, {report.orphan_vectors} vectors without a turn"
    )
    if not report.healthy and not report.repaired:
        raise typer.Exit(1)


@app.command()
def forget(
    conversation: Annotated[str, typer.Argument(help="Conversation id to delete.")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Delete without asking.")] = False,
    store: StoreOpt = None,
) -> None:
    """Delete a conversation from memory (both stores); asks first unless --yes."""
    with _reach_store(settings(store)) as memory:
        if memory.conversation(conversation) is None:
            raise _unknown_conversation(conversation, memory.conversation_ids())
        count = len(memory.turns(conversation))
        question = f"Forget conversation {conversation} ({count} turns) from both stores?"
        if not yes and not typer.confirm(question, default=False, err=True):
            err_console.print(f"kept conversation {conversation} (--yes deletes without asking)")
            raise typer.Exit(1)
        removed = memory.forget(conversation)
    console.print(plain(f"forgot conversation {conversation}: {removed} turns"))


def _demo_settings(store: Path | None) -> Settings:
    """The demo memory lives beside the default store unless --store says otherwise."""
    return settings(store or Settings.from_env().store.parent / "convmem-demo")


def _load_demo(memory: Any, cfg: Settings) -> None:
    from convmem.demo import demo_transcript

    memory.ingest(load_paths([demo_transcript()], "jsonl", cfg.session_gap_minutes))


@app.command()
def demo(
    store: StoreOpt = None,
    reset: Annotated[bool, typer.Option("--reset", help="Forget the demo conversation (and what chats added to it), then build it again.")] = False,
) -> None:
    """Build a small demo memory from the bundled conversation and show what it holds."""
    from convmem.demo import DEMO_CONVERSATION_ID

    cfg = _demo_settings(store)
    with _reach_store(cfg, create=True) as memory:
        if reset and memory.conversation(DEMO_CONVERSATION_ID) is not None:
            memory.forget(DEMO_CONVERSATION_ID)
        _load_demo(memory, cfg)
        found = memory.sessions(DEMO_CONVERSATION_ID)
        numbers = memory.stats().as_dict()
    console.print(plain(f"demo memory at {cfg.store}: {numbers}"))
    table = Table("session", "start", "weekday", "turns", title="conversation demo")
    for s in found:
        table.add_row(str(s.index), s.start.strftime("%Y-%m-%d %H:%M"), s.weekday, str(s.turn_count))
    console.print(table)


eval_app = typer.Typer(help="Measure retrievers on benchmark questions.", no_args_is_help=True)
app.add_typer(eval_app, name="eval")
RetrieverOpt = Annotated[
    str, typer.Option("--retriever", help="Comma-separated: agent, semantic@K, bm25@K, hybrid@K.")
]
OutOpt = Annotated[Path, typer.Option("--out", help="Folder for results.json and report.md.")]
LimitOpt = Annotated[int | None, typer.Option("--limit", min=1, help="At most N questions per type.")]
BaselineOpt = Annotated[Path | None, typer.Option("--baseline", help="An earlier results.json: add deltas and gate on it.")]
GateMetricOpt = Annotated[str, typer.Option("--gate-metric", help="Metric that may not drop: recall, precision, f1, f2 or recall@K.")]
GateToleranceOpt = Annotated[float, typer.Option("--gate-tolerance", help="Largest allowed drop (fraction, 0.01 = 1 point).")]


def _gate(baseline: Path | None, metric: str, tolerance: float, dataset: str) -> Any:
    """The regression gate, checked before any slow work (None without --baseline)."""
    from eval.gate import load_gate

    return None if baseline is None else load_gate(baseline, metric, tolerance, dataset)


@eval_app.command("tmd")
def eval_tmd(
    dataset: Annotated[Path, typer.Argument(help="A TemporalMemoryDataset checkout.")],
    out: OutOpt,
    retriever: RetrieverOpt = "agent,agent-v1,semantic@10,semantic@20,semantic@30,bm25@10",
    limit: LimitOpt = None,
    baseline: BaselineOpt = None,
    gate_metric: GateMetricOpt = "recall",
    gate_tolerance: GateToleranceOpt = 0.01,
) -> None:
    """Ingest a TemporalMemoryDataset into OUT/store and score retrievers on its questions."""
    from agent.registry import parse_retriever_list
    from convmem.compose import build_llm
    from eval.tmd import run_tmd

    names = parse_retriever_list(retriever)
    gate = _gate(baseline, gate_metric, gate_tolerance, "tmd")
    cfg = settings()
    with progress_bar("ingest, then questions") as progress:
        results = run_tmd(dataset, out, names, cfg, llm=build_llm(cfg), limit=limit, progress=progress,
                          ingest_progress=progress, gate=gate)
    _render_eval(results, out)


@eval_app.command("questions")
def eval_questions(
    file: Annotated[Path, typer.Argument(help="Questions, one JSON object per line.")],
    out: OutOpt,
    store: StoreOpt = None,
    retriever: RetrieverOpt = "agent,semantic@10,bm25@10",
    limit: LimitOpt = None,
    baseline: BaselineOpt = None,
    gate_metric: GateMetricOpt = "recall",
    gate_tolerance: GateToleranceOpt = 0.01,
) -> None:
    """Score retrievers on the project's question format (conversations already ingested)."""
    from agent.registry import parse_retriever_list
    from convmem.compose import build_llm
    from eval.questions import run_questions

    names = parse_retriever_list(retriever)
    gate = _gate(baseline, gate_metric, gate_tolerance, "questions")
    cfg = settings(store)
    _refuse_if_served(cfg, "eval questions")
    with progress_bar("questions", unit="questions") as progress:
        results = run_questions(file, out, names, cfg, llm=build_llm(cfg), limit=limit, progress=progress,
                                gate=gate)
    _render_eval(results, out)


@eval_app.command("locomo")
def eval_locomo(
    dataset: Annotated[Path, typer.Argument(help="LoCoMo conversations with qa: a folder of JSON files or locomo10.json.")],
    out: OutOpt,
    retriever: RetrieverOpt = "semantic@20,bm25@20,hybrid@20,agent-v1,agent",
    answers: Annotated[bool, typer.Option("--answers/--no-answers", help="Score answers when an LLM is configured.")] = True,
    context_budget: Annotated[int | None, typer.Option("--context-budget", min=1, help="Tokens the full-conversation baseline may use (default 32000).")] = None,
    baseline: BaselineOpt = None,
    gate_metric: GateMetricOpt = "recall",
    gate_tolerance: GateToleranceOpt = 0.01,
) -> None:
    """Ingest LoCoMo conversations into OUT/store; evidence recall@5/10/20 per category (and
    answer quality when an LLM is configured, cached in OUT/llm-cache)."""
    from agent.registry import parse_retriever_list
    from convmem.compose import build_llm
    from eval.locomo import run_locomo

    names = parse_retriever_list(retriever)
    gate = _gate(baseline, gate_metric, gate_tolerance, "locomo")
    cfg = settings()
    cfg = cfg.with_overrides(llm_cache_dir=cfg.llm_cache_dir or str(out / "llm-cache"))
    with progress_bar("ingest, then questions") as progress:
        results = run_locomo(dataset, out, names, cfg, llm=build_llm(cfg), progress=progress,
                             ingest_progress=progress, gate=gate, answers=answers, context_budget=context_budget)
    _render_eval(results, out)


@eval_app.command("recaps")
def eval_recaps(
    dataset: Annotated[Path, typer.Argument(help="LoCoMo conversations with session_K_observation (folder or files).")],
    out: OutOpt,
    qa: Annotated[bool, typer.Option("--qa/--no-qa", help="Also score the first line of every QA answer.")] = True,
) -> None:
    """Ask every session's recap in three phrasings; observation coverage@3/5/10, words and
    reaction-first lines of the baseline and current extractive answerers (no LLM needed)."""
    from eval.recaps import run_recaps
    from eval.recaps_report import recap_rows

    with progress_bar("ingest, then questions") as progress:
        results = run_recaps(dataset, out, settings(), progress=progress, qa=qa)
    header, rows = recap_rows(results)
    table = Table(*header, title="recaps: metrics in percent")
    for row in rows:
        table.add_row(*row)
    console.print(table)
    console.print(f"wrote {out / 'results.json'}, {out / 'report.md'} and {out / 'report.html'}")


def _render_eval(results: dict[str, Any], out: Path) -> None:
    from eval.gate import raise_if_failed
    from eval.report import summary_rows

    header, rows = summary_rows(results)
    table = Table(title=f"{results['dataset']}: metrics in percent")
    for position, name in enumerate(header):
        table.add_column(name, no_wrap=position < 2, justify="left" if position < 2 else "right")
    for row in rows:
        table.add_row(*row)
    console.print(table)
    console.print(plain(f"wrote {out / 'results.json'}, {out / 'report.md'} and {out / 'report.html'}"))
    comparison = results.get("comparison")
    if comparison and comparison["passed"]:
        console.print(comparison["message"], highlight=False)
    raise_if_failed(results)


bench_app = typer.Typer(help="Benchmarks that print numbers.", no_args_is_help=True)
app.add_typer(bench_app, name="bench")


@bench_app.command("scale")
def bench_scale(
    out: Annotated[Path, typer.Option("--out", help="Folder for scale.json, scale.md, scale.html and the transcript.")],
    turns: Annotated[str, typer.Option("--turns", help="Comma-separated memory sizes in turns.")] = "10000,100000,1000000",
    embedder: Annotated[str, typer.Option("--embedder", help="hash (default: measures the store), minilm, ...")] = "hash",
    questions: Annotated[int, typer.Option("--questions", min=1, help="Timed questions per kind per size.")] = 200,
    seed: SeedOpt = 0,
    keep_store: Annotated[bool, typer.Option("--keep-store", help="Keep the store in OUT/store (else a temp dir, removed).")] = False,
) -> None:
    """Ingest simulated conversations into one growing store; at each size record ingest
    throughput, disk size and time-only / time+content / content-only retrieval latency."""
    import shutil
    import tempfile

    from convmem.compose import build_embedder
    from dataset_gen.simulator import SimulationConfig, write_conversations
    from eval.scale import conversations_from_jsonl, run_scale
    from eval.scale_report import scale_markdown, write_scale_outputs

    try:
        sizes = sorted({int(t.replace("_", "")) for t in turns.split(",") if t.strip()})
    except ValueError:
        raise ConfigError(f"--turns {turns!r}: give comma-separated whole numbers, e.g. 10000,100000") from None
    if not sizes or sizes[0] < 1:
        raise ConfigError("--turns needs at least one positive size")
    cfg = settings(embedder=embedder)
    transcript = out / f"simulated-{sizes[-1]}-seed{seed}.jsonl"
    if not transcript.exists():
        with progress_bar("simulating") as progress:
            write_conversations(transcript, SimulationConfig(conversations=None, max_turns=sizes[-1], seed=seed),
                                None, progress)
    if keep_store and (out / "store").exists():
        raise ConfigError(f"{out / 'store'} exists; remove it or run without --keep-store")
    temp = None if keep_store else Path(tempfile.mkdtemp(prefix="scale-store-", dir=out))

    def write(partial: dict[str, Any]) -> None:  # after every size, so a long run can be read early
        partial["config"]["transcript"] = str(transcript)
        write_scale_outputs(out, partial)

    try:
        results = run_scale(conversations_from_jsonl([transcript], cfg.session_gap_minutes),
                            (temp or out) / "store", cfg, build_embedder(cfg), sizes, questions, seed,
                            progress=lambda message: err_console.print(f"[dim]{message}[/dim]", highlight=False),
                            on_point=write)
    finally:
        if temp is not None:
            shutil.rmtree(temp, ignore_errors=True)
    write(results)
    print(scale_markdown(results))
    console.print(plain(f"wrote {out / 'scale.json'}, {out / 'scale.md'} and {out / 'scale.html'}"))


generate_app = typer.Typer(help="Generate conversations and evaluation questions.", no_args_is_help=True)
app.add_typer(generate_app, name="generate")
SeedOpt = Annotated[int, typer.Option("--seed", help="Same seed, byte-identical output.")]


def _generation_model(cfg: Settings) -> Any:
    """The configured LLM as dataset_gen's text model, or None (templates)."""
    from convmem.compose import build_llm
    from dataset_gen.llm import ChatClientModel

    client = build_llm(cfg)
    return None if client is None else ChatClientModel(client)


@generate_app.command("conversations")
def generate_conversations(
    out: Annotated[Path, typer.Option("--out", help="JSONL transcript to write.")],
    sessions: Annotated[int, typer.Option("--sessions", min=1, help="Sessions per conversation.")] = 30,
    conversations: Annotated[int | None, typer.Option("--conversations", min=1, help="Default 1, or as many as --turns needs.")] = None,
    turns: Annotated[int | None, typer.Option("--turns", min=1, help="Stop after this many turns in all.")] = None,
    seed: SeedOpt = 0,
) -> None:
    """Simulate long two-person conversations (templates, or the configured LLM)."""
    from dataset_gen.simulator import SimulationConfig, write_conversations

    config = SimulationConfig(
        sessions=sessions, conversations=conversations or (None if turns else 1), seed=seed, max_turns=turns
    )
    with progress_bar("simulating") as progress:
        stats = write_conversations(out, config, _generation_model(settings()), progress)
    console.print(
        f"wrote {out}: {stats.conversations} conversation(s), {stats.sessions} sessions, {stats.turns} turns"
    )


@generate_app.command("questions")
def generate_questions_command(
    out: Annotated[Path, typer.Option("--out", help="JSONL file, or the TestData folder for --format tmd.")],
    conversation: Annotated[list[str] | None, typer.Option("--conversation", help="Conversation id (repeatable; default all).")] = None,
    families: Annotated[list[str] | None, typer.Option("--families", help="Families, comma-separated or repeated (default all).")] = None,
    per_family: Annotated[int | None, typer.Option("--per-family", min=1, help="At most N per family per conversation.")] = None,
    ambiguous: Annotated[bool, typer.Option("--ambiguous", help="Also write the dialogue version of each time question.")] = False,
    fmt: Annotated[str, typer.Option("--format", help="jsonl or tmd.")] = "jsonl",
    anchoring: Annotated[str, typer.Option("--anchoring", help="calendar (asked after the last session) or paper.")] = "calendar",
    asked_at: Annotated[str | None, typer.Option("--asked-at", help="ISO time the questions are asked (default: the anchoring's).")] = None,
    paraphrases: Annotated[int, typer.Option("--paraphrases", min=1, help="Phrasings per item.")] = 1,
    seed: SeedOpt = 0,
    store: StoreOpt = None,
) -> None:
    """Generate questions whose gold turns are computed from the store's tables."""
    from convmem.errors import ConfigError
    from convmem.timeutil import parse_iso
    from dataset_gen.anchoring import PRESETS
    from dataset_gen.families import ALL_FAMILIES
    from dataset_gen.generator import GenerationConfig
    from dataset_gen.output import write_question_set

    if anchoring not in PRESETS:
        raise ConfigError(f"unknown anchoring {anchoring!r}; use one of {', '.join(PRESETS)}")
    try:
        moment = parse_iso(asked_at) if asked_at else None
    except ValueError as exc:
        raise ConfigError(f"--asked-at: {exc}") from None
    chosen = tuple(f.strip() for value in families or [] for f in value.split(",") if f.strip())
    cfg = settings(store)
    config = GenerationConfig(
        families=chosen or ALL_FAMILIES, per_family=per_family, ambiguous=ambiguous,
        paraphrases=paraphrases, seed=seed, anchoring=PRESETS[anchoring], asked_at=moment,
    )
    memory = _reach_store(cfg)
    if _remote(memory):
        memory.close()
        _refuse_if_served(cfg, "generate questions")
    with memory, progress_bar("conversations") as progress:
        count = write_question_set(memory, out, fmt, config, conversation, _generation_model(cfg), progress)
    console.print(plain(f"wrote {count} {'items' if fmt == 'tmd' else 'questions'} to {out}"))


@generate_app.command("fidelity")
def generate_fidelity(
    dataset: Annotated[Path, typer.Argument(help="A TemporalMemoryDataset checkout (ConversationData/, TestData/).")],
    as_json: JsonOpt = False,
) -> None:
    """Agreement of the paper-anchored generator with the dataset's gold, per family."""
    import tempfile

    from convmem.errors import NotFoundError
    from dataset_gen.fidelity import check_fidelity_on_dataset

    missing = [p for p in (dataset / "ConversationData", dataset / "TestData") if not p.is_dir()]
    if missing:
        what = "no such folder" if not dataset.is_dir() else f"no {' or '.join(p.name + '/' for p in missing)} in it"
        raise NotFoundError(
            f"{dataset}: {what}; give a TemporalMemoryDataset checkout (with ConversationData/ and TestData/)"
        )
    with tempfile.TemporaryDirectory(prefix="convmem-fidelity-") as work:
        report = check_fidelity_on_dataset(dataset, Path(work) / "store")
    rows = {f: {"items": a.items, "agree": a.agree, "rate": round(a.rate, 4)} for f, a in sorted(report.families.items())}
    if as_json:
        print(json.dumps({"families": rows, "disagreements": len(report.disagreements)}))
        return
    table = Table("family", "dev items", "agree", "agreement")
    for family, row in rows.items():
        table.add_row(family, str(row["items"]), str(row["agree"]), f"{100 * row['rate']:.1f}%")
    console.print(table)
    for d in report.disagreements:
        console.print(f"[dim]{d.conversation_id} {d.category}/{d.family}:[/dim] {d.question[:70]!r}", highlight=False)


@app.command()
def retrieve(
    question: Annotated[str, typer.Argument(help="The question to look up in memory.")],
    conversation: Annotated[str, typer.Option("--conversation", "-c", help="Conversation id.")],
    now: Annotated[str | None, typer.Option("--now", help="When it is asked (ISO 8601); default: now.")] = None,
    explain: Annotated[bool, typer.Option("--explain", help="Show the chain, the SQL and the rows.")] = False,
    retriever: Annotated[str, typer.Option("--retriever", help="agent, semantic@K, bm25@K or hybrid@K.")] = "agent",
    planner: Annotated[str | None, typer.Option("--planner", help="rules, llm or auto.")] = None,
    store: StoreOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Find the turns that answer a question (no answer is written)."""
    from agent.registry import build_retriever
    from convmem.compose import build_llm
    from convmem.retrieval.base import Query
    from convmem.timeutil import parse_iso

    cfg = settings(store, planner=planner)
    try:
        asked_at = parse_iso(now) if now else datetime.now()
    except ValueError as exc:
        raise ConfigError(f"--now: {exc}") from None
    with _reach_store(cfg) as memory:
        if _remote(memory):
            body = memory.client.retrieve(conversation, question, asked_at.isoformat(), retriever=retriever)
            print(json.dumps({k: v for k, v in body.items() if k != "turns"}) if as_json else _turn_lines(body["turns"]))
            return
        if memory.conversation(conversation) is None:
            raise _unknown_conversation(conversation, memory.conversation_ids())
        found = build_retriever(retriever, memory, cfg, llm=build_llm(cfg)).retrieve(
            Query(conversation, question, asked_at)
        )
        turns = {t.turn_id: t for t in memory.tables.turns_by_ids(conversation, found.turn_ids)}
        event_times = memory.turn_times(conversation, found.turn_ids) if found.turn_ids else {}
    if as_json:
        print(json.dumps({
            "turn_ids": found.turn_ids, "scores": found.scores, "route": found.route,
            "rewritten_query": found.rewritten_query, "note": found.note,
            "plan": found.plan.to_dict() if found.plan is not None else None,
            "sql": found.sql, "params": [str(p) for p in found.params],
        }))
        return
    if explain:
        console.print(f"[bold]route[/bold]: {found.route or 'baseline'}")
        if found.rewritten_query and found.rewritten_query != question:
            console.print(labelled("rewritten", found.rewritten_query), highlight=False)
        if found.plan is not None:
            console.print(labelled("chain", " -> ".join(found.plan.describe())), highlight=False)
        if found.sql:
            console.print(labelled("sql", "\n" + found.sql), highlight=False)
            console.print(labelled("params", [str(p) for p in found.params]), highlight=False)
        for note in found.notes:
            console.print(plain(note, "dim"), highlight=False)
        for turn_id in found.turn_ids:
            for event in event_times.get(turn_id, []):
                console.print(plain(f"event time of {turn_id}: {event.expression!r} = {event.describe()}", "dim"),
                              highlight=False)
    if found.note:
        console.print(plain(found.note, "yellow"), highlight=False)
    table = Table("turn", "session", "when", "speaker", "text", "score", title=f"{len(found.turn_ids)} turn(s)")
    scores: list[float | None] = list(found.scores) or [None] * len(found.turn_ids)
    for turn_id, score in zip(found.turn_ids, scores, strict=False):
        turn = turns.get(turn_id)
        if turn is None:
            continue
        table.add_row(plain(turn_id), str(turn.session_index), f"{turn.spoken_at:%a %Y-%m-%d %H:%M}",
                      plain(turn.speaker), plain(turn.text[:120]), "" if score is None else f"{score:.2f}")
    console.print(table)


ConversationOpt = Annotated[str, typer.Option("--conversation", "-c", help="Conversation id (default: chat).")]
NowOpt = Annotated[str | None, typer.Option("--now", help="The time it is (ISO 8601); default: now.")]


def _write(text: str) -> None:
    """Plain text to stdout as it comes (answers stream), never read as rich markup, with
    control characters shown rather than obeyed."""
    sys.stdout.write(visible(text))
    sys.stdout.flush()


def _parse_now(now: str | None) -> datetime | None:
    from convmem.timeutil import parse_iso

    try:
        return parse_iso(now) if now else None
    except ValueError as exc:
        raise ConfigError(f"--now: {exc}") from None


@app.command()
def chat(
    conversation: ConversationOpt = "chat",
    speaker: Annotated[str, typer.Option("--as", help="Your speaker name in memory.")] = "user",
    now: Annotated[str | None, typer.Option("--now", help="Start the clock here (ISO 8601); turn times advance from it.")] = None,
    demo_memory: Annotated[bool, typer.Option("--demo", help="Chat as Alex in a new copy of the bundled demo memory.")] = False,
    keep: Annotated[bool, typer.Option("--keep", help="With --demo: keep the demo memory between chats.")] = False,
    no_serve: Annotated[bool, typer.Option("--no-serve", help="Do not serve the store to other commands; open it only while a line is handled.")] = False,
    store: StoreOpt = None,
) -> None:
    """Chat with memory: every turn is stored at once, questions are answered from memory."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="convmem-demo-") as fresh:
        fresh_demo = demo_memory and not keep and store is None
        if fresh_demo:
            _write("A new copy of the demo memory (--keep keeps one between chats).\n")
        history = _demo_settings(None).store.with_name("convmem-demo-history") if fresh_demo else None
        _chat(conversation, speaker, now, demo_memory, Path(fresh) / "store" if fresh_demo else store, history,
              serve=not no_serve)


def _line_editing(history: Path) -> Callable[[], None]:
    """Line editing and a history kept in ``history`` (stdlib readline) when the input is a
    terminal; returns what saves the history at the end."""
    if not sys.stdin.isatty():
        return lambda: None
    try:
        import readline
    except ImportError:  # a Python built without it: plain input still works
        return lambda: None
    readline.set_history_length(1000)
    with suppress(OSError):
        readline.read_history_file(history)

    def save() -> None:
        with suppress(OSError):
            history.parent.mkdir(parents=True, exist_ok=True)
            readline.write_history_file(history)

    return save


def _chat(
    conversation: str, speaker: str, now: str | None, demo_memory: bool, store: Path | None,
    history: Path | None = None, serve: bool = True,
) -> None:
    from agent.chat import ChatSession, session_clock
    from convmem.compose import build_llm
    from convmem.demo import DEMO_CONVERSATION_ID, DEMO_SPEAKER
    from convmem.storage.memory import DUCKDB_FILE

    cfg = _demo_settings(store) if demo_memory else settings(store)
    if demo_memory:
        conversation, speaker = DEMO_CONVERSATION_ID, DEMO_SPEAKER if speaker == "user" else speaker
        with _reach_store(cfg, create=True) as memory:
            _load_demo(memory, cfg)
    start = _parse_now(now)
    missing = not (cfg.store / DUCKDB_FILE).exists()
    try:
        llm = build_llm(cfg)
    except ConvmemError as exc:
        _write(f"LLM not usable ({exc.message}); answering from memory without it.\n")
        llm = None
    with ExitStack() as stack:
        access, lock = _chat_store(cfg, llm, serve, stack)
        with lock:  # a serving chat's store is shared with the requests from the start
            session = ChatSession(access, cfg, llm, conversation_id=conversation, speaker=speaker,
                                  clock=session_clock(start), output=_write)

        def close() -> None:  # lines still waiting for a busy store: stored, or kept
            with lock:
                session.close()

        stack.callback(close)
        if missing:
            _write(f"No memory at {cfg.store} yet: created one.\n")
        if session.replayed:
            _write(f"Stored {session.replayed} line(s) an earlier chat could not store.\n")
        if session.replay_error:
            _write(f"Lines an earlier chat could not store are still kept in {session.journal.path}"
                   f" ({session.replay_error}).\n")
        session.opening()
        stack.callback(_line_editing(history or cfg.store / CHAT_HISTORY))
        _chat_loop(session, lock)


def _chat_store(cfg: Settings, llm: Any, serve: bool, stack: ExitStack) -> tuple[Any, Any]:
    """The chat's store and the lock its lines are handled under: held open and served to
    other commands (default), or, with --no-serve or when serving fails, opened only while
    a line is handled (``agent.store_access``)."""
    from agent.store_access import StoreOnDemand

    if serve:
        memory = _reach_store(cfg, opener=lambda: _open_loaded(cfg))
        if _remote(memory):
            url = memory.client.url
            memory.close()
            raise ConvmemError(f"a convmem server at {url} holds {cfg.store}; stop it first, or"
                               " talk to memory through its API (convmem ask works)")
        from service.background import serve_held

        try:
            return memory, serve_held(memory, cfg, llm, stack)  # other commands go through it
        except ConvmemError as exc:
            _write(f"Not serving the store to other commands ({exc.message}); it is opened only"
                   " while a line is handled.\n")
    else:
        from convmem.compose import build_embedder

        with status_line(f"Loading the embedding model ({cfg.embedder})..."):
            build_embedder(cfg).embed(["warm up"])  # kept for the chat's life; the store is not

    def waiting(message: str) -> None:
        _write(f"(waiting up to {cfg.store_wait_s:g} s for the store: {message})\n")

    def notes(found: list[str]) -> None:  # how the store opened (read-only...), said once
        for note in found:
            err_console.print(plain(note, "yellow"), highlight=False, soft_wrap=True)

    return StoreOnDemand(lambda: _open_store(cfg, create=True), cfg.store_wait_s, waiting, notes), nullcontext()


def _chat_loop(session: ChatSession, lock: Any) -> None:
    """Read lines until /quit or end of input; each is handled under the service's lock."""
    while True:
        try:
            line = input("you> ")
        except (EOFError, KeyboardInterrupt):
            _write("\n")
            break
        with lock:
            if not session.handle(line):
                break


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="The question to answer from memory.")],
    conversation: ConversationOpt = "chat",
    now: NowOpt = None,
    context: Annotated[Path | None, typer.Option("--context", help="JSON list of {speaker, text}: the dialogue before the question.")] = None,
    store: StoreOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print answer, rewritten_query, plan, turn_ids, latency_ms as JSON.")] = False,
) -> None:
    """Answer one question from memory (with the LLM when one is configured)."""
    from agent.chat import read_dialogue_file
    from agent.pipeline import Agent
    from convmem.compose import build_llm
    from convmem.errors import EmptyMemoryError
    from convmem.retrieval.base import Query

    cfg = settings(store)
    asked_at = _parse_now(now) or datetime.now()
    dialogue = read_dialogue_file(context) if context is not None else ()
    with _reach_store(cfg) as memory:
        if _remote(memory):
            body = memory.client.ask(conversation, question, asked_at.isoformat(), dialogue)
            print(json.dumps({k: v for k, v in body.items() if k != "llm_error"}) if as_json else body["answer"])
            if body.get("llm_error"):
                from convmem.errors import LLMError

                raise LLMError(f"{body['llm_error']} (the answer comes from memory without the LLM)")
            return
        known = memory.conversation_ids()
        if not known:
            raise EmptyMemoryError(f"memory at {cfg.store} is empty; run `convmem ingest PATH` first")
        if conversation not in known:
            raise _unknown_conversation(conversation, known)
        agent = Agent(memory, cfg, build_llm(cfg))
        result = agent.ask(Query(conversation, question, asked_at, dialogue),
                           on_text=None if as_json else _write)
    if as_json:
        print(json.dumps(result.as_dict()))
    else:
        _write("\n")
    if result.llm_error is not None:
        error = result.llm_error
        raise type(error)(f"{error.message} (the answer comes from memory without the LLM)")


def _unknown_conversation(conversation: str, known: list[str]) -> ConvmemError:
    hint = f"known: {', '.join(known[:10])}" if known else "the store is empty; run `convmem ingest` first"
    from convmem.errors import NotFoundError

    return NotFoundError(f"no conversation {conversation!r} in the store ({hint})")


def _reach_store(
    cfg: Settings, create: bool = False, repair: bool = False, opener: Callable[[], MemoryStore] | None = None
) -> Any:
    """The store of ``cfg``: through the server that holds it (a ``RemoteStore``: a
    `convmem serve`, or a chat serving it), else opened here; while another process holds
    it for a moment (a chat without a server, storing a turn), both are tried again for up
    to ``store_wait_s`` seconds.  Either way, a context manager that closes it."""
    from service.remote_store import reach

    def waiting(message: str) -> None:
        err_console.print(plain(f"waiting up to {cfg.store_wait_s:g} s: {message}", "dim"), highlight=False,
                          soft_wrap=True)

    return reach(cfg, opener or (lambda: open_store(cfg, create, repair)), waiting)


def _remote(memory: Any) -> bool:
    from service.remote_store import RemoteStore

    return isinstance(memory, RemoteStore)


def _refuse_if_served(cfg: Settings, command: str) -> None:
    from service.remote_store import refuse_if_served

    refuse_if_served(cfg, command)


def _turn_lines(turns: list[dict[str, Any]]) -> str:
    return "\n".join(f"{t['turn_id']:>6} s{t['session']} {t['timestamp'][:16]} {t['speaker']}: {t['text'][:120]}"
                     for t in turns)


@app.command()
def serve(
    host: Annotated[str, typer.Option("--host", help="Address to listen on (non-loopback needs --keys).")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=0, max=65535, help="Port (0: any free one).")] = 8765,
    keys: Annotated[Path | None, typer.Option("--keys", help='API keys file: {"KEY": ["conversation id" or "*"]}.')] = None,
    store: StoreOpt = None,
) -> None:
    """Serve the store over HTTP (OpenAPI at /docs): the one process that writes it."""
    from service.server import serve as run_server

    cfg = settings(store, service_keys=str(keys) if keys is not None else None)
    _refuse_if_served(cfg, "serve")
    run_server(cfg, host, port, on_ready=lambda url: err_console.print(f"convmem serving {cfg.store} at {url}"))


@app.command()
def mcp(
    transport: Annotated[str, typer.Option("--transport", help="stdio (an MCP client starts this) or http (streamable HTTP).")] = "stdio",
    host: Annotated[str, typer.Option("--host", help="Address for --transport http (non-loopback needs --keys).")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=0, max=65535, help="Port for --transport http.")] = 8766,
    keys: Annotated[Path | None, typer.Option("--keys", help='API keys file: {"KEY": ["conversation id" or "*"]}.')] = None,
    store: StoreOpt = None,
) -> None:
    """Serve memory as MCP tools: remember, recall, ask, list_sessions, list_conversations, forget."""
    from service.mcp_main import run_mcp

    cfg = settings(store, service_keys=str(keys) if keys is not None else None)
    run_mcp(cfg, transport, host, port)


def main(argv: list[str] | None = None) -> None:
    """Entry point: ConvmemErrors become one red line and their exit code."""
    try:
        code = app(args=argv, standalone_mode=False)
        if isinstance(code, int) and code:
            sys.exit(code)
    except ConvmemError as exc:
        err_console.print(Text.assemble(("error:", "red"), " ", plain(exc.message)), highlight=False, soft_wrap=True)
        sys.exit(exc.exit_code)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        err_console.print("[red]aborted[/red]")
        sys.exit(130)
    except Exception as exc:  # usage errors (click's, or the copy of click inside typer)
        show, exit_code = getattr(exc, "show", None), getattr(exc, "exit_code", None)
        if callable(show) and isinstance(exit_code, int):
            show()
            sys.exit(exit_code)
        raise


if __name__ == "__main__":
    main()
