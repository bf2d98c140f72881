"""The temporal grammar, construction by construction, with phrasings of our own."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from agent.grounding import ConversationFacts, content_words, ground
from agent.grounding.normalize import normalize
from agent.grounding.types import DaySpan, RowPosition, SessionPick, SessionSpan, Window
from convmem.types import Session

# Asked on Wednesday 2024-03-13 at 15:30; 12 sessions, the last one this morning.
ASKED = datetime(2024, 3, 13, 15, 30)
SESSIONS = tuple(
    Session("c", i, datetime(2024, 1, 1, 9) + timedelta(days=6 * (i - 1)),
            datetime(2024, 1, 1, 10) + timedelta(days=6 * (i - 1)), 10)
    for i in range(1, 13)
)
FACTS = ConversationFacts(ASKED, ("Priya Shah", "Tom"), SESSIONS, asker="Tom")


def d(y: int, m: int, day: int) -> date:
    return date(y, m, day)


def spans(text: str) -> list[DaySpan]:
    return ground(text, FACTS).day_spans


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("we spoke 3 days ago", "we spoke 3 days ago"),
        ("three days back", "3 days back"),
        ("twenty-one sessions", "21 sessions"),
        ("one hundred and five days", "105 days"),
        ("a hundred sixty-seven days", "167 days"),
        ("our third chat", "our 3th chat"),
        ("our 3rd chat", "our 3th chat"),
        ("the twenty-second of May", "the 22th of may"),
        ("a couple of weeks", "2 weeks"),
    ],
)
def test_numbers_become_digits(text: str, expected: str) -> None:
    assert normalize(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("What came up on Feb 2nd?", DaySpan(d(2024, 2, 2), d(2024, 2, 2))),
        ("anything on the 5th of March?", DaySpan(d(2024, 3, 5), d(2024, 3, 5))),
        ("recap of March fifth please", DaySpan(d(2024, 3, 5), d(2024, 3, 5))),
        ("what about 3 January", DaySpan(d(2024, 1, 3), d(2024, 1, 3))),
        # no year: the most recent one on or before today
        ("what did we cover on December 24th", DaySpan(d(2023, 12, 24), d(2023, 12, 24))),
        ("on June 9th, 2023?", DaySpan(d(2023, 6, 9), d(2023, 6, 9))),
        ("on 2024-01-19", DaySpan(d(2024, 1, 19), d(2024, 1, 19))),
    ],
)
def test_dates(text: str, expected: DaySpan) -> None:
    assert spans(text) == [expected]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("between Jan 7th and Feb 1st", DaySpan(d(2024, 1, 7), d(2024, 2, 1))),
        ("from the 7th of January to the 1st of February", DaySpan(d(2024, 1, 7), d(2024, 2, 1))),
        ("January 7th through February first", DaySpan(d(2024, 1, 7), d(2024, 2, 1))),
        ("between February 3rd and 10th", DaySpan(d(2024, 2, 3), d(2024, 2, 10))),
        ("from December to February", DaySpan(d(2023, 12, 1), d(2024, 2, 29))),
        ("since February 20th", DaySpan(d(2024, 2, 20), d(2024, 3, 13))),
    ],
)
def test_spans(text: str, expected: DaySpan) -> None:
    assert spans(text) == [expected]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("what did we do in February", DaySpan(d(2024, 2, 1), d(2024, 2, 29))),
        ("in May", DaySpan(d(2023, 5, 1), d(2023, 5, 31))),
        ("during july 2023", DaySpan(d(2023, 7, 1), d(2023, 7, 31))),
        ("last month", DaySpan(d(2024, 2, 1), d(2024, 2, 29))),
        ("this month", DaySpan(d(2024, 3, 1), d(2024, 3, 13))),
        ("two months ago", DaySpan(d(2024, 1, 1), d(2024, 1, 31))),
        ("5 months ago", DaySpan(d(2023, 10, 1), d(2023, 10, 31))),
        ("the month before last", DaySpan(d(2024, 1, 1), d(2024, 1, 31))),
        ("in 2023", DaySpan(d(2023, 1, 1), d(2023, 12, 31))),
        ("last year", DaySpan(d(2023, 1, 1), d(2023, 12, 31))),
    ],
)
def test_months_and_years(text: str, expected: DaySpan) -> None:
    assert spans(text) == [expected]


def test_may_the_verb_is_not_a_month() -> None:
    assert spans("what may we have said about hiking") == []
    assert spans("what did we say in may") == [DaySpan(d(2023, 5, 1), d(2023, 5, 31))]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("what did we say today", DaySpan(d(2024, 3, 13), d(2024, 3, 13))),
        ("and yesterday?", DaySpan(d(2024, 3, 12), d(2024, 3, 12))),
        ("the day before yesterday", DaySpan(d(2024, 3, 11), d(2024, 3, 11))),
        ("last Friday", DaySpan(d(2024, 3, 8), d(2024, 3, 8))),
        ("this past Monday", DaySpan(d(2024, 3, 11), d(2024, 3, 11))),
        ("on Wednesday", DaySpan(d(2024, 3, 6), d(2024, 3, 6))),
    ],
)
def test_days(text: str, expected: DaySpan) -> None:
    assert spans(text) == [expected]


def test_days_ago_counts_whole_days_before_asking() -> None:
    g = ground("what did we talk about four days ago", FACTS)
    assert g.days_ago == 4 and g.day_spans == []
    assert ground("a day ago", FACTS).days_ago == 1


def test_earlier_today_and_parts_of_today() -> None:
    assert ground("what did we discuss earlier today", FACTS).windows == [
        Window(datetime(2024, 3, 13), ASKED)
    ]
    assert ground("earlier this morning", FACTS).windows == [
        Window(datetime(2024, 3, 13, 5), datetime(2024, 3, 13, 12))
    ]
    assert ground("this afternoon", FACTS).windows == [Window(datetime(2024, 3, 13, 12), ASKED)]
    assert ground("last night", FACTS).windows == [
        Window(datetime(2024, 3, 12, 17), datetime(2024, 3, 13, 5))
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("last week", DaySpan(d(2024, 3, 4), d(2024, 3, 10))),
        ("this week", DaySpan(d(2024, 3, 11), d(2024, 3, 13))),
        ("2 weeks ago", DaySpan(d(2024, 2, 26), d(2024, 3, 3))),
        ("the week before last", DaySpan(d(2024, 2, 26), d(2024, 3, 3))),
    ],
)
def test_day_spans_and_weeks(text: str, expected: DaySpan) -> None:
    assert spans(text) == [expected]


@pytest.mark.parametrize(
    ("text", "days"),
    [
        ("over the last 3 days", 3),
        ("in the past few days", 3),
        ("this past week", 7),
        ("during the last two weeks", 14),
    ],
)
def test_the_last_n_days_are_sessions_begun_within_n_times_24_hours(text: str, days: int) -> None:
    g = ground(text, FACTS)
    assert g.day_spans == []
    assert g.windows == [Window(ASKED - timedelta(days=days), datetime(2024, 3, 14), by_session_start=True)]


@pytest.mark.parametrize(
    ("text", "pick", "span"),
    [
        ("what did we say in our first session", SessionPick(1), None),
        ("our very first conversation", SessionPick(1), None),
        ("the second discussion we had", SessionPick(2), None),
        ("in session 7", SessionPick(7), None),
        ("chat number 4", SessionPick(4), None),
        ("the third time we talked", SessionPick(3), None),
        ("sessions 2 through 5", None, SessionSpan(2, 5)),
        ("sessions 2-5", None, SessionSpan(2, 5)),
        ("from session 3 to session 6", None, SessionSpan(3, 6)),
        ("the second through fourth chats", None, SessionSpan(2, 4)),
        ("the first three conversations", None, SessionSpan(1, 3)),
        ("four sessions ago", SessionPick(-4, from_now=True), None),
        ("2 chats back", SessionPick(-2, from_now=True), None),
        ("what about last time", SessionPick(-1, from_now=True), None),
        ("in our last discussion", SessionPick(-1, from_now=True), None),
        ("our most recent chat", SessionPick(-1, from_now=True), None),
        ("the time before last", SessionPick(-2, from_now=True), None),
        ("the second to last session", SessionPick(-2, from_now=True), None),
        ("the third to last conversation", SessionPick(-3, from_now=True), None),
        ("our last three sessions", SessionPick(-1, 3, from_now=True), None),
    ],
)
def test_sessions(text: str, pick: SessionPick | None, span: SessionSpan | None) -> None:
    g = ground(text, FACTS)
    assert g.session_pick == pick
    assert g.session_spans == ([span] if span else [])


def test_nth_session_on_a_day_picks_among_that_days_sessions() -> None:
    g = ground("our second chat on February 12th", FACTS)
    assert g.session_pick == SessionPick(2)
    assert g.day_spans == [DaySpan(d(2024, 2, 12), d(2024, 2, 12))]


@pytest.mark.parametrize(
    ("text", "position", "pick"),
    [
        ("at the beginning of session 5", RowPosition("first", 5), SessionPick(5)),
        ("near the close of our 2nd call", RowPosition("last", 5), SessionPick(2)),
        ("at the end of our last chat", RowPosition("last", 5), SessionPick(-1, from_now=True)),
        ("how did we start the conversation", RowPosition("first", 5), None),
        ("the first thing I said", RowPosition("first", 1), None),
        ("the last 3 messages", RowPosition("last", 3), None),
    ],
)
def test_positions(text: str, position: RowPosition, pick: SessionPick | None) -> None:
    g = ground(text, FACTS)
    assert g.position == position
    assert g.session_pick == pick


@pytest.mark.parametrize(
    ("text", "speakers"),
    [
        ("what did Priya say about the move", ["Priya Shah"]),
        ("Priya Shah mentioned a recipe", ["Priya Shah"]),
        ("did tom tell her about it", ["Tom"]),
        ("what did I say about pottery", ["Tom"]),
        ("what did you recommend", ["Priya Shah"]),
        ("what did Priya and Tom discuss", []),
        ("which club did Priya join", []),
        ("could you describe it", []),
    ],
)
def test_speakers(text: str, speakers: list[str]) -> None:
    assert ground(text, FACTS).speakers == speakers


def test_weekday_and_part_of_day_filters() -> None:
    g = ground("what do we usually talk about on Sundays in the evening", FACTS)
    assert g.weekdays == ["Sunday"] and g.parts_of_day == ["evening"] and g.day_spans == []


@pytest.mark.parametrize(
    ("text", "content"),
    [
        ("What did we chat about between May 8th and June 9th?", []),
        ("Can you summarize what we discussed?", []),
        ("Yes, could you describe, in as much detail as you can, the content of those conversations?", []),
        ("What did Priya say about her sourdough starter last week?", ["sourdough", "starter"]),
        ("which hiking trail did we pick in our 3rd session", ["hiking", "trail", "pick"]),
    ],
)
def test_residual_content(text: str, content: list[str]) -> None:
    g = ground(text, FACTS)
    assert content_words(g.residual, FACTS.speakers) == content


def test_past_sessions_exclude_the_one_in_progress() -> None:
    assert FACTS.past_session_count == 12
    live = ConversationFacts(ASKED, FACTS.speakers, SESSIONS, current_session=12)
    assert live.past_session_count == 11


@pytest.mark.parametrize(
    "text",
    [
        "what did Tom do to relax at the end of the day",
        "we had a discussion earlier about bikes",
        "what may we have planned",
    ],
)
def test_idioms_are_not_time_references(text: str) -> None:
    g = ground(text, FACTS)
    assert g.position is None and g.session_pick is None and g.day_spans == []


def test_earlier_in_the_morning_is_today_before_asking() -> None:
    assert ground("what came up earlier in the morning", FACTS).windows == [
        Window(datetime(2024, 3, 13, 5), datetime(2024, 3, 13, 12))
    ]


def test_weekday_with_plural_part_of_day_is_every_such_part() -> None:
    g = ground("what did we talk about on Tuesday mornings?", FACTS)
    assert g.weekdays == ["Tuesday"] and g.parts_of_day == ["morning"] and not g.day_spans


@pytest.mark.parametrize(
    ("text", "order", "day"),
    [
        ("17/08/2023", "MDY", date(2023, 8, 17)),  # only one reading is a date
        ("08/17/2023", "DMY", date(2023, 8, 17)),
        ("05/06/2023", "MDY", date(2023, 5, 6)),
        ("05/06/2023", "DMY", date(2023, 6, 5)),
        ("2023/08/17", "DMY", date(2023, 8, 17)),
        ("17.08.2023", "DMY", date(2023, 8, 17)),
        ("Aug 17", "MDY", None),
        ("13 Oct 2023", "MDY", date(2023, 10, 13)),
    ],
)
def test_numeric_and_abbreviated_dates(text: str, order: str, day: date | None) -> None:
    from dataclasses import replace

    g = ground(f"what did we discuss on {text}?", replace(FACTS, date_order=order))
    assert len(g.day_spans) == 1 and g.day_spans[0].start == g.day_spans[0].end
    if day is not None:
        assert g.day_spans[0].start == day
    assert content_words(g.residual) == []


def test_not_dates_stay_text() -> None:
    for text in ("31/02/2023", "3-5 times", "at 10.30"):
        assert not ground(f"what did we say {text}", FACTS).day_spans, text


def test_fuzzy_windows() -> None:
    around = ground("what did we discuss around the 4th of July?", replace_asked(date(2023, 10, 1)))
    assert around.day_spans == [DaySpan(date(2023, 7, 1), date(2023, 7, 7))]
    thirds = [ground(f"what happened {p} July 2023", FACTS).day_spans for p in ("in early", "mid", "late", "at the end of")]
    assert thirds == [[DaySpan(date(2023, 7, 1), date(2023, 7, 10))], [DaySpan(date(2023, 7, 11), date(2023, 7, 20))],
                      [DaySpan(date(2023, 7, 21), date(2023, 7, 31))], [DaySpan(date(2023, 7, 21), date(2023, 7, 31))]]
    recent = ground("what did we talk about recently?", FACTS)
    assert recent.session_pick == SessionPick(-1, 1, from_now=True)
    minutes = ground("what did I say a few minutes ago?", FACTS)
    assert minutes.windows == [Window(ASKED - timedelta(minutes=6), ASKED)] and content_words(minutes.residual) == []
    assert not ground("what did I say 99999999999999 hours ago?", FACTS).windows


def replace_asked(day: date) -> ConversationFacts:
    from dataclasses import replace

    return replace(FACTS, asked_at=datetime.combine(day, datetime.min.time()))
