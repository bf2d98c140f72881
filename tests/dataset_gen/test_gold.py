"""Gold sets computed from the tables agree with gold reasoned out independently from the
transcript records, for every family; plus a few gold sets worked out by hand."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date, datetime, timedelta
from typing import Any

import pytest

from agent.grounding.sessions import EDGE_TURNS as GRAMMAR_EDGE_TURNS
from dataset_gen.anchoring import ASK_AFTER_END, EDGE_TURNS
from dataset_gen.families import ALL_FAMILIES, TIME_FAMILIES
from dataset_gen.generator import GeneratedItem, GenerationConfig, generate_items
from tests.dataset_gen.conftest import Record, SimWorld


def _month_index(d: date) -> int:
    return d.year * 12 + d.month


def expected(family: str, p: dict[str, Any], records: list[Record], asked: datetime) -> set[str]:
    """What each family's reference means, reasoned from the records alone."""
    sessions = sorted({r.session for r in records})
    count = len(sessions)
    today = asked.date()

    def where(test: Any) -> set[str]:
        return {r.turn_id for r in records if test(r)}

    if family in ("session",):
        return where(lambda r: r.session == p["n"])
    if family in ("rel_session", "before_last"):
        return where(lambda r: r.session == count + 1 - p["k"])
    if family in ("dates", "year_date"):
        return where(lambda r: r.at.date() == p["day"])
    if family == "rel_day":
        return where(lambda r: (today - r.at.date()).days == p["k"])
    if family == "day_span":
        return where(lambda r: (today - r.at.date()).days < p["n"])
    if family == "date_span":
        return where(lambda r: p["first"] <= r.at.date() <= p["last"])
    if family == "session_span":
        return where(lambda r: p["first"] <= r.session <= p["last"])
    if family == "month":
        return where(lambda r: (r.at.year, r.at.month) == (p["year"], p["month"]))
    if family == "rel_month":
        return where(lambda r: _month_index(today) - _month_index(r.at.date()) == p["k"])
    if family == "earlier_today":
        return where(lambda r: r.at.date() == today and r.at < asked)
    if family == "last_named_day":
        back = (today - p["day"]).days
        assert 1 <= back <= 7 and p["day"].weekday() == p["weekday"]
        return where(lambda r: r.at.date() == p["day"])
    if family == "session_speaker":
        return where(lambda r: r.session == p["n"] and r.speaker == p["speaker"])
    if family == "session_edge":
        size = sum(1 for r in records if r.session == p["n"])
        if p["edge"] == "start":
            return where(lambda r: r.session == p["n"] and r.index < EDGE_TURNS)
        return where(lambda r: r.session == p["n"] and r.index >= size - EDGE_TURNS)
    if family == "nth_on_day":
        starts = sorted({r.session for r in records if r.index == 0 and r.at.date() == p["day"]})
        return where(lambda r: r.session == starts[p["nth"] - 1])
    if family == "week":
        anchor = p["of"] if "of" in p else today - timedelta(weeks=p["k"])
        week = anchor.isocalendar()[:2]
        return where(lambda r: r.at.date().isocalendar()[:2] == week)
    raise AssertionError(family)


@pytest.fixture(scope="module")
def items(sim_world: SimWorld) -> list[GeneratedItem]:
    return list(generate_items(sim_world.store, config=GenerationConfig(seed=3)))


def test_every_family_is_generated(items: list[GeneratedItem]) -> None:
    assert {i.family for i in items} == set(ALL_FAMILIES)


@pytest.mark.parametrize("family", TIME_FAMILIES)
def test_time_gold_matches_independent_reasoning(
    family: str, items: list[GeneratedItem], sim_world: SimWorld
) -> None:
    asked = sim_world.records[-1].at + ASK_AFTER_END
    mine = [i for i in items if i.family == family]
    assert mine
    for item in mine:
        assert item.asked_at == asked
        assert set(item.relevant_turn_ids) == expected(
            family, item.params, sim_world.records, asked
        ), item.params


def test_content_gold_is_every_turn_in_scope_that_mentions_the_phrase(
    items: list[GeneratedItem], sim_world: SimWorld
) -> None:
    content = [i for i in items if i.family == "content_time"]
    assert len(content) >= 10
    by_id = {r.turn_id: r for r in sim_world.records}
    for item in content:
        p = item.params
        pattern = re.compile(
            r"\b" + r"\s+".join(map(re.escape, p["phrase"].lower().split())) + r"\b"
        )

        def in_scope(r: Record, p: dict[str, Any] = p) -> bool:
            time_ok = {
                "date": lambda: r.at.date() == p.get("day"),
                "session": lambda: r.session == p.get("n"),
                "month": lambda: (r.at.year, r.at.month) == (p.get("year"), p.get("month")),
            }[p["kind"]]()
            return time_ok and (p["speaker"] is None or r.speaker == p["speaker"])

        mentions = {
            r.turn_id for r in sim_world.records if in_scope(r) and pattern.search(r.text.lower())
        }
        assert set(item.relevant_turn_ids) == mentions
        assert p["turn_id"] in mentions and len(mentions) <= 3
        picked = by_id[p["turn_id"]]
        assert all(by_id[t].session == picked.session for t in mentions)
        assert p["phrase"] in item.variants[0][-1].text


def test_hand_checked_gold(items: list[GeneratedItem], sim_world: SimWorld) -> None:
    records = sim_world.records
    last_session = records[-1].session
    by = {(i.family, tuple(sorted((k, str(v)) for k, v in i.params.items()))): i for i in items}

    def gold(family: str, **params: Any) -> tuple[str, ...]:
        return by[(family, tuple(sorted((k, str(v)) for k, v in params.items())))].relevant_turn_ids

    first_session = [r.turn_id for r in records if r.session == 1]
    assert gold("session", n=1) == tuple(first_session) and first_session[0] == "0"
    # "the last session" is the final session; "the time before last" the one before it.
    assert gold("rel_session", k=1, session=last_session)[-1] == records[-1].turn_id
    before = [r.turn_id for r in records if r.session == last_session - 1]
    assert gold("before_last", k=2, session=last_session - 1) == tuple(before)
    # The start of a session is its first five turns, in order, as the grammar reads
    # "at the beginning of"; sessions too short to have a start and an end are not asked.
    sizes = Counter(r.session for r in records)
    n = min(s for s, size in sizes.items() if size > 2 * EDGE_TURNS)
    turns = [r.turn_id for r in records if r.session == n]
    assert EDGE_TURNS == GRAMMAR_EDGE_TURNS == 5
    assert gold("session_edge", n=n, edge="start") == tuple(turns[:5])
    assert gold("session_edge", n=n, edge="end") == tuple(turns[-5:])
