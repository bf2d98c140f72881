"""BM25, reciprocal rank fusion, the baseline retrievers and the retriever registry."""

from __future__ import annotations

import json
import math
import sys
import types
from datetime import datetime
from pathlib import Path

import pytest

from agent.registry import (
    build_retriever,
    build_retrievers,
    check_retrievers,
    parse_retriever_list,
    parse_retriever_name,
)
from convmem.config import Settings
from convmem.embed.hashing import HashEmbedder
from convmem.errors import ConfigError, EmbeddingError
from convmem.retrieval.base import Query
from convmem.retrieval.baselines import (
    BM25Retriever,
    HybridRetriever,
    SemanticRetriever,
    mask_names,
)
from convmem.retrieval.bm25 import BM25Index, BM25Search, tokenize
from convmem.retrieval.fusion import reciprocal_rank_fusion
from convmem.storage.loaders import load_paths
from convmem.storage.memory import MemoryStore
from convmem.types import vector_id

CHAT = [
    ("U", "I signed up for a pottery class downtown."),
    ("A", "Pottery sounds relaxing, what will you make first?"),
    ("U", "A blue bowl for my grandmother."),
    ("A", "We hiked up the volcano trail yesterday."),
    ("U", "Did you see the crater lake near the volcano?"),
    ("A", "The lake was green and cold."),
]
OTHER = [
    ("U", "My pottery class is cancelled, the kiln broke."),
    ("A", "What a pity about the pottery kiln."),
]


