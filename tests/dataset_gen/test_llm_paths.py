"""The LLM-assisted paths, driven by a scripted model: content questions (with the
uniqueness check rejecting what it must) and simulated sessions."""

from __future__ import annotations

import json
import random
import re
from collections import deque
from collections.abc import Callable
from pathlib import Path

import pytest

from convmem.errors import LLMOutputError
from dataset_gen.anchoring import load_timeline, queries
from dataset_gen.content import content_targets
from dataset_gen.content_llm import LLMContentStats, llm_content_question
from dataset_gen.generator import GenerationConfig, generate_items
from dataset_gen.simulator import SimulationConfig, simulate
from tests.dataset_gen.conftest import SimWorld

Reply = str | Callable[[str, str], str]


class ScriptedModel:
    """Replies in order (texts, or functions of the system and user messages); records calls."""

    def __init__(self, *replies: Reply) -> None:
        self.replies: deque[Reply] = deque(replies)
        self.calls: list[tuple[str, str]] = []

    def complete_text(self, system: str, prompt: str) -> str:
        self.calls.append((system, prompt))
        reply = self.replies.popleft()
        return reply(system, prompt) if callable(reply) else reply


def time_ref(prompt: str) -> str:
    return re.search(r'time reference "([^"]+)"', prompt).group(1)


def prompt_ids(prompt: str) -> list[str]:
    return re.findall(r"^\[([^\]]+)\]", prompt, re.MULTILINE)


def question_about(phrase: str) -> Callable[[str, str], str]:
    return lambda system, prompt: json.dumps(
        {"question": f"What was said about {phrase} {time_ref(prompt)}?"}
    )


@pytest.fixture
def target_and_queries(sim_world: SimWorld):
    con = sim_world.store.tables.con
    tl = load_timeline(con, sim_world.conversation_id, GenerationConfig().anchoring)
    with queries(con, tl) as q:
        targets = content_targets(q, tl, random.Random(1), 1, ("session",))
        yield next(t for t in targets if len(q.turn_ids(t.scope)) > len(t.gold)), q


def test_a_question_answered_outside_the_gold_is_rejected(target_and_queries) -> None:
    target, q = target_and_queries
    outside = next(t for t in q.turn_ids(target.scope) if t not in target.gold)
    model = ScriptedModel(
        question_about(target.phrase),
        json.dumps({"turn_ids": [target.gold[0], outside]}),  # not unique
        question_about(target.phrase),
        json.dumps({"turn_ids": list(target.gold)}),  # unique
    )
    stats = LLMContentStats()
    written = llm_content_question(model, q, target, random.Random(0), stats)
    assert written is not None and target.phrase in written
    assert stats.written == 1 and stats.rejected == {"not_unique": 1}
    check_prompt = model.calls[1][1]
    assert set(prompt_ids(check_prompt)) == set(q.turn_ids(target.scope))  # every turn in scope
    assert set(prompt_ids(model.calls[0][1])) == set(target.gold)  # the writer sees the gold


def test_dropped_time_reference_and_empty_answers_are_rejected(target_and_queries) -> None:
    target, q = target_and_queries
    model = ScriptedModel(
        json.dumps({"question": f"What was said about {target.phrase}?"}),  # no time reference
        question_about(target.phrase),
        json.dumps({"turn_ids": []}),  # nobody answers it
    )
    stats = LLMContentStats()
    assert llm_content_question(model, q, target, random.Random(0), stats) is None
    assert stats.rejected == {"time_reference_dropped": 1, "unanswerable": 1}
    assert len(model.calls) == 3  # the check is skipped when the reference is missing


def test_malformed_json_is_asked_again(target_and_queries) -> None:
    target, q = target_and_queries
    model = ScriptedModel(
        "Sure! Here you go:",
        question_about(target.phrase),
        json.dumps({"turn_ids": list(target.gold)}),
    )
    assert llm_content_question(model, q, target, random.Random(0), LLMContentStats())
    assert "could not be used" in model.calls[1][1]


class Cooperative:
    """Writes a question that names the turns it was shown, then points at exactly those."""

    def __init__(self) -> None:
        self.shown: dict[str, list[str]] = {}

    def complete_text(self, system: str, prompt: str) -> str:
        if prompt.startswith("Question: "):
            question = prompt.splitlines()[0].removeprefix("Question: ")
            return json.dumps({"turn_ids": self.shown[question]})
        ids = prompt_ids(prompt)
        first_text = prompt.split("Turns:\n", 1)[1].splitlines()[0].split(": ", 1)[1]
        word = re.findall(r"[a-z]{5,}", first_text.lower())[0]
        question = f"What did we say about {word} {time_ref(prompt)}? ({' '.join(ids)})"
        self.shown[question] = ids
        return json.dumps({"question": question})


def test_generator_uses_the_model_and_keeps_table_gold(sim_world: SimWorld) -> None:
    config = GenerationConfig(families=("content_time",), per_family=5, seed=2)
    items = list(generate_items(sim_world.store, config=config, model=Cooperative()))
    assert len(items) == 5
    for item in items:
        text = item.variants[0][-1].text
        assert text.startswith("What did we say about")
        assert list(item.relevant_turn_ids) == text.split("(")[1].rstrip(")").split()


def test_simulated_sessions_come_from_the_model(tmp_path: Path) -> None:
    def session(system: str, prompt: str) -> str:
        names = re.findall(r"^- (\w+) is a", prompt, re.MULTILINE)
        turns = [
            {"speaker": names[i % 2], "text": f"Line {i} about the garden party and the weather."}
            for i in range(4)
        ]
        return json.dumps({"turns": turns})

    model = ScriptedModel(*[session] * 3)
    records = list(simulate(SimulationConfig(sessions=3, seed=1), model))
    assert [r["text"] for r in records[:2]] == [
        "Line 0 about the garden party and the weather.",
        "Line 1 about the garden party and the weather.",
    ]
    assert [r["session"] for r in records] == [1] * 4 + [2] * 4 + [3] * 4
    assert "Follow up on:" in model.calls[1][1] and "Personas:" in model.calls[0][1]
    times = [r["timestamp"] for r in records]
    assert times == sorted(times)


def test_a_session_with_an_unknown_speaker_is_refused() -> None:
    model = ScriptedModel(
        json.dumps({"turns": [{"speaker": "Zed", "text": "hi"}, {"speaker": "Zed", "text": "yo"}]})
    )
    with pytest.raises(LLMOutputError, match="unknown speaker 'Zed'"):
        list(simulate(SimulationConfig(sessions=1, seed=1), model))
