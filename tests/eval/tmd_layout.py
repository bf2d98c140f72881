"""A tiny TemporalMemoryDataset checkout written by the tests: one log of two sessions
and one test file per section, with answers a BM25 ranking makes easy to work out by hand."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

SESSIONS = [
    (datetime(2023, 5, 1, 9, 0), [
        ("Ana", "I signed up for a pottery class downtown."),
        ("Ben", "Pottery sounds relaxing, what will you make first?"),
        ("Ana", "A blue bowl for my grandmother."),
        ("Ben", "She will love the bowl."),
    ]),
    (datetime(2023, 5, 5, 18, 0), [
        ("Ana", "We hiked up the volcano trail yesterday."),
        ("Ben", "Did you see the crater lake?"),
        ("Ana", "Yes, the lake was green and cold."),
        ("Ben", "Next time I want to join the hike."),
    ]),
]
LAST_SESSION_START = SESSIONS[-1][0]
DIALOGUE = [
    {"speaker": "Ana", "text": "I see in my calendar we talked quite a bit in our second session."},
    {"speaker": "Ben", "text": "Yes! I always enjoy our chats."},
    {"speaker": "Ana", "text": "Can you summarize what we discussed about the lake?"},
]


def spoken(moment: datetime) -> str:
    return moment.strftime("%I:%M:%S %p on %A %d %B, %Y")


def tmd_log() -> dict[str, Any]:
    data: dict[str, Any] = {"speaker_a": "Ana", "speaker_b": "Ben"}
    number = 0
    for s, (start, turns) in enumerate(SESSIONS, start=1):
        data[f"session_{s}_date_time"] = start.strftime("%I:%M %p on %d %B, %Y")
        items = []
        for t, (speaker, text) in enumerate(turns):
            moment = start.replace(minute=t)
            items.append({"speaker": speaker, "dia_id": f"D{s}:{t + 1}", "text": text,
                          "date_time": spoken(moment), "response_number": number})
            number += 1
        data[f"session_{s}"] = items
    return data


def write_tmd(root: Path, conversation: str = "7") -> Path:
    """Write the checkout under ``root`` and return it."""
    (root / "ConversationData").mkdir(parents=True)
    (root / "ConversationData" / f"{conversation}.json").write_text(json.dumps(tmd_log()))
    tests = {
        "time_qs/test_session.json": [{
            "questions": ["What did we discuss in our first session?",
                          "Tell me what we talked about in our 1st discussion."],
            "relevant_docs": [0, 1, 2, 3],
        }],
        "ambiguous_time_qs/test_session.json": [{"questions": [DIALOGUE], "relevant_docs": [4, 5, 6, 7]}],
        "content_time_qs/content_time_qs.json": [
            {"questions": ["What did Ana say about the pottery class?"], "relevant_docs": [0]},
            {"questions": ["A question the authors left without answers"], "relevant_docs": []},
        ],
    }
    for name, entries in tests.items():
        path = root / "TestData" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"file_indexes": [int(conversation)], f"file_{conversation}": entries}))
    return root


# What bm25@4 retrieves, worked out by hand (stop words dropped, BM25 over the 8 turns):
# "...first session?" -> turn 1 ("first"); "...1st discussion." -> nothing;
# "...about the lake?" -> turns 5 and 6; "...pottery class?" -> turns 0 and 1.
F2_QUARTER = 5 * 1.0 * 0.25 / (4 * 1.0 + 0.25)
EXPECTED_BM25 = {
    "time/session": {"n": 2, "recall": 0.125, "precision": 0.5, "f1": 0.2, "f2": F2_QUARTER / 2},
    "ambiguous/session": {"n": 1, "recall": 0.5, "precision": 1.0, "f1": 2 / 3, "f2": 2.5 / 4.5},
    "time_content/all": {"n": 1, "recall": 1.0, "precision": 0.5, "f1": 2 / 3, "f2": 2.5 / 3},
}
