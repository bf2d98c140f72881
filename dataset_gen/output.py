"""Writing a generated question set in either layout, streaming where the layout allows."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

from convmem.errors import ConfigError
from convmem.questions import write_questions
from convmem.storage.memory import MemoryStore
from convmem.types import Question
from dataset_gen.generator import GeneratedItem, GenerationConfig, Progress, generate_items
from dataset_gen.llm import TextModel
from dataset_gen.tmd import write_tmd

FORMATS = ("jsonl", "tmd")


def _flat(items: Iterable[GeneratedItem]) -> Iterator[Question]:
    for item in items:
        yield from item.questions()


def write_question_set(
    store: MemoryStore,
    out: Path,
    fmt: str = "jsonl",
    config: GenerationConfig | None = None,
    conversation_ids: Iterable[str] | None = None,
    model: TextModel | None = None,
    progress: Progress | None = None,
) -> int:
    """Generate and write; returns the number of questions (jsonl) or items (tmd).

    ``jsonl``: ``out`` is a file in the project's question format.  ``tmd``: ``out`` is a
    directory laid out like the TemporalMemoryDataset's ``TestData``."""
    if fmt not in FORMATS:
        raise ConfigError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    items = generate_items(store, conversation_ids, config, model, progress)
    if fmt == "tmd":
        return write_tmd(out, items)
    return write_questions(out, _flat(items))
