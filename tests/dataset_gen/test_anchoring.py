"""The paper's anchoring on a hand-made log whose answers are worked out by hand, and the
calendar anchoring's different reading of the same references."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from convmem.embed.hashing import HashEmbedder
from convmem.storage.loaders import load_paths
from convmem.storage.memory import MemoryStore
from dataset_gen.anchoring import CALENDAR, PAPER, Anchoring
from dataset_gen.generator import GenerationConfig, generate_items
from tests.fixtures import write_json

# (start, turns): session 5 begins at the moment of asking under the paper's anchoring.
SESSIONS = (
    (datetime(2023, 5, 1, 8, 0), 3),  # turns 0-2
    (datetime(2023, 5, 20, 10, 0), 3),  # 3-5: 11 days 23 h before asking
    (datetime(2023, 5, 29, 9, 30), 2),  # 6-7: 2 days 23.5 h before (3 calendar days)
    (datetime(2023, 6, 1, 8, 0), 2),  # 8-9: earlier the same day
    (datetime(2023, 6, 1, 9, 0), 2),  # 10-11: the session in progress
)


def tmd_log() -> dict[str, Any]:
    data: dict[str, Any] = {"speaker_a": "Ana", "speaker_b": "Ben"}
    number = 0
    for index, (start, count) in enumerate(SESSIONS, start=1):
        data[f"session_{index}_date_time"] = start.strftime("%I:%M %p on %d %B, %Y")
        turns = []
        for t in range(count):
            moment = start + timedelta(minutes=t)
            turns.append(
                {
                    "speaker": "Ana" if t % 2 == 0 else "Ben",
                    "dia_id": f"D{index}:{t + 1}",
                    "text": f"Session {index} remark {t}.",
                    "response_number": number,
                    "date_time": moment.strftime("%I:%M:%S %p on %A %d %B, %Y"),
                }
            )
            number += 1
        data[f"session_{index}"] = turns
    return data


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Any:
    root = tmp_path_factory.mktemp("anchor")
    log = write_json(root / "7.json", tmd_log())
    memory = MemoryStore(root / "store", HashEmbedder(64))
    memory.ingest(load_paths([log]))
    yield memory
    memory.close()


def golds(
    store: MemoryStore, anchoring: Anchoring, family: str
) -> list[tuple[dict[str, Any], list[int]]]:
    config = GenerationConfig(families=(family,), anchoring=anchoring)
    return [
        (i.params, [int(t) for t in i.relevant_turn_ids])
        for i in generate_items(store, config=config)
    ]


def by(store: MemoryStore, anchoring: Anchoring, family: str, key: str) -> dict[Any, list[int]]:
    return {p[key]: g for p, g in golds(store, anchoring, family)}


def test_paper_asks_as_the_last_session_begins(store: MemoryStore) -> None:
    items = list(
        generate_items(store, config=GenerationConfig(families=("session",), anchoring=PAPER))
    )
    assert items[0].asked_at == datetime(2023, 6, 1, 9, 0)
    # The paper asks about ordinal sessions 1..S-3.
    assert [i.params["n"] for i in items] == [1, 2]


def test_paper_counts_the_session_in_progress(store: MemoryStore) -> None:
    rel = by(store, PAPER, "rel_session", "k")
    assert rel[1] == [10, 11] and rel[2] == [8, 9] and rel[5] == [0, 1, 2]
    assert by(store, PAPER, "rel_month", "k") == {0: [8, 9, 10, 11], 1: [0, 1, 2, 3, 4, 5, 6, 7]}


def test_paper_days_are_elapsed_24h_periods_from_session_start(store: MemoryStore) -> None:
    assert by(store, PAPER, "rel_day", "k") == {
        11: [3, 4, 5],
        31: [0, 1, 2],
        2: [6, 7],
        0: [8, 9, 10, 11],
    }
    assert by(store, PAPER, "day_span", "n") == {3: [6, 7, 8, 9, 10, 11], 7: [6, 7, 8, 9, 10, 11]}


def test_paper_earlier_today_excludes_the_session_in_progress(store: MemoryStore) -> None:
    assert golds(store, PAPER, "earlier_today") == [({"part": "morning"}, [8, 9])]


def test_paper_dates_are_one_question_per_session(store: MemoryStore) -> None:
    found = golds(store, PAPER, "dates")
    june_first = [g for p, g in found if p["day"] == datetime(2023, 6, 1).date()]
    assert june_first == [[8, 9], [10, 11]]


def test_paper_last_named_day_is_the_latest_earlier_day_with_talk(store: MemoryStore) -> None:
    # Asked on Thursday 1 June; the latest earlier day with turns is Monday 29 May.
    assert golds(store, PAPER, "last_named_day") == [
        ({"weekday": 0, "day": datetime(2023, 5, 29).date()}, [6, 7])
    ]


def test_calendar_reads_the_same_references_by_calendar_day(store: MemoryStore) -> None:
    # Asked one minute after the last turn (09:01 on 1 June); session 3 was 3 calendar days ago.
    rel = by(store, CALENDAR, "rel_day", "k")
    assert rel[3] == [6, 7] and rel[0] == [8, 9, 10, 11] and 2 not in rel
    days = golds(store, CALENDAR, "dates")
    assert [g for p, g in days if p["day"] == datetime(2023, 6, 1).date()] == [[8, 9, 10, 11]]
    assert golds(store, CALENDAR, "earlier_today")[0][1] == [8, 9, 10, 11]
    assert by(store, CALENDAR, "rel_session", "k")[1] == [10, 11]


def test_asked_at_can_be_set(store: MemoryStore) -> None:
    moment = datetime(2023, 5, 29, 12, 0)
    config = GenerationConfig(families=("rel_session", "rel_day"), asked_at=moment)
    items = list(generate_items(store, config=config))
    assert all(i.asked_at == moment for i in items)
    seen = {int(t) for i in items for t in i.relevant_turn_ids}
    assert seen == set(range(8))  # nothing spoken after the moment of asking
    rel = {i.params["k"]: i.relevant_turn_ids for i in items if i.family == "rel_session"}
    assert rel[1] == ("6", "7")


def test_unknown_conversation_is_a_clear_error(store: MemoryStore, tmp_path: Path) -> None:
    from convmem.errors import NotFoundError

    with pytest.raises(NotFoundError, match="nope"):
        list(generate_items(store, ["nope"]))
