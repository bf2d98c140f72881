"""The offline simulator: realistic, recurring, deterministic, streamed."""

from __future__ import annotations

import itertools
import json
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from convmem.errors import ConfigError
from dataset_gen.simulator import SimulationConfig, simulate, write_conversations
from dataset_gen.simulator.schedule import WORDS_PER_MINUTE


@pytest.fixture(scope="module")
def records() -> list[dict]:
    return list(simulate(SimulationConfig(sessions=60, conversations=3, seed=21)))


def test_records_have_the_transcript_fields(records: list[dict]) -> None:
    assert all(
        set(r) == {"conversation", "speaker", "text", "timestamp", "turn_id", "session"}
        for r in records
    )
    assert {r["conversation"] for r in records} == {"sim-0001", "sim-0002", "sim-0003"}
    for conversation in ("sim-0001", "sim-0002"):
        mine = [r for r in records if r["conversation"] == conversation]
        assert [r["turn_id"] for r in mine] == [str(i) for i in range(len(mine))]
        assert len({r["speaker"] for r in mine}) == 2
        assert max(r["session"] for r in mine) == 60


def test_timestamps_look_like_real_chats(records: list[dict]) -> None:
    mine = [r for r in records if r["conversation"] == "sim-0001"]
    times = [datetime.fromisoformat(r["timestamp"]) for r in mine]
    assert times == sorted(times)
    starts = {}
    for r, t in zip(mine, times, strict=True):
        starts.setdefault(r["session"], t)
    pairs = list(itertools.pairwise(starts.values()))
    gaps = [b - a for a, b in pairs]
    same_day = sum(1 for a, b in pairs if a.date() == b.date())
    assert same_day >= 1 and any(g > timedelta(days=7) for g in gaps)
    assert len({t.hour for t in starts.values()}) >= 8  # varied times of day
    for (before, after), (r0, r1) in zip(
        itertools.pairwise(times), itertools.pairwise(mine), strict=True
    ):
        if r0["session"] == r1["session"]:
            spoken = len(r0["text"].split()) * 60 / WORDS_PER_MINUTE
            assert spoken <= (after - before).total_seconds() <= spoken + 10


def test_events_recur_across_sessions(records: list[dict]) -> None:
    mine = [r for r in records if r["conversation"] == "sim-0001"]
    text_by_session: dict[int, str] = {}
    for r in mine:
        text_by_session[r["session"]] = text_by_session.get(r["session"], "") + " " + r["text"]
    follow_ups = [
        t for t in text_by_session.values() if "How is" in t or "Still" in t or "Did you" in t
    ]
    assert len(follow_ups) >= 10
    capitals = Counter(
        w for t in text_by_session.values() for w in set(t.split()) if w[:1].isupper()
    )
    assert sum(1 for n in capitals.values() if n >= 5) >= 5  # names and places that come back


def test_same_seed_same_bytes_and_streamed(tmp_path: Path) -> None:
    config = SimulationConfig(sessions=10, conversations=2, seed=4)
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    stats = write_conversations(a, config)
    write_conversations(b, config)
    assert a.read_bytes() == b.read_bytes()
    assert stats.conversations == 2 and stats.sessions == 20
    assert stats.turns == len(a.read_text().splitlines())
    assert not list(tmp_path.glob("*.tmp"))
    other = tmp_path / "c.jsonl"
    write_conversations(other, SimulationConfig(sessions=10, conversations=2, seed=5))
    assert other.read_bytes() != a.read_bytes()
    # Conversation 2 does not depend on how many conversations are asked for.
    first_two = [json.loads(x) for x in a.read_text().splitlines() if '"sim-0002"' in x]
    three = [
        r
        for r in simulate(SimulationConfig(sessions=10, conversations=3, seed=4))
        if r["conversation"] == "sim-0002"
    ]
    assert first_two == three


def test_turn_budget_stops_exactly() -> None:
    got = list(simulate(SimulationConfig(sessions=8, conversations=None, max_turns=1234, seed=2)))
    assert len(got) == 1234 and len({r["conversation"] for r in got}) > 1


@pytest.mark.parametrize(
    "kwargs",
    [{"sessions": 0}, {"conversations": None}, {"turns_per_session": (2, 3)}, {"id_prefix": "a#b"}],
)
def test_bad_configuration_is_refused(kwargs: dict) -> None:
    with pytest.raises(ConfigError):
        SimulationConfig(**kwargs)
