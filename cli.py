"""The ``convmem`` command line: parse, build through the composition root, call one
library function, render with rich.  No logic worth testing lives only here."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from convmem.compose import open_store
from convmem.config import Settings
from convmem.errors import ConvmemError
from convmem.storage.loaders import FORMATS, load_paths

app = typer.Typer(
    name="convmem",
    help="Long-term memory for conversational agents that gets time and context right.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()
err_console = Console(stderr=True)

StoreOpt = Annotated[
    Path | None,
    typer.Option("--store", help="Store directory (default: $CONVMEM_STORE or ~/.local/share/convmem)."),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]

T = TypeVar("T")


def settings(store: Path | None = None, **overrides: Any) -> Settings:
    return Settings.from_env(store=store, **overrides)


@contextmanager
def progress_bar(label: str, enabled: bool = True) -> Iterator[Callable[[int, int], None]]:
    """A rich progress bar as a ``(done, total)`` callback; silent for short jobs."""
    if not enabled or not sys.stderr.isatty():
        yield lambda done, total: None
        return
    with Progress(
        TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
        console=err_console, transient=True,
    ) as bar:
        task = bar.add_task(label, total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Files or directories to ingest.")],
    fmt: Annotated[str, typer.Option("--format", help=f"One of {', '.join(FORMATS)}.")] = "auto",
    store: StoreOpt = None,
) -> None:
    """Add conversations to memory (atomic and idempotent)."""
    cfg = settings(store)
    conversations = load_paths(paths, fmt, cfg.session_gap_minutes, cfg.words_per_minute)
    with open_store(cfg, create=True) as memory, progress_bar("embedding") as progress:
        report = memory.ingest(conversations, progress=progress)
        stats = memory.stats()
    console.print(
        f"ingested {len(report.conversations)} conversation(s): {report.added_turns} new turn(s),"
        f" {report.skipped_turns} already stored; store now holds {stats.turns} turns"
        f" and {stats.vectors} vectors"
    )


@app.command()
def stats(store: StoreOpt = None, as_json: JsonOpt = False) -> None:
    """How much the store holds."""
    with open_store(settings(store)) as memory:
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
    with open_store(settings(store)) as memory:
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
    table = Table("session", "start", "weekday", "turns", title=f"conversation {conversation}")
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
    with open_store(settings(store)) as memory:
        turns = memory.turns(conversation, session)
        known = memory.conversation_ids()
        count = len(memory.sessions(conversation))
    if not turns:
        if conversation in known:
            raise ConvmemError(f"conversation {conversation} has sessions 1..{count}; pick one of those")
        raise _unknown_conversation(conversation, known)
    for turn in turns:
        console.print(
            f"[dim]{turn.turn_id:>6} s{turn.session_index} {turn.spoken_at:%a %Y-%m-%d %H:%M}[/dim]"
            f" [bold]{turn.speaker}[/bold]: {turn.text}",
            highlight=False,
        )


@app.command()
def doctor(
    store: StoreOpt = None,
    check_only: Annotated[bool, typer.Option("--check", help="Report only; do not repair.")] = False,
) -> None:
    """Check that DuckDB and Chroma agree; rebuild the vector side from DuckDB if not."""
    with open_store(settings(store)) as memory, progress_bar("re-embedding") as progress:
        report = memory.doctor(repair=not check_only, progress=progress)
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
    store: StoreOpt = None,
) -> None:
    """Delete a conversation from memory (both stores)."""
    with open_store(settings(store)) as memory:
        if memory.conversation(conversation) is None:
            raise _unknown_conversation(conversation, memory.conversation_ids())
        removed = memory.forget(conversation)
    console.print(f"forgot conversation {conversation}: {removed} turns")


@app.command()
def demo(store: StoreOpt = None) -> None:
    """Build a small demo memory from the bundled conversation and show what it holds."""
    from convmem.demo import DEMO_CONVERSATION_ID, demo_transcript

    cfg = settings(store or Settings.from_env().store.parent / "convmem-demo")
    conversations = load_paths([demo_transcript()], "jsonl", cfg.session_gap_minutes)
    with open_store(cfg, create=True) as memory:
        memory.ingest(conversations)
        found = memory.sessions(DEMO_CONVERSATION_ID)
        numbers = memory.stats().as_dict()
    console.print(f"demo memory at {cfg.store}: {numbers}")
    table = Table("session", "start", "weekday", "turns", title="conversation demo")
    for s in found:
        table.add_row(str(s.index), s.start.strftime("%Y-%m-%d %H:%M"), s.weekday, str(s.turn_count))
    console.print(table)


def _unknown_conversation(conversation: str, known: list[str]) -> ConvmemError:
    hint = f"known: {', '.join(known[:10])}" if known else "the store is empty; run `convmem ingest` first"
    from convmem.errors import NotFoundError

    return NotFoundError(f"no conversation {conversation!r} in the store ({hint})")


def main(argv: list[str] | None = None) -> None:
    """Entry point: ConvmemErrors become one red line and their exit code."""
    try:
        code = app(args=argv, standalone_mode=False)
        if isinstance(code, int) and code:
            sys.exit(code)
    except ConvmemError as exc:
        err_console.print(f"[red]error:[/red] {exc.message}", highlight=False, soft_wrap=True)
        sys.exit(exc.exit_code)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        err_console.print("[red]aborted[/red]")
        sys.exit(130)
    except Exception as exc:  # click usage errors
        import click

        if isinstance(exc, click.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        raise


if __name__ == "__main__":
    main()
