"""Session text written by a language model from personas and the event timeline.

As LoCoMo did: the model sees both personas, what has happened so far, what is new since
the last session and what should be followed up, and writes the session.  Everything else
(session dates, which events happen, turn times) stays with the seeded planner, so a model
only changes the words.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import datetime

from convmem.errors import LLMOutputError
from dataset_gen.llm import TextModel, ask_json
from dataset_gen.simulator.events import Event
from dataset_gen.simulator.personas import Persona
from dataset_gen.simulator.talk import Line, announce_block, follow_block

SYSTEM = (
    "You write realistic chat sessions between two friends for a long-term memory benchmark."
    " Keep every fact consistent with the personas and the event timeline, mention the new"
    " events and follow-ups naturally, and alternate speakers. Reply with JSON:"
    ' {"turns": [{"speaker": "<name>", "text": "..."}]}'
)


def _facts(
    events: Sequence[Event], people: tuple[Persona, Persona], rng: random.Random, follow: bool
) -> list[str]:
    out = []
    for event in events:
        block = follow_block(event, people, rng) if follow else announce_block(event, people, rng)
        owner = people[event.owner].name
        out.append(f"- {owner}: {block[1][1] if follow else block[0][1]}")
    return out


def session_prompt(
    people: tuple[Persona, Persona],
    history: Sequence[Event],
    fresh: Sequence[Event],
    follow: Sequence[Event],
    start: datetime,
    target: int,
    rng: random.Random,
) -> str:
    earlier = _facts(history, people, rng, follow=False) or ["- nothing yet"]
    new = _facts(fresh, people, rng, follow=False) or ["- nothing new"]
    again = _facts(follow, people, rng, follow=True) or ["- nothing"]
    return "\n".join(
        [
            f"Personas:\n- {people[0].describe()}\n- {people[1].describe()}",
            "Events from earlier sessions:",
            *earlier,
            f"This session starts {start:%A %d %B %Y, %H:%M}. New since last time:",
            *new,
            "Follow up on:",
            *again,
            f"Write about {target} turns.",
        ]
    )


def llm_session_turns(
    model: TextModel,
    people: tuple[Persona, Persona],
    history: Sequence[Event],
    fresh: Sequence[Event],
    follow: Sequence[Event],
    start: datetime,
    target: int,
    rng: random.Random,
) -> list[Line]:
    reply = ask_json(
        model, SYSTEM, session_prompt(people, history, fresh, follow, start, target, rng)
    )
    raw = reply.get("turns")
    if not isinstance(raw, list) or len(raw) < 2:
        raise LLMOutputError("the session reply needs a 'turns' list of at least two turns")
    names = {people[0].name: 0, people[1].name: 1}
    turns: list[Line] = []
    for number, item in enumerate(raw):
        if not isinstance(item, dict):
            raise LLMOutputError(f"turn {number} is not an object")
        speaker, text = (
            str(item.get("speaker", "")).strip(),
            " ".join(str(item.get("text", "")).split()),
        )
        if speaker not in names:
            raise LLMOutputError(
                f"turn {number} has unknown speaker {speaker!r}; use {' or '.join(names)}"
            )
        if not text:
            raise LLMOutputError(f"turn {number} has no text")
        turns.append((names[speaker], text))
    return turns