def write_chat(path: Path, conversation: str, lines: list[tuple[str, str]], prefix: str) -> Path:
    rows = [
        {"conversation": conversation, "speaker": speaker, "text": text, "turn_id": f"{prefix}{i}",
         "timestamp": datetime(2024, 3, 1, 10, i).isoformat()}
        for i, (speaker, text) in enumerate(lines)
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.fixture
def chat_store(store: MemoryStore, tmp_path: Path) -> MemoryStore:
    files = [write_chat(tmp_path / "c.jsonl", "c", CHAT, "c"), write_chat(tmp_path / "o.jsonl", "o", OTHER, "o")]
    store.ingest(load_paths(files))
    return store


def ask(text: str, conversation: str = "c") -> Query:
    return Query(conversation, text, datetime(2024, 3, 2, 9, 0))


# ---- BM25 ---------------------------------------------------------------------------------


def test_tokenize_lowercases_drops_stop_words_and_apostrophes() -> None:
    assert tokenize("What did WE say about Melanie's pottery? It's 3pm") == [
        "say", "about", "melanies", "pottery", "3pm"
    ]


def test_exact_word_match_ranks_first_and_non_matches_are_not_returned() -> None:
    index = BM25Index(["a", "b", "c"], ["We went hiking in the hills", "I love pottery", "Pottery class today"])
    hits = index.top("any news about hiking?", k=3)
    assert [h.turn_id for h in hits] == ["a"]
    assert index.top("nothing matches here", k=3) == []


def test_scores_follow_the_okapi_formula() -> None:
    index = BM25Index(["0", "1", "2"], ["apple banana", "apple", "cherry"], k1=1.5, b=0.75)
    idf = math.log((3 - 1 + 0.5) / (1 + 0.5) + 1)
    avg = 4 / 3
    expected = idf * 1 * 2.5 / (1 + 1.5 * (1 - 0.75 + 0.75 * 2 / avg))
    scores = index.scores("banana banana")
    assert scores[0] == pytest.approx(expected)
    assert scores[1] == scores[2] == 0.0
    # a shorter document with the same term scores higher
    assert index.scores("apple")[1] > index.scores("apple")[0] > 0


def test_ties_keep_document_order_and_k_limits() -> None:
    index = BM25Index(["x", "y", "z"], ["red kite", "red kite", "red kite"])
    assert [h.turn_id for h in index.top("kite", k=3)] == ["x", "y", "z"]
    assert [h.turn_id for h in index.top("kite", k=2)] == ["x", "y"]
    assert index.top("kite", k=0) == []


def test_candidates_restrict_the_ranking() -> None:
    index = BM25Index(
        ["0", "1", "2", "3"], ["pottery pottery class", "pottery", "hiking", "pottery again today"]
    )
    assert [h.turn_id for h in index.top("pottery", k=5)] == ["1", "0", "3"]
    restricted = index.top("pottery", k=5, candidates=["3", "2", "0", "missing", "0"])
    assert [h.turn_id for h in restricted] == ["0", "3"]
    assert index.top("pottery", k=5, candidates=[]) == []


def test_index_is_cached_and_rebuilt_when_the_store_changes(chat_store: MemoryStore, tmp_path: Path) -> None:
    search = BM25Search(chat_store)
    first = search.index("c")
    assert search.index("c") is first
    assert search.search("c", "kayak", 3) == []
    longer = [*CHAT, ("U", "Next week we rent a kayak.")]
    chat_store.ingest(load_paths([write_chat(tmp_path / "c2.jsonl", "c", longer, "c")]))
    assert search.index("c") is not first
    assert [h.turn_id for h in search.search("c", "kayak", 3)] == ["c6"]


# ---- fusion -------------------------------------------------------------------------------


def test_reciprocal_rank_fusion_on_hand_made_lists() -> None:
    fused = reciprocal_rank_fusion([["a", "b", "c"], ["b", "c", "d"]], k=60)
    assert [item for item, _ in fused] == ["b", "c", "a", "d"]
    scores = dict(fused)
    assert scores["b"] == pytest.approx(1 / 62 + 1 / 61)
    assert scores["a"] == pytest.approx(1 / 61)
    assert scores["d"] == pytest.approx(1 / 63)


def test_fusion_ties_weights_and_repeats() -> None:
    assert [i for i, _ in reciprocal_rank_fusion([["a"], ["b"]])] == ["a", "b"]
    weighted = reciprocal_rank_fusion([["a"], ["b"]], weights=[1.0, 2.0])
    assert [i for i, _ in weighted] == ["b", "a"]
    repeated = dict(reciprocal_rank_fusion([["a", "a", "b"]], k=1))
    assert repeated == {"a": pytest.approx(0.5), "b": pytest.approx(1 / 4)}
    assert reciprocal_rank_fusion([]) == []
    with pytest.raises(ValueError):
        reciprocal_rank_fusion([["a"]], weights=[1.0, 1.0])


# ---- retrievers ---------------------------------------------------------------------------


def test_semantic_finds_the_turn_and_stays_in_its_conversation(chat_store: MemoryStore) -> None:
    retriever = SemanticRetriever(chat_store, chat_store.embedder, k=3)
    result = retriever.retrieve(ask("A blue bowl for my grandmother."))
    assert retriever.name == "semantic@3" and result.route == "baseline"
    assert result.turn_ids[0] == "c2" and result.scores[0] == pytest.approx(1.0, abs=1e-4)
    assert len(result.turn_ids) == 3 and all(t.startswith("c") for t in result.turn_ids)
    assert result.scores == sorted(result.scores, reverse=True)
    other = retriever.retrieve(ask("pottery class", conversation="o"))
    assert other.turn_ids and all(t.startswith("o") for t in other.turn_ids)
    assert retriever.retrieve(ask("pottery", conversation="nobody")).turn_ids == []


@pytest.mark.parametrize("question", ["A blue bowl for my grandmother.", "volcano lake", "pottery kiln class"])
def test_exact_search_ranks_as_chromas_filtered_search_does(
    chat_store: MemoryStore, monkeypatch: pytest.MonkeyPatch, question: str
) -> None:
    exact = SemanticRetriever(chat_store, chat_store.embedder, k=4).ranked(ask(question), 4)
    monkeypatch.setattr("convmem.retrieval.baselines.EXACT_SEARCH_LIMIT", 0)  # every conversation is "long"
    searched = SemanticRetriever(chat_store, chat_store.embedder, k=4).ranked(ask(question), 4)
    assert [score for _, score in exact] == pytest.approx([score for _, score in searched], abs=1e-5)
    # Same order above the last score kept; turns tied with it may be cut in either order.
    last = exact[-1][1] + 1e-5
    assert [t for t, score in exact if score > last] == [t for t, score in searched if score > last]


def test_exact_search_skips_a_turn_whose_vector_is_missing(chat_store: MemoryStore) -> None:
    chat_store.vectors.delete([vector_id("c", "c2")])
    found = SemanticRetriever(chat_store, chat_store.embedder, k=10).ranked(ask("A blue bowl for my grandmother."), 10)
    assert [turn_id for turn_id, _ in found] and "c2" not in [turn_id for turn_id, _ in found]
    assert len(found) == len(CHAT) - 1


def test_semantic_refuses_an_embedder_from_another_space(chat_store: MemoryStore) -> None:
    with pytest.raises(EmbeddingError, match="does not match"):
        SemanticRetriever(chat_store, HashEmbedder(32), k=3)


def test_bm25_retriever_ranks_by_words_within_the_conversation(chat_store: MemoryStore) -> None:
    retriever = BM25Retriever(chat_store, k=10)
    result = retriever.retrieve(ask("what about the volcano lake?"))
    assert retriever.name == "bm25@10" and result.route == "baseline"
    assert result.turn_ids[0] == "c4"  # both words
    assert set(result.turn_ids) == {"c3", "c4", "c5"}
    assert "no turn shares" in retriever.retrieve(ask("zebra")).notes[0]


def test_hybrid_fuses_both_rankings(chat_store: MemoryStore) -> None:
    retriever = HybridRetriever(chat_store, chat_store.embedder, k=2)
    result = retriever.retrieve(ask("Did you see the crater lake near the volcano?"))
    assert retriever.name == "hybrid@2" and result.route == "baseline"
    assert result.turn_ids[0] == "c4" and len(result.turn_ids) == 2
    assert result.scores[0] == pytest.approx(2 / 61)
    assert all(t.startswith("c") for t in result.turn_ids)


def test_mask_names_hides_every_part_of_a_name_and_its_possessive() -> None:
    names = ("Caroline", "Mel Jones")
    assert mask_names("What did Caroline's friend tell mel and JONES?", names) == (
        "What did someone friend tell someone and someone?"
    )
    assert mask_names("Carolines and Melody stay", names) == "Carolines and Melody stay"
    assert mask_names("nothing to hide", ()) == "nothing to hide"


NAMED = [
    ("Melanie", "Wow, Caroline, that is great news!"),
    ("Caroline", "I have been comparing adoption agencies all week."),
    ("Melanie", "Caroline, you always make me smile."),
]


class RecordingEmbedder:
    """The store's embedder, remembering every text it was asked to embed."""

    def __init__(self, inner: HashEmbedder) -> None:
        self.inner, self.name, self.dim, self.texts = inner, inner.name, inner.dim, []

    def embed(self, texts, progress=None):  # type: ignore[no-untyped-def]
        self.texts.extend(texts)
        return self.inner.embed(texts, progress)


@pytest.mark.parametrize("mask", [True, False])
def test_hybrid_can_hide_speaker_names_from_the_vector_side(
    store: MemoryStore, hash_embedder: HashEmbedder, tmp_path: Path, mask: bool
) -> None:
    store.ingest(load_paths([write_chat(tmp_path / "n.jsonl", "n", NAMED, "n")]))
    embedder = RecordingEmbedder(hash_embedder)
    retriever = HybridRetriever(store, embedder, k=3, mask_speakers=mask)  # type: ignore[arg-type]
    result = retriever.retrieve(ask("Which adoption agencies did Caroline compare?", "n"))
    expected = "Which adoption agencies did someone compare?" if mask else "Which adoption agencies did Caroline compare?"
    assert embedder.texts == [expected]
    # Hidden names leave the agencies turn on top; shown, the greetings that name her win.
    assert (result.turn_ids[0] == "n1") is mask
    assert retriever.name == "hybrid@3"


def test_k_must_be_positive(chat_store: MemoryStore) -> None:
    with pytest.raises(ConfigError):
        BM25Retriever(chat_store, k=0)


# ---- registry -----------------------------------------------------------------------------


def test_names_parse_and_normalise() -> None:
    assert parse_retriever_name(" Semantic@10 ") == ("semantic", 10)
    assert parse_retriever_name("agent") == ("agent", None)
    assert parse_retriever_list("bm25@10, hybrid@20,,bm25@10") == ["bm25@10", "hybrid@20"]


@pytest.mark.parametrize("bad", ["semantic", "semantic@0", "vector@10", "bm25@x", "agent@3"])
def test_unknown_names_are_one_line_config_errors(bad: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_retriever_list(f"bm25@10,{bad}")
    assert "valid forms: agent, semantic@K, bm25@K, hybrid@K" in info.value.message
    assert "\n" not in info.value.message


def test_empty_list_is_an_error() -> None:
    with pytest.raises(ConfigError, match="no retriever"):
        parse_retriever_list(" , ")


def test_build_baselines_by_name(chat_store: MemoryStore, settings: Settings) -> None:
    built = build_retrievers(["semantic@4", "bm25@2", "hybrid@3"], chat_store, settings)
    assert [r.name for r in built] == ["semantic@4", "bm25@2", "hybrid@3"]
    assert isinstance(built[1], BM25Retriever) and isinstance(built[2], HybridRetriever)
    assert built[1].search is built[2].bm25.search  # one BM25 cache shared
    assert isinstance(build_retriever("semantic@1", chat_store, settings), SemanticRetriever)


def test_agent_missing_is_a_clear_config_error(
    chat_store: MemoryStore, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "agent.retrieval", None)  # import fails as if absent
    with pytest.raises(ConfigError, match="retriever 'agent' is not available"):
        build_retriever("agent", chat_store, settings)
    with pytest.raises(ConfigError, match="not available"):
        check_retrievers(["bm25@10", "agent"])


def test_agent_is_built_with_store_settings_and_llm(
    chat_store: MemoryStore, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    class StandIn:
        name = "agent"

        def __init__(self, store: MemoryStore, settings: Settings, llm: object = None) -> None:
            self.args = (store, settings, llm)

    module = types.ModuleType("agent.retrieval")
    module.TimeAwareRetriever = StandIn  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "agent.retrieval", module)
    llm = object()
    built = build_retriever("agent", chat_store, settings, llm=llm)
    assert isinstance(built, StandIn) and built.args == (chat_store, settings, llm)
