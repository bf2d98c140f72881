"""Determinism for a seed, the ambiguous dialogue shapes, and both file layouts."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

from convmem.questions import read_questions
from dataset_gen import dialogues
from dataset_gen.generator import GenerationConfig, generate_items
from dataset_gen.output import write_question_set
from dataset_gen.tmd import read_tmd
from dataset_gen.words import MONTHS, WEEKDAYS, ordinal_word
from tests.dataset_gen.conftest import SimWorld

TIME_WORDS = re.compile(
    r"\d|\b("
    + "|".join([*MONTHS, *WEEKDAYS])
    + r")\b|\b(session|sessions|ago|today|tonight|yesterday"
    r"|week|weeks|month|months|morning|afternoon|evening|days?|last|earlier|before|recent|"
    + "|".join(ordinal_word(n) for n in range(1, 40))
    + r")\b",
    re.IGNORECASE,
)


def test_same_seed_same_bytes_other_seed_other_bytes(sim_world: SimWorld, tmp_path: Path) -> None:
    config = GenerationConfig(ambiguous=True, seed=5, paraphrases=2)
    paths = []
    for name, seed in (("a", 5), ("b", 5), ("c", 6)):
        path = tmp_path / f"{name}.jsonl"
        write_question_set(sim_world.store, path, "jsonl", replace(config, seed=seed))
        paths.append(path.read_bytes())
    assert paths[0] == paths[1]
    assert paths[0] != paths[2]
    for name in ("t1", "t2"):
        write_question_set(sim_world.store, tmp_path / name, "tmd", config)
    files = sorted(p.relative_to(tmp_path / "t1") for p in (tmp_path / "t1").rglob("*.json"))
    assert files and all(
        (tmp_path / "t1" / f).read_bytes() == (tmp_path / "t2" / f).read_bytes() for f in files
    )


def test_families_phrase_references_many_ways(sim_world: SimWorld) -> None:
    config = GenerationConfig(families=("session", "rel_day", "dates"), paraphrases=6, seed=2)
    texts = [
        v[-1].text for item in generate_items(sim_world.store, config=config) for v in item.variants
    ]
    assert len(set(texts)) == len(texts)
    assert any(re.search(r"\b\d+(st|nd|rd|th) session", t) for t in texts)  # ordinal digits
    assert any(
        re.search(r"\b(first|second|third|fourth|fifth) (session|conversation|chat)", t)
        for t in texts
    )
    assert any(re.search(r"\b[a-z]+(-[a-z]+)? days ago", t) for t in texts)  # number words
    starts = {t.split()[0] for t in texts}
    assert len(starts) >= 5  # different verbs and question shapes


def test_ambiguous_dialogues_move_the_reference_out_of_the_last_turn(sim_world: SimWorld) -> None:
    config = GenerationConfig(
        ambiguous=True,
        paraphrases=7,
        seed=4,
        families=(
            "session",
            "rel_session",
            "dates",
            "rel_day",
            "day_span",
            "date_span",
            "session_span",
            "month",
            "rel_month",
            "earlier_today",
            "last_named_day",
            "session_speaker",
            "session_edge",
            "week",
        ),
    )
    shapes_seen: set[tuple[int, str]] = set()
    checked = 0
    for item in generate_items(sim_world.store, config=config):
        if not item.ambiguous:
            continue
        for dialogue in item.variants:
            assert 3 <= len(dialogue) <= 5
            last = dialogue[-1]
            assert not TIME_WORDS.search(last.text), last.text
            assert TIME_WORDS.search(" ".join(t.text for t in dialogue[:-1]))
            assert dialogue[0].speaker != dialogue[1].speaker
            assert last.speaker == dialogue[-3].speaker  # the asker ends
            shapes_seen.add((len(dialogue), dialogue[1].text))
            checked += 1
        questions = item.questions()
        assert all(q.ambiguous and q.context for q in questions)
    assert checked > 100
    assert len(shapes_seen) >= len(dialogues.SHAPES) >= 6


def test_jsonl_round_trips_through_the_project_reader(sim_world: SimWorld, tmp_path: Path) -> None:
    config = GenerationConfig(ambiguous=True, seed=1, per_family=3)
    items = list(generate_items(sim_world.store, config=config))
    expected = [q for item in items for q in item.questions()]
    count = write_question_set(sim_world.store, tmp_path / "q.jsonl", "jsonl", config)
    back = list(read_questions(tmp_path / "q.jsonl"))
    assert count == len(back) == len(expected)
    assert back == expected
    assert {q.category for q in back} == {"time", "time_content"}
    assert len({q.id for q in back}) == len(back)


def test_tmd_layout_round_trips(sim_world: SimWorld, tmp_path: Path) -> None:
    config = GenerationConfig(ambiguous=True, seed=1, per_family=3, paraphrases=3)
    items = list(generate_items(sim_world.store, config=config))
    write_question_set(sim_world.store, tmp_path / "TestData", "tmd", config)
    raw = json.loads((tmp_path / "TestData/time_qs/test_rel_day.json").read_text())
    assert raw["file_indexes"] == ["sim-0001"]
    assert all(isinstance(d, int) for e in raw["file_sim-0001"] for d in e["relevant_docs"])
    assert (tmp_path / "TestData/content_time_qs/content_time_qs.json").exists()
    back = read_tmd(tmp_path / "TestData")
    assert len(back) == len(items)
    category = {
        (False, "time"): "time_qs",
        (True, "time"): "ambiguous_time_qs",
        (False, "time_content"): "content_time_qs",
    }
    expected = sorted(
        (
            category[(i.ambiguous, i.category)],
            i.family,
            i.relevant_turn_ids,
            tuple(
                v[-1].text if not i.ambiguous else tuple((t.speaker, t.text) for t in v)
                for v in i.variants
            ),
        )
        for i in items
    )
    assert sorted((b.category, b.family, b.relevant_docs, b.questions) for b in back) == expected
