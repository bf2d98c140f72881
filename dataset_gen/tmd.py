"""The TemporalMemoryDataset test layout, written and read.

``<dir>/time_qs/test_<family>.json``, ``<dir>/ambiguous_time_qs/test_<family>.json`` and
``<dir>/content_time_qs/content_time_qs.json``; ``<dir>`` plays the part of the dataset's
``TestData``.  Each file maps ``file_indexes`` to the conversation ids and ``file_<id>`` to
a list of ``{questions: [paraphrases], relevant_docs: [turn numbers]}``; an ambiguous
paraphrase is a dialogue (a list of ``{speaker, text}`` ending with the request).
Numeric ids and turn ids are written as numbers, as the dataset does.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from convmem.errors import InputFormatError
from dataset_gen.generator import GeneratedItem

TIME_DIR, AMBIGUOUS_DIR, CONTENT_DIR = "time_qs", "ambiguous_time_qs", "content_time_qs"
CONTENT_FILE = "content_time_qs.json"


@dataclass(frozen=True)
class TmdItem:
    category: str  # time_qs | ambiguous_time_qs | content_time_qs
    family: str
    conversation_id: str
    questions: tuple[Any, ...]  # strings, or dialogues (tuples of (speaker, text))
    relevant_docs: tuple[str, ...]

    @property
    def first_text(self) -> str:
        """All the words of the first paraphrase (a dialogue's turns joined)."""
        first = self.questions[0]
        return first if isinstance(first, str) else " ".join(text for _, text in first)


def _number(value: str) -> int | str:
    return int(value) if value.isdigit() else value


def _location(item: GeneratedItem) -> tuple[str, str]:
    if item.category == "time_content":
        return CONTENT_DIR, CONTENT_FILE
    return (AMBIGUOUS_DIR if item.ambiguous else TIME_DIR), f"test_{item.family}.json"


def _entry(item: GeneratedItem) -> dict[str, Any]:
    if item.ambiguous:
        questions: list[Any] = [
            [{"speaker": t.speaker, "text": t.text} for t in v] for v in item.variants
        ]
    else:
        questions = [v[-1].text for v in item.variants]
    return {"questions": questions, "relevant_docs": [_number(t) for t in item.relevant_turn_ids]}


def write_tmd(out_dir: Path, items: Iterable[GeneratedItem]) -> int:
    """Write the layout under ``out_dir``; returns the number of items written."""
    files: dict[tuple[str, str], dict[str, list[dict[str, Any]]]] = {}
    count = 0
    for item in items:
        by_conversation = files.setdefault(_location(item), {})
        by_conversation.setdefault(item.conversation_id, []).append(_entry(item))
        count += 1
    for (folder, name), by_conversation in sorted(files.items()):
        payload: dict[str, Any] = {"file_indexes": [_number(c) for c in by_conversation]}
        for conversation_id, entries in by_conversation.items():
            payload[f"file_{conversation_id}"] = entries
        path = out_dir / folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(payload, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        tmp.replace(path)
    return count


def _family_of(path: Path) -> str:
    if path.parent.name == CONTENT_DIR:
        return "content_time"
    return path.stem.removeprefix("test_")


def _paraphrase(raw: Any, path: Path, where: str) -> Any:
    if isinstance(raw, str):
        return raw
    if isinstance(raw, list) and all(isinstance(t, dict) and "text" in t for t in raw):
        return tuple((str(t.get("speaker", "")), str(t["text"])) for t in raw)
    raise InputFormatError(path, where, "a question is a string or a list of {speaker, text}")


def read_tmd(test_dir: Path) -> list[TmdItem]:
    """Every item under a TestData-style directory, in file order."""
    items: list[TmdItem] = []
    paths = sorted(test_dir.glob(f"{TIME_DIR}/*.json")) + sorted(
        test_dir.glob(f"{AMBIGUOUS_DIR}/*.json")
    )
    paths += sorted(test_dir.glob(f"{CONTENT_DIR}/*.json"))
    if not paths:
        raise InputFormatError(
            test_dir, "", f"no {TIME_DIR}/, {AMBIGUOUS_DIR}/ or {CONTENT_DIR}/ files"
        )
    for path in paths:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise InputFormatError(path, "", f"cannot read ({exc.__class__.__name__})") from None
        for key, entries in data.items():
            if not key.startswith("file_") or key == "file_indexes":
                continue
            for number, entry in enumerate(entries):
                where = f"{key}[{number}]"
                if (
                    not isinstance(entry, dict)
                    or "questions" not in entry
                    or "relevant_docs" not in entry
                ):
                    raise InputFormatError(path, where, "expected {questions, relevant_docs}")
                items.append(
                    TmdItem(
                        path.parent.name,
                        _family_of(path),
                        key.removeprefix("file_"),
                        tuple(_paraphrase(q, path, where) for q in entry["questions"]),
                        tuple(str(d) for d in entry["relevant_docs"]),
                    )
                )
    return items
