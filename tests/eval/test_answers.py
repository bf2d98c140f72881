"""Answer quality on LoCoMo with the scripted chat model: judging, token F1, cost, caching."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

import pytest

from convmem.config import Settings
from convmem.llm import ChatRequest, FakeChatModel, LLMClient, ResponseCache
from convmem.llm.fake import minimal_instance
from eval.judge import (
    JUDGE_PROMPT_VERSION,
    JUDGE_SYSTEM,
    judge_messages,
    normalise_answer,
    token_f1,
)
from eval.locomo import run_locomo
from tests.eval.test_locomo import QA, write_locomo

GOLD = {qa["question"]: qa.get("answer") for qa in QA}


def responder(request: ChatRequest) -> Any:
    """Agent answers are right, baseline answers say nothing; the judge compares."""
    last = request.messages[-1].content
    if request.purpose == "judge":
        gold = re.search(r"Gold answer: (.*)\n", last).group(1)  # type: ignore[union-attr]
        answer = re.search(r"Generated answer: (.*)\n", last).group(1)  # type: ignore[union-attr]
        return {"label": "CORRECT" if normalise_answer(gold) in normalise_answer(answer) else "WRONG"}
    if request.json_schema is not None:
        return minimal_instance(request.json_schema)
    if request.purpose == "eval-answer":
        return "Not mentioned"
    question = next((q for q in GOLD if q in last), None)
    return f"{GOLD.get(question) or 'no idea'} [t:D1:3]"


def client(cache_dir: Path, replies: int = 400) -> tuple[LLMClient, FakeChatModel]:
    fake = FakeChatModel([responder] * replies)
    return LLMClient(fake, cache=ResponseCache(cache_dir)), fake


def test_token_f1_is_squad_style() -> None:
    assert token_f1("A blue bowl [t:D1:3]", "blue bowl") == 1.0
    assert token_f1("the green lake", "green") == pytest.approx(2 * 0.5 * 1 / 1.5)
    assert token_f1("", "x") == 0.0 and token_f1("", "") == 1.0
    assert token_f1("7 May, 2023", "7 May 2023") == 1.0


def test_judge_prompt_is_frozen_under_its_version() -> None:
    digest = hashlib.sha256(JUDGE_SYSTEM.encode()).hexdigest()[:12]
    assert (JUDGE_PROMPT_VERSION, digest) == ("locomo-judge-v1", "ecdd208f86fb"), (
        "the judge prompt changed: bump JUDGE_PROMPT_VERSION and update this digest"
    )
    messages = judge_messages("Q?", "gold", "answer")
    assert messages[1].content == "Question: Q?\nGold answer: gold\nGenerated answer: answer\n"


def test_answers_are_judged_costed_and_cached(tmp_path: Path, settings: Settings) -> None:
    data = write_locomo(tmp_path / "locomo")
    out = tmp_path / "out"
    llm, fake = client(out / "llm-cache")
    first = run_locomo(data, out, ["bm25@20"], settings, llm=llm)["answers"]
    assert first["status"] == "run"
    assert first["judge_prompt_version"] == JUDGE_PROMPT_VERSION
    assert first["questions"] == 5  # the adversarial item has no gold answer
    agent, rag, full = (first["systems"][s] for s in ("agent", "rag-semantic@10", "full-context"))
    assert agent["overall"]["judge_accuracy"] == 1.0
    assert rag["overall"]["judge_accuracy"] == 0.0 and full["overall"]["judge_accuracy"] == 0.0
    assert agent["overall"]["token_f1"] > rag["overall"]["token_f1"]
    assert set(agent["categories"]) == {"single-hop", "temporal", "multi-hop", "open-domain"}
    assert rag["per_question"]["llm_calls"] == 1.0 and rag["per_question"]["prompt_tokens"] > 0
    assert agent["per_question"]["llm_calls"] >= 1.0
    assert first["judge_usage"]["calls"] == 15
    records = [json.loads(line) for line in (out / "answers.jsonl").read_text().splitlines()]
    assert len(records) == 5 and records[0]["systems"]["agent"]["correct"] is True
    html = (out / "report.html").read_text()
    assert 'id="table-answers"' in html and 'id="plot-answer-accuracy"' in html
    assert "locomo-judge-v1" in (out / "report.md").read_text()

    # a rerun answers from the cache: no model call, no token spent, the same scores
    again_llm, again_fake = client(out / "llm-cache", replies=0)
    again = run_locomo(data, out, ["bm25@20"], settings, llm=again_llm)["answers"]
    assert again_fake.calls == 0 and fake.calls > 0
    for name, block in again["systems"].items():
        assert block["overall"] == first["systems"][name]["overall"]
        assert block["per_question"]["cached_calls"] == block["per_question"]["llm_calls"]
        assert block["per_question"]["prompt_tokens"] == 0


def test_full_context_is_skipped_when_the_conversation_exceeds_the_budget(
    tmp_path: Path, settings: Settings
) -> None:
    data = write_locomo(tmp_path / "locomo")
    llm, _ = client(tmp_path / "cache")
    answers = run_locomo(data, tmp_path / "out", ["bm25@20"], settings, llm=llm, context_budget=50)["answers"]
    assert answers["systems"]["full-context"]["skipped"] == 5
    assert answers["systems"]["full-context"]["overall"]["n"] == 0
    assert answers["systems"]["agent"]["overall"]["n"] == 5


def test_without_an_llm_the_report_says_answers_were_not_run(tmp_path: Path, settings: Settings) -> None:
    data = write_locomo(tmp_path / "locomo")
    results = run_locomo(data, tmp_path / "out", ["bm25@20"], settings, llm=None)
    assert results["answers"]["status"] == "not run"
    assert "no LLM is configured" in results["answers"]["reason"]
    assert "Answer quality was not run" in (tmp_path / "out" / "report.md").read_text()
