"""``eval recaps``: observations read from LoCoMo, coverage of cited lines, the reaction
check, and a whole run on a small conversation (baseline and topics in the same run)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from agent.answer import Answer
from convmem.config import Settings
from eval.recaps import (
    cited_lines,
    common_words,
    coverage,
    is_reaction,
    read_observations,
    run_recaps,
)
from tests.fixtures import run_cli

# Each session: chatty reactions around a few turns that carry its topics.
SESSION_1 = [
    ("Ana", "Hi Ben, so good to see you again!"),
    ("Ben", "Hey Ana! Great to see you too, how are you?"),
    ("Ana", "I signed up for a pottery class downtown and made a blue bowl for my grandmother."),
    ("Ben", "Wow, that is so great, good for you!"),
    ("Ana", "Thanks, that is so great of you to say!"),
    ("Ben", "My sister adopted a rescue greyhound named Biscuit from the shelter."),
    ("Ana", "That is great, so good!"),
    ("Ben", "Good to see you, bye!"),
]
SESSION_2 = [
    ("Ben", "Hey Ana, great to see you!"),
    ("Ana", "Hi Ben! So good to see you, how are you?"),
    ("Ben", "We hiked up the volcano trail and camped beside the crater lake."),
    ("Ana", "Wow, so great, good for you!"),
    ("Ana", "I am studying for a nursing exam in September at the community college."),
    ("Ben", "That is great, so good to hear!"),
    ("Ana", "Great, good to see you, bye!"),
]
OBSERVATIONS = {
    "session_1_observation": {"Ana": [["Ana takes a pottery class.", "D1:3"]],
                              "Ben": [["Ben's sister adopted a greyhound.", "D1:06"]]},
    "session_2_observation": {"Ben": [["Ben hiked the volcano trail.", "D2:3"]],
                              "Ana": [["Ana studies for a nursing exam.", ["D2:5", "D9:9"]]]},
}


def conversation() -> dict[str, Any]:
    body: dict[str, Any] = {"speaker_a": "Ana", "speaker_b": "Ben"}
    for s, (stamp, turns) in enumerate((("1:56 pm on 8 May, 2023", SESSION_1),
                                        ("10:00 am on 20 May, 2023", SESSION_2)), start=1):
        body[f"session_{s}_date_time"] = stamp
        body[f"session_{s}"] = [{"speaker": sp, "dia_id": f"D{s}:{t}", "text": text}
                                for t, (sp, text) in enumerate(turns, start=1)]
    qa = [{"question": "What did Ana make in pottery class?", "answer": "a blue bowl", "evidence": ["D1:3"],
           "category": 4}]
    return {"sample_id": "conv-1", "conversation": body, "observation": OBSERVATIONS, "qa": qa}


@pytest.fixture
def dataset(tmp_path: Path) -> Path:
    path = tmp_path / "locomo" / "1.json"
    path.parent.mkdir()
    path.write_text(json.dumps(conversation()))
    return path.parent


def test_observations_are_read_per_session_with_ids_normalised(dataset: Path) -> None:
    truths = read_observations([dataset])
    assert [(t.conversation_id, t.session) for t in truths] == [("conv-1", 1), ("conv-1", 2)]
    assert truths[0].observed == {"D1:3", "D1:6"} and truths[1].observed == {"D2:3", "D2:5", "D9:9"}


def test_coverage_counts_the_cited_turns_of_the_first_lines() -> None:
    answer = Answer("Session 1:\n- a [t:D1:3]\n- b [t:D1:4]\nno citation here\n- c [t:D1:6] [t:D1:9]", "x")
    lines = cited_lines(answer, {"D1:3", "D1:4", "D1:6"})
    assert lines == [("D1:3",), ("D1:4",), ("D1:6",)]
    observed = frozenset({"D1:3", "D1:6"})
    assert coverage(lines, observed, 1) == 0.5 and coverage(lines, observed, 2) == 0.5
    assert coverage(lines, observed, 3) == 1.0


def test_reactions_are_lines_made_of_words_every_turn_uses() -> None:
    chat = [text for _, text in SESSION_1 + SESSION_2]
    reactions = [text for text in chat if "great" in text or "good" in text]
    common = common_words(reactions * 30 + chat)  # a long conversation: mostly chatter
    assert is_reaction("- 09:00 Ben: “Wow, that is so great, good for you!” [t:D1:4]", common)
    assert not is_reaction("- 09:00 Ana: “I signed up for a pottery class downtown.” [t:D1:3]", common)


def test_a_run_scores_baseline_and_topics_on_the_same_evidence(dataset: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    settings = Settings.from_env({}, store=out / "store", embedder="hash", planner="rules")
    results = run_recaps(dataset, out, settings)
    assert {p.name for p in out.iterdir()} >= {"results.json", "report.md", "report.html"}
    baseline, topics = (results["answerers"][n]["recaps"]["all"] for n in results["config"]["answerers"])
    assert baseline["n"] == topics["n"] == 2 * 3  # two sessions, three phrasings
    assert topics["retrieved_share"] == 1.0  # every phrasing found its whole session
    assert topics["reaction_first"] == 0.0 and topics["coverage@3"] == 1.0
    assert baseline["coverage@3"] < topics["coverage@3"]
    qa = results["answerers"]["topics"]["qa"]
    assert qa["single-hop"] == {"n": 1, "first_line_has_answer": 1.0}
    report = (out / "report.md").read_text()
    assert "coverage@5" in report and "reaction first" in report
    assert 'id="table-recaps-all"' in (out / "report.html").read_text()


def test_cli_says_what_to_do_without_observations(tmp_path: Path, cli_env: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    plain = tmp_path / "plain.json"
    body = conversation()
    del body["observation"]
    plain.write_text(json.dumps(body))
    code, _, err = run_cli(["eval", "recaps", str(plain), "--out", str(tmp_path / "o")], capsys)
    assert code != 0 and "session_K_observation" in err and len(err.strip().splitlines()) == 1
