"""The question generator: targets from the families, gold from DuckDB, words from templates.

For each conversation and family a ``random.Random`` is seeded from (seed, conversation,
family), so a seed fixes the output and adding a family leaves the others unchanged.
Items stream out in a fixed order (conversations sorted, families in canonical order).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from convmem.errors import ConfigError
from convmem.storage.memory import MemoryStore
from convmem.types import DialogueTurn, Question
from dataset_gen import dialogues
from dataset_gen.anchoring import CALENDAR, Anchoring, Timeline, load_timeline, queries
from dataset_gen.content import content_phrasings, content_targets
from dataset_gen.content_llm import LLMContentStats, llm_content_question
from dataset_gen.families import ALL_FAMILIES, CONTENT_FAMILY, Target, time_targets
from dataset_gen.llm import TextModel
from dataset_gen.scope import GoldQueries
from dataset_gen.templates import phrasings, references

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class GenerationConfig:
    families: tuple[str, ...] = ALL_FAMILIES
    per_family: int | None = None  # per conversation; None: every target
    ambiguous: bool = False  # also write the dialogue version of each time question
    paraphrases: int = 1  # phrasings (or dialogues) per item
    seed: int = 0
    anchoring: Anchoring = CALENDAR
    asked_at: datetime | None = None  # None: the anchoring's rule
    content_per_session: int = 2

    def __post_init__(self) -> None:
        unknown = [f for f in self.families if f not in ALL_FAMILIES]
        if unknown:
            raise ConfigError(
                f"unknown question famil{'ies' if len(unknown) > 1 else 'y'} {', '.join(unknown)};"
                f" choose from {', '.join(ALL_FAMILIES)}"
            )
        if self.paraphrases < 1:
            raise ConfigError("paraphrases must be at least 1")


@dataclass(frozen=True)
class GeneratedItem:
    """One target asked one way (direct or ambiguous), in ``paraphrases`` variants.

    Each variant is a dialogue whose last turn is the question (a direct question is a
    one-turn dialogue)."""

    conversation_id: str
    family: str
    category: str  # time | time_content
    ambiguous: bool
    index: int
    params: dict[str, Any] = field(hash=False)
    asked_at: datetime
    relevant_turn_ids: tuple[str, ...]
    variants: tuple[tuple[DialogueTurn, ...], ...]

    @property
    def item_id(self) -> str:
        return f"{self.conversation_id}:{self.family}:{self.index:03d}" + (
            ":amb" if self.ambiguous else ""
        )

    def questions(self) -> list[Question]:
        out = []
        for number, variant in enumerate(self.variants):
            suffix = f":{number}" if len(self.variants) > 1 else ""
            out.append(
                Question(
                    id=self.item_id + suffix,
                    conversation_id=self.conversation_id,
                    asked_at=self.asked_at,
                    question=variant[-1].text,
                    category=self.category,
                    subtype=self.family,
                    relevant_turn_ids=self.relevant_turn_ids,
                    context=variant[:-1],
                    ambiguous=self.ambiguous,
                )
            )
        return out


def _sample(items: list[Any], limit: int | None, rng: random.Random) -> list[Any]:
    if limit is None or len(items) <= limit:
        return items
    keep = sorted(rng.sample(range(len(items)), limit))
    return [items[i] for i in keep]


def _people(tl: Timeline) -> tuple[str, str]:
    speakers = list(tl.speakers) or ["User"]
    return speakers[0], speakers[1] if len(speakers) > 1 else "Assistant"


def _time_items(
    family: str, tl: Timeline, q: GoldQueries, config: GenerationConfig, rng: random.Random
) -> Iterator[GeneratedItem]:
    targets: list[Target] = time_targets(family, tl, config.anchoring, q, rng)
    for index, target in enumerate(_sample(targets, config.per_family, rng)):
        gold = q.turn_ids(target.scope)
        if not gold:
            continue
        asker, partner = _people(tl)
        if target.params.get("speaker") == asker:  # one asks about what the other said
            asker, partner = partner, asker
        texts = phrasings(family, target.params, rng, config.paraphrases)
        direct = tuple((DialogueTurn(asker, text),) for text in texts)
        yield GeneratedItem(
            tl.conversation_id,
            family,
            "time",
            False,
            index,
            target.params,
            tl.asked_at,
            gold,
            direct,
        )
        if config.ambiguous:
            talks = dialogues.dialogues(
                family,
                references(family, target.params),
                rng,
                config.paraphrases,
                asker,
                partner,
                speaker=target.params.get("speaker", ""),
                edge=target.params.get("edge", ""),
            )
            yield GeneratedItem(
                tl.conversation_id,
                family,
                "time",
                True,
                index,
                target.params,
                tl.asked_at,
                gold,
                tuple(talks),
            )


def _content_items(
    tl: Timeline,
    q: GoldQueries,
    config: GenerationConfig,
    rng: random.Random,
    model: TextModel | None,
    stats: LLMContentStats,
) -> Iterator[GeneratedItem]:
    asker, _ = _people(tl)
    kinds = ("date", "session") if model is not None else ("date", "session", "month")
    targets = content_targets(q, tl, rng, config.content_per_session, kinds)
    for index, target in enumerate(_sample(targets, config.per_family, rng)):
        if model is None:
            texts = content_phrasings(target, rng, config.paraphrases)
        else:
            written = llm_content_question(model, q, target, rng, stats)
            if written is None:
                continue
            texts = [written]
        params = {
            **target.params,
            "kind": target.kind,
            "phrase": target.phrase,
            "speaker": target.speaker,
            "turn_id": target.turn_id,
        }
        yield GeneratedItem(
            tl.conversation_id,
            CONTENT_FAMILY,
            "time_content",
            False,
            index,
            params,
            tl.asked_at,
            target.gold,
            tuple((DialogueTurn(asker, t),) for t in texts),
        )


def generate_items(
    store: MemoryStore,
    conversation_ids: Iterable[str] | None = None,
    config: GenerationConfig | None = None,
    model: TextModel | None = None,
    progress: Progress | None = None,
    stats: LLMContentStats | None = None,
) -> Iterator[GeneratedItem]:
    """Every generated item for the conversations (default: all in the store)."""
    config = config or GenerationConfig()
    stats = stats if stats is not None else LLMContentStats()
    con = store.tables.con
    ids = sorted(conversation_ids) if conversation_ids is not None else store.conversation_ids()
    for done, conversation_id in enumerate(ids):
        tl = load_timeline(con, conversation_id, config.anchoring, config.asked_at)
        with queries(con, tl) as q:
            for family in ALL_FAMILIES:
                if family not in config.families:
                    continue
                rng = random.Random(f"{config.seed}:{conversation_id}:{family}")
                if family == CONTENT_FAMILY:
                    yield from _content_items(tl, q, config, rng, model, stats)
                else:
                    yield from _time_items(family, tl, q, config, rng)
        if progress:
            progress(done + 1, len(ids))


def generate_questions(
    store: MemoryStore,
    conversation_ids: Iterable[str] | None = None,
    config: GenerationConfig | None = None,
    model: TextModel | None = None,
    progress: Progress | None = None,
) -> Iterator[Question]:
    """The same items as flat questions in the project's format."""
    for item in generate_items(store, conversation_ids, config, model, progress):
        yield from item.questions()
