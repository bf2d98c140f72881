"""Conversations as a stream of JSONL transcript lines, written straight to disk.

One ``random.Random`` per conversation, seeded from (seed, conversation number), so a seed
gives byte-identical files and conversation N is the same whatever the count.  Nothing but
the current session is held in memory, so the size is limited only by the disk.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from convmem.errors import ConfigError
from dataset_gen.llm import TextModel
from dataset_gen.simulator.events import Event, plan_session_events
from dataset_gen.simulator.llm_turns import llm_session_turns
from dataset_gen.simulator.personas import make_pair
from dataset_gen.simulator.schedule import next_start, next_turn_time
from dataset_gen.simulator.talk import session_turns

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class SimulationConfig:
    sessions: int = 30  # per conversation
    conversations: int | None = 1  # None: as many as max_turns needs
    seed: int = 0
    turns_per_session: tuple[int, int] = (12, 32)
    max_turns: int | None = None  # stop after this many turns in all
    id_prefix: str = "sim"

    def __post_init__(self) -> None:
        if self.sessions < 1:
            raise ConfigError("--sessions must be at least 1")
        if self.conversations is None and self.max_turns is None:
            raise ConfigError("give a number of conversations or a total number of turns")
        if self.conversations is not None and self.conversations < 1:
            raise ConfigError("--conversations must be at least 1")
        low, high = self.turns_per_session
        if not 4 <= low <= high:
            raise ConfigError("turns per session must be a range of at least 4")
        if "#" in self.id_prefix:
            raise ConfigError("the conversation id prefix must not contain '#'")


@dataclass
class SimulationStats:
    conversations: int = 0
    sessions: int = 0
    turns: int = 0


def conversation_id(config: SimulationConfig, number: int) -> str:
    return f"{config.id_prefix}-{number:04d}"


def conversation_lines(
    config: SimulationConfig, number: int, model: TextModel | None = None
) -> Iterator[dict[str, Any]]:
    """The turns of conversation ``number`` (1-based) as transcript records."""
    rng = random.Random(f"{config.seed}:{number}")
    people = make_pair(rng)
    cid = conversation_id(config, number)
    active: list[Event] = []
    used: tuple[set[str], set[str]] = (set(), set())
    end: datetime | None = None
    order = 0
    for session in range(1, config.sessions + 1):
        start = next_start(rng, end)
        history = list(active)
        fresh, follow = plan_session_events(rng, session, active, used)
        target = rng.randint(*config.turns_per_session)
        if model is None:
            turns = session_turns(people, fresh, follow, target, rng.randrange(2), rng)
        else:
            turns = llm_session_turns(model, people, history, fresh, follow, start, target, rng)
        moment, words = start, 0
        for index, (speaker, text) in enumerate(turns):
            if index:
                moment = next_turn_time(rng, moment, words)
            yield {
                "conversation": cid,
                "speaker": people[speaker].name,
                "text": text,
                "timestamp": moment.isoformat(),
                "turn_id": str(order),
                "session": session,
            }
            words = len(text.split())
            order += 1
        end = moment


def simulate(config: SimulationConfig, model: TextModel | None = None) -> Iterator[dict[str, Any]]:
    """Every record of every conversation, in order, stopping at ``max_turns``."""
    written = 0
    number = 0
    while config.conversations is None or number < config.conversations:
        number += 1
        for record in conversation_lines(config, number, model):
            if config.max_turns is not None and written >= config.max_turns:
                return
            yield record
            written += 1


def write_conversations(
    path: Path,
    config: SimulationConfig,
    model: TextModel | None = None,
    progress: Progress | None = None,
) -> SimulationStats:
    """Stream the transcript to ``path`` (via a temp file, renamed when complete)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    stats = SimulationStats()
    total = config.max_turns or (config.conversations or 0)
    current = ("", 0)
    dumps = json.JSONEncoder(ensure_ascii=False).encode
    with tmp.open("w", encoding="utf-8", buffering=1 << 20) as handle:
        for record in simulate(config, model):
            handle.write(dumps(record) + "\n")
            stats.turns += 1
            key = (record["conversation"], record["session"])
            if key != current:
                stats.sessions += 1
                if key[0] != current[0]:
                    stats.conversations += 1
                    if progress and config.max_turns is None:
                        progress(stats.conversations - 1, total)
                current = key
            if progress and config.max_turns is not None and stats.turns % 10000 == 0:
                progress(stats.turns, total)
    tmp.replace(path)
    if progress:
        progress(total, total)
    return stats
