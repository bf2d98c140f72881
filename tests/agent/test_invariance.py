"""Invariance: greetings, filler, hedges, politeness, casing, other date spellings and a
follow-up with filler give exactly the turns of the plain question (``invariance.py``).

The bundled demo conversation always runs (every variant must agree); TMD logs 26 and 28
run when the shared data is present, as a rate that must reach 99%.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from agent.retrieval import TimeAwareRetriever
from convmem.config import Settings
from convmem.demo import DEMO_CONVERSATION_ID, DEMO_SPEAKER, demo_transcript
from convmem.embed.hashing import HashEmbedder
from convmem.retrieval.base import Query
from convmem.storage.loaders import load_paths
from convmem.storage.memory import MemoryStore
from tests.agent.invariance import Case, build_cases
from tests.conftest import shared_path

DEMO_ASKED = datetime(2024, 5, 20, 10, 0)


def _retriever(root: Path, paths: list[Path], fmt: str) -> tuple[MemoryStore, TimeAwareRetriever]:
    memory = MemoryStore(root, HashEmbedder(64))
    memory.ingest(load_paths(paths, fmt))
    settings = Settings.from_env({}, store=root, embedder="hash", planner="rules", date_order="MDY")
    return memory, TimeAwareRetriever(memory, settings)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TimeAwareRetriever]:
    memory, retriever = _retriever(tmp_path_factory.mktemp("demo") / "store", [demo_transcript()], "jsonl")
    yield retriever
    memory.close()


def disagreements(retriever: TimeAwareRetriever, conversation: str, cases: list[Case],
                  asked: datetime, asker: str) -> tuple[int, list[str]]:
    """(variants asked, descriptions of those that retrieved other turns than their question)."""
    asked_count, wrong = 0, []
    for case in cases:
        expected = retriever.retrieve(Query(conversation, case.question, asked, speaker=asker)).turn_ids
        assert expected, case.question
        for variant in case.variants:
            found = retriever.retrieve(Query(conversation, variant.text, asked, variant.context, speaker=asker))
            asked_count += 1
            if found.turn_ids != expected:
                wrong.append(f"{variant.kind}: {variant.text!r} ({len(found.turn_ids)} turns, "
                             f"route {found.route}) vs {case.question!r} ({len(expected)} turns)")
    return asked_count, wrong


def test_the_suite_is_big_enough(demo: TimeAwareRetriever) -> None:
    cases = build_cases(demo.store.sessions(DEMO_CONVERSATION_ID), DEMO_SPEAKER)
    assert len(cases) >= 300
    assert min(len(case.variants) for case in cases) >= 6
    assert len({case.question for case in cases}) == len(cases)


def test_every_variant_retrieves_what_its_question_does(demo: TimeAwareRetriever) -> None:
    cases = build_cases(demo.store.sessions(DEMO_CONVERSATION_ID), DEMO_SPEAKER)
    _, wrong = disagreements(demo, DEMO_CONVERSATION_ID, cases, DEMO_ASKED, DEMO_SPEAKER)
    assert not wrong, f"{len(wrong)} variants disagree, e.g.\n" + "\n".join(wrong[:15])


def test_a_topic_keeps_the_time_content_route(demo: TimeAwareRetriever) -> None:
    """The other side of the topic test: a real topic still ranks within the window."""
    ask = lambda text: demo.retrieve(Query(DEMO_CONVERSATION_ID, text, DEMO_ASKED, speaker=DEMO_SPEAKER))  # noqa: E731
    whole = ask("hey, what did we talk about on March 4th? thanks!")
    topic = ask("hey, what did we say about the pottery class on March 4th? thanks!")
    assert whole.route == "time" and topic.route == "time_content"
    assert set(topic.turn_ids) < set(whole.turn_ids)


@pytest.mark.shared_data
@pytest.mark.parametrize("log", ["26", "28"])
def test_tmd_logs_hold_under_variants(tmp_path: Path, log: str) -> None:
    path = shared_path("tmd", "ConversationData", f"{log}.json")
    memory, retriever = _retriever(tmp_path / "store", [path], "tmd")
    try:
        conversation = memory.conversation_ids()[0]
        sessions = memory.sessions(conversation)
        asked = sessions[-1].start + timedelta(minutes=1)
        speaker = memory.conversation(conversation).speakers[0]  # type: ignore[union-attr]
        cases = build_cases(sessions[:-1], speaker, per_session=8)
        asked_count, wrong = disagreements(retriever, conversation, cases, asked, speaker)
    finally:
        memory.close()
    rate = 1 - len(wrong) / asked_count
    print(f"log {log}: {asked_count} variants of {len(cases)} questions, {100 * rate:.2f}% agree")
    assert rate >= 0.99, "\n".join(wrong[:15])
