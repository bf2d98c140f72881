"""The grammar on everyday recap phrasings: recap words, session edges said as clauses,
the n-th session on a named day, the time before last, calendar weeks and named days.
Phrasings of our own; same conversation and moment as ``test_grounding``."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from agent.context import carry_time_anchors
from agent.disambiguate import ContextDisambiguator
from agent.grounding import content_words, ground
from agent.grounding.types import DaySpan, RowPosition, SessionPick
from agent.planners.rules import plan_question
from convmem.retrieval.plan import Select
from convmem.types import DialogueTurn
from tests.agent.test_grounding import ASKED, FACTS


def content(text: str) -> list[str]:
    return content_words(ground(text, FACTS).residual, FACTS.speakers)


@pytest.mark.parametrize(
    "text",
    [
        "I can't recall the gist of what we went over in our 2nd chat",
        "Give me a quick rundown of the highlights from last week.",
        "What stuff did we touch on in session 4?",
        "Refresh my memory, what got brought up on Feb 2nd?",
        "Could you outline the key takeaways from our last call?",
        "I forget what came up yesterday, what was it again?",
        "What did we share and revisit two sessions ago?",
        "What were Priya's main points in session 3?",
        "Give me Tom's key points from our 1st meeting",
        "Could you run me through the main themes of session 5?",
    ],
)
def test_recap_words_are_not_content(text: str) -> None:
    g = ground(text, FACTS)
    assert g.has_time
    assert content(text) == []


def test_content_survives_next_to_recap_words() -> None:
    assert content("What recipe did Priya share last week?") == ["recipe"]
    assert content("remind me which trail came up in our 3rd session") == ["trail"]


@pytest.mark.parametrize(
    ("text", "speakers"),
    [
        ("What were Priya's main points in session 3?", ["Priya Shah"]),
        ("list Tom's key takeaways from last time", ["Tom"]),
        ("what were Priya's thoughts on the move", ["Priya Shah"]),
    ],
)
def test_a_speakers_points_filter_to_that_speaker(text: str, speakers: list[str]) -> None:
    assert ground(text, FACTS).speakers == speakers


@pytest.mark.parametrize(
    ("text", "position", "pick"),
    [
        ("what was said just as our 4th call was winding down", "last", SessionPick(4)),
        ("how did session 6 kick off", "first", SessionPick(6)),
        ("what did we kick off our second meeting with", "first", SessionPick(2)),
        ("when our previous conversation got started, what did we cover", "first", SessionPick(-1, from_now=True)),
        ("as that chat came to an end", "last", None),
        ("how did it finish", "last", None),
        ("how did our seventh discussion conclude?", "last", SessionPick(7)),
        ("what did we say at the very outset of our 5th session", "first", SessionPick(5)),
    ],
)
def test_session_edges_said_as_clauses(text: str, position: str, pick: SessionPick | None) -> None:
    g = ground(text, FACTS)
    assert g.position == RowPosition(position, 5)
    assert g.session_pick == pick
    assert content(text) == []


@pytest.mark.parametrize(
    "text",
    [
        "we ended up talking about bikes in session 3",
        "how did Tom end up at the bakery",
        "the session ended with a joke about cats",
        "how did we start talking about gardening",
    ],
)
def test_edge_words_in_other_senses_are_not_positions(text: str) -> None:
    assert ground(text, FACTS).position is None


@pytest.mark.parametrize(
    ("text", "pick", "day"),
    [
        ("our second call on Tuesday, February 6th", SessionPick(2), date(2024, 2, 6)),
        ("in the 1st session on Monday the 4th of March", SessionPick(1), date(2024, 3, 4)),
        ("our final chat on Friday January 19th", SessionPick(-1, from_now=True), date(2024, 1, 19)),
    ],
)
def test_a_weekday_before_a_date_names_that_date(text: str, pick: SessionPick, day: date) -> None:
    g = ground(text, FACTS)
    assert g.session_pick == pick
    assert g.day_spans == [DaySpan(day, day)]
    assert g.weekdays == []


@pytest.mark.parametrize(
    "text",
    [
        "not our latest chat but the one before it",
        "not last time, the time before",
        "the conversation before our most recent one",
        "in our next-to-last session",
        "the last but one conversation",
        "the discussion before the previous one",
    ],
)
def test_the_time_before_last(text: str) -> None:
    g = ground(text, FACTS)
    assert g.session_pick == SessionPick(-2, from_now=True)
    assert content(text) == []


@pytest.mark.parametrize(
    ("text", "start"),
    [
        ("in the week of February 14th", date(2024, 2, 12)),
        ("during the week including the 2nd of January, 2024", date(2024, 1, 1)),
        ("the week of Sunday, March 3rd", date(2024, 2, 26)),
        ("during the previous week", date(2024, 3, 4)),
        ("the week before this one", date(2024, 3, 4)),
        ("five weeks ago", date(2024, 2, 5)),
        ("in the week 3 weeks back", date(2024, 2, 19)),
    ],
)
def test_calendar_weeks(text: str, start: date) -> None:
    assert ground(text, FACTS).day_spans == [DaySpan(start, start + timedelta(days=6))]


def test_so_far_this_week_is_monday_through_today() -> None:
    assert ground("what came up so far this week", FACTS).day_spans == [DaySpan(date(2024, 3, 11), date(2024, 3, 13))]
    assert content("what came up so far this week") == []


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("on the most recent Saturday", date(2024, 3, 9)),
        ("the previous Tuesday", date(2024, 3, 12)),
        ("on the last Wednesday", date(2024, 3, 6)),
        ("this past Sunday", date(2024, 3, 10)),
    ],
)
def test_the_most_recent_named_day(text: str, day: date) -> None:
    g = ground(text, FACTS)
    assert g.day_spans == [DaySpan(day, day)] and g.weekdays == []


def test_the_last_n_days_select_sessions_by_their_start() -> None:
    plan = plan_question("c", "what did we talk about in the past two days", FACTS).plan
    assert Select("session_start", ">=", ASKED - timedelta(days=2)) in plan.operations
    assert Select("session_start", "<", datetime(2024, 3, 14)) in plan.operations


def test_an_edge_asked_after_the_session_was_named_earlier() -> None:
    context = (DialogueTurn("Tom", "I was thinking about our fifth session."), DialogueTurn("Priya Shah", "Sure."))
    resolved = carry_time_anchors("How did it wrap up?", context, FACTS)
    assert resolved.grounding.session_pick == SessionPick(5)
    assert resolved.grounding.position == RowPosition("last", 5)


def test_a_session_noun_before_a_singular_unit_is_no_session_number() -> None:
    g = ground("We had such a good chat 1 month ago.", FACTS)
    assert g.session_pick is None
    assert g.day_spans == [DaySpan(date(2024, 2, 1), date(2024, 2, 29))]


@pytest.mark.parametrize(
    "text",
    [
        "the session prior to the last one",
        "the chat preceding our most recent one",
    ],
)
def test_prior_to_and_preceding_mean_before(text: str) -> None:
    assert ground(text, FACTS).session_pick == SessionPick(-2, from_now=True)


def test_initial_and_earliest_mean_the_first_session() -> None:
    assert ground("in our initial conversation", FACTS).session_pick == SessionPick(1)
    assert ground("what came up in the earliest session", FACTS).session_pick == SessionPick(1)


@pytest.mark.parametrize(
    ("text", "day", "part"),
    [
        ("on the morning of March 3rd", date(2024, 3, 3), "morning"),
        ("last Tuesday evening", date(2024, 3, 12), "evening"),
        ("the afternoon of the 2nd of March", date(2024, 3, 2), "afternoon"),
    ],
)
def test_a_part_of_a_named_day(text: str, day: date, part: str) -> None:
    g = ground(text, FACTS)
    assert g.day_spans == [DaySpan(day, day)] and g.parts_of_day == [part]
    assert content(text) == []


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("what did we talk about on the 5th", date(2024, 3, 5)),
        ("on the 20th", date(2024, 2, 20)),
        ("on the 31st", date(2024, 1, 31)),
    ],
)
def test_a_bare_day_of_the_month_is_its_latest_occurrence(text: str, day: date) -> None:
    assert ground(text, FACTS).day_spans == [DaySpan(day, day)]


def test_weekends_fortnights_and_hours() -> None:
    assert ground("what did we chat about over the weekend", FACTS).day_spans == [
        DaySpan(date(2024, 3, 9), date(2024, 3, 10))
    ]
    assert ground("a fortnight ago", FACTS).day_spans == [DaySpan(date(2024, 2, 26), date(2024, 3, 3))]
    g = ground("in the past 36 hours", FACTS)
    assert g.windows[0].start == ASKED - timedelta(hours=36) and g.windows[0].end == ASKED


@pytest.mark.parametrize(
    ("text", "speakers"),
    [
        ("What did Priya have to say in session 3?", ["Priya Shah"]),
        ("what was Priya talking about on March 3rd", ["Priya Shah"]),
        ("Priya's side of our 2nd chat", ["Priya Shah"]),
        ("what was said by Priya last time", ["Priya Shah"]),
        ("what was mentioned by me yesterday", ["Tom"]),
        ("what did Priya end up saying in session 4", ["Priya Shah"]),
        ("which topics did Priya discuss yesterday", ["Priya Shah"]),
        ("what did Priya and Tom talk about yesterday", []),
        ("what did I discuss with Priya yesterday", []),
        ("did you discuss hiking in session 2", []),
        ("let me tell you about session 2", []),
    ],
)
def test_more_ways_to_say_who_spoke(text: str, speakers: list[str]) -> None:
    assert ground(text, FACTS).speakers == speakers


def test_my_and_your_points_are_the_asker_and_the_partner() -> None:
    assert ground("what were my main points in session 2", FACTS).speakers == ["Tom"]
    assert ground("your key takeaways from last time", FACTS).speakers == ["Priya Shah"]


@pytest.mark.parametrize(
    ("turns", "ask"),
    [
        ((("Priya Shah", "That chat of ours 2 weeks back was fun."), ("Tom", "It was!"),
          ("Priya Shah", "Want me to recap it?")), "Please, go ahead."),
        ((("Tom", "I was looking at my notes from 2 weeks back."), ("Priya Shah", "Oh yes.")),
         "Could you give me the gist?"),
    ],
)
def test_a_bare_go_ahead_inherits_the_dialogues_time(turns: tuple[tuple[str, str], ...], ask: str) -> None:
    resolved = ContextDisambiguator().rewrite(ask, tuple(DialogueTurn(s, t) for s, t in turns), FACTS).resolved
    assert resolved.grounding.day_spans == [DaySpan(date(2024, 2, 26), date(2024, 3, 3))]
    assert content_words(resolved.grounding.residual, FACTS.speakers) == []


@pytest.mark.parametrize(
    ("text", "pick"),
    [
        ("our conversation from 2 sessions before", SessionPick(-2, from_now=True)),
        ("3 chats earlier", SessionPick(-3, from_now=True)),
        ("the third-most-recent session", SessionPick(-3, from_now=True)),
        ("the 2nd latest chat", SessionPick(-2, from_now=True)),
        ("when we talked for the fourth time", SessionPick(4)),
        ("the 3rd time we got together", SessionPick(3)),
        ("the last time we caught up", SessionPick(-1, from_now=True)),
    ],
)
def test_more_session_counts(text: str, pick: SessionPick) -> None:
    assert ground(text, FACTS).session_pick == pick


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("the day after March 3rd", date(2024, 3, 4), date(2024, 3, 4)),
        ("the day before the 14th of February", date(2024, 2, 13), date(2024, 2, 13)),
        ("Monday last week", date(2024, 3, 4), date(2024, 3, 4)),
        ("last week on Thursday", date(2024, 3, 7), date(2024, 3, 7)),
        ("a week ago today", date(2024, 3, 6), date(2024, 3, 6)),
        ("what did we discuss last summer", date(2023, 6, 1), date(2023, 8, 31)),
        ("in the fall", date(2023, 9, 1), date(2023, 11, 30)),
        ("during the summer of 2023", date(2023, 6, 1), date(2023, 8, 31)),
    ],
)
def test_days_beside_dates_weekdays_of_weeks_and_seasons(text: str, start: date, end: date) -> None:
    g = ground(text, FACTS)
    assert g.day_spans == [DaySpan(start, end)] and g.weekdays == []


def test_a_season_without_a_frame_is_no_time() -> None:
    assert ground("what were her summer plans", FACTS).day_spans == []


@pytest.mark.parametrize(
    ("text", "pick"),
    [
        ("in our last convo", SessionPick(-1, from_now=True)),
        ("during our 3rd catch-up", SessionPick(3)),
        ("session no. 4", SessionPick(4)),
        ("the 2nd interaction we had", SessionPick(2)),
    ],
)
def test_other_names_for_a_session(text: str, pick: SessionPick) -> None:
    assert ground(text, FACTS).session_pick == pick
    assert content(text) == []


@pytest.mark.parametrize(
    "text",
    [
        "Walk me through our 3rd chat",
        "Can you fill me in on what took place in session 2?",
        "Jog my memory about last Tuesday",
        "What ground did we cover yesterday?",
        "Catch me up on our last conversation",
    ],
)
def test_recap_phrases_are_not_content(text: str) -> None:
    assert content(text) == []


@pytest.mark.parametrize(
    ("text", "word"),
    [
        ("What did Tom say about his run in May?", "run"),
        ("What did we say about the new place last week?", "place"),
        ("Tell me about the walking group from session 2", "walking"),
        ("What was that memory of the beach in our first chat?", "memory"),
        ("Did we talk about the catch we made fishing yesterday?", "catch"),
    ],
)
def test_the_same_words_outside_a_recap_phrase_are_content(text: str, word: str) -> None:
    assert word in content(text)
