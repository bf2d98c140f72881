"""The project's question format: one JSON object per line.

Fields: ``id``, ``conversation_id``, ``asked_at`` (ISO 8601, the conversation's local
time), ``context`` (list of ``{speaker, text}`` before the question, empty when none),
``question``, ``category`` (``time``, ``time_content`` or ``content``), ``subtype``,
``ambiguous`` (bool), ``relevant_turn_ids`` (strings, in the source's own numbering).
The dataset generator writes it, ``convmem eval questions`` reads it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from convmem.errors import InputFormatError
from convmem.timeutil import parse_iso
from convmem.types import DialogueTurn, Question

CATEGORIES = ("time", "time_content", "content")
REQUIRED = ("id", "conversation_id", "asked_at", "question", "category", "relevant_turn_ids")


def question_to_dict(q: Question) -> dict[str, Any]:
    return {
        "id": q.id,
        "conversation_id": q.conversation_id,
        "asked_at": q.asked_at.isoformat(),
        "context": [{"speaker": t.speaker, "text": t.text} for t in q.context],
        "question": q.question,
        "category": q.category,
        "subtype": q.subtype,
        "ambiguous": q.ambiguous,
        "relevant_turn_ids": list(q.relevant_turn_ids),
    }


def question_from_dict(item: Any, path: object = "<questions>", where: str = "") -> Question:
    if not isinstance(item, dict):
        raise InputFormatError(path, where, "expected a JSON object")
    for key in REQUIRED:
        if key not in item:
            raise InputFormatError(path, where, f"missing {key!r}")
    if item["category"] not in CATEGORIES:
        raise InputFormatError(
            path, where, f"category {item['category']!r} is not one of {', '.join(CATEGORIES)}"
        )
    try:
        asked_at = parse_iso(str(item["asked_at"]))
    except ValueError as exc:
        raise InputFormatError(path, f"{where}: asked_at", str(exc)) from None
    context = item.get("context") or []
    if not isinstance(context, list) or not all(isinstance(t, dict) and "text" in t for t in context):
        raise InputFormatError(path, f"{where}: context", "expected a list of {speaker, text}")
    relevant = item["relevant_turn_ids"]
    if not isinstance(relevant, list):
        raise InputFormatError(path, f"{where}: relevant_turn_ids", "expected a list")
    question = str(item["question"]).strip()
    if not question:
        raise InputFormatError(path, f"{where}: question", "empty question")
    return Question(
        id=str(item["id"]),
        conversation_id=str(item["conversation_id"]),
        asked_at=asked_at,
        question=question,
        category=str(item["category"]),
        subtype=str(item.get("subtype") or "all"),
        relevant_turn_ids=tuple(str(t) for t in relevant),
        context=tuple(DialogueTurn(str(t.get("speaker", "")), str(t["text"])) for t in context),
        ambiguous=bool(item.get("ambiguous", False)),
    )


def read_questions(path: Path) -> Iterator[Question]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise InputFormatError(path, "", f"cannot read file ({exc.__class__.__name__})") from None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputFormatError(path, f"line {number}", f"malformed JSON ({exc.msg})") from None
        yield question_from_dict(item, path, f"line {number}")


def write_questions(path: Path, questions: Iterable[Question]) -> int:
    """Write atomically (temp file, then rename); returns the number written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    count = 0
    with tmp.open("w", encoding="utf-8") as handle:
        for q in questions:
            handle.write(json.dumps(question_to_dict(q), ensure_ascii=False) + "\n")
            count += 1
    tmp.replace(path)
    return count
