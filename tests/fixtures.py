"""Small input files the tests write themselves, in each supported format."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import cli


def tmd_log(sessions: int = 3, turns: int = 4) -> dict[str, Any]:
    data: dict[str, Any] = {"speaker_a": "Ana", "speaker_b": "Ben"}
    number = 0
    for s in range(1, sessions + 1):
        day = 2 + s * 3
        data[f"session_{s}_date_time"] = f"9:00 AM on {day} May, 2023"
        items = []
        for t in range(turns):
            item = {
                "speaker": "Ana" if t % 2 == 0 else "Ben",
                "dia_id": f"D{s}:{t + 1}",
                "text": f"Session {s} turn {t} about topic {s * 10 + t}.",
                "date_time": f"09:0{t}:00 AM on {_weekday(2023, 5, day)} {day:02d} May, 2023",
                "response_number": str(number),
            }
            if s == 2 and t == 1:
                item["img_url"] = ["http://example.invalid/p.jpg"]
                item["blip_caption"] = "a photo of a red bicycle"
            items.append(item)
            number += 1
        data[f"session_{s}"] = items
    return data


def locomo_conversation(sample_id: str | None = "conv-x") -> dict[str, Any]:
    body: dict[str, Any] = {"speaker_a": "Cleo", "speaker_b": "Dan"}
    body["session_1_date_time"] = "1:56 pm on 8 May, 2023"
    body["session_1"] = [
        {"speaker": "Cleo", "dia_id": "D1:1", "text": " ".join(["word"] * 130)},
        {"speaker": "Dan", "dia_id": "D1:2", "text": "Short reply."},
        {"speaker": "Cleo", "dia_id": "D1:3", "text": "Look at this.", "blip_caption": "a dog on a beach"},
    ]
    body["session_2_date_time"] = "10:00 am on 20 May, 2023"
    body["session_2"] = [
        {"speaker": "Dan", "dia_id": "D2:1", "text": "Hello again."},
        {"speaker": "Cleo", "dia_id": "D2:2", "text": "Hi!"},
    ]
    item: dict[str, Any] = {"conversation": body, "qa": []}
    if sample_id:
        item["sample_id"] = sample_id
    return item


def jsonl_lines(conversation: str = "chat", gaps_minutes: tuple[int, ...] = (1, 2, 45, 1)) -> list[dict[str, Any]]:
    from datetime import datetime, timedelta

    moment = datetime(2024, 1, 5, 10, 0)
    lines = [{"conversation": conversation, "speaker": "U", "text": "first", "timestamp": moment.isoformat()}]
    for i, gap in enumerate(gaps_minutes):
        moment += timedelta(minutes=gap)
        lines.append(
            {"conversation": conversation, "speaker": "A" if i % 2 == 0 else "U",
             "text": f"turn {i + 1}", "timestamp": moment.isoformat()}
        )
    return lines


def write_json(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def _weekday(year: int, month: int, day: int) -> str:
    from datetime import date

    return date(year, month, day).strftime("%A")


def run_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """Run the CLI in-process: ``(exit code, stdout, stderr)``."""
    try:
        cli.main(args)
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err
