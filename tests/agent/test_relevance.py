"""The "nothing relevant" floors: which floor applies, and the word-coverage measure."""

from __future__ import annotations

from datetime import datetime

from agent.relevance import MEASURED_FLOORS, content_floor, word_coverage
from convmem.config import Settings
from convmem.embed.sentence import MINILM, MINILM_INT8, SentenceTransformerEmbedder
from convmem.storage.memory import MemoryStore
from convmem.types import Conversation, Turn


def test_the_measured_floor_is_found_by_the_embedders_name() -> None:
    for model in (MINILM, MINILM_INT8):  # constructing loads nothing
        name = SentenceTransformerEmbedder(model, backend="onnx").name
        assert content_floor(Settings(), name) == MEASURED_FLOORS[name]
    assert content_floor(Settings(), "hash-64") is None
    assert content_floor(Settings(content_floor=0.4), "hash-64") == 0.4
    assert content_floor(Settings(content_floor=-2.0), name) is None


def test_word_coverage_leaves_out_stop_words_and_speaker_names(store: MemoryStore) -> None:
    moment = datetime(2024, 1, 1, 9)
    turns = tuple(
        Turn("c", str(i), i, 1, i, who, text, moment)
        for i, (who, text) in enumerate([("Mia", "I painted a purple lake."), ("Leo", "Nice, Mia!")])
    )
    store.ingest([Conversation("c", ("Mia", "Leo"), "test", turns)])
    assert word_coverage(store, "What did Mia paint, a purple lake?", turns) == 2 / 3  # paint != painted
    assert word_coverage(store, "purple monkey dishwasher quantum banana", turns) == 1 / 5
    assert word_coverage(store, "What did Mia say?", turns) == 0.0
    assert word_coverage(store, "Mia?", turns) == 1.0  # nothing left to check
    assert word_coverage(store, "anything", []) == 0.0
