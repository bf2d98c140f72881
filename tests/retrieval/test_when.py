"""Which ranked turn answers a "when" question, and the words that say how its date was found."""

from __future__ import annotations

from datetime import date, datetime

from convmem.eventtime import EventTime, resolve_event_times
from convmem.retrieval.when import StemRarity, choose_when, describe_derivation, stem
from convmem.types import Turn

SPEAKERS = ("Mel", "Car")
SAID = datetime(2023, 7, 17, 18, 0)  # a Monday


def _turns(*rows: tuple[str, str, datetime]) -> list[Turn]:
    return [Turn("c", f"t{i}", i, 1, i, speaker, text, said) for i, (speaker, text, said) in enumerate(rows)]


def _times(turns: list[Turn]) -> dict[str, list[EventTime]]:
    found = {t.turn_id: resolve_event_times(t.text, t.spoken_at) for t in turns}
    return {k: v for k, v in found.items() if v}


def _choose(question: str, turns: list[Turn], asked: datetime = SAID):
    return choose_when(question, turns, _times(turns), asked, SPEAKERS)


def test_the_turn_that_shares_the_event_words_answers_not_the_first_timed_one() -> None:
    turns = _turns(
        ("Mel", "Yeah, I made it in pottery class yesterday. I love it!", datetime(2023, 8, 25, 10)),
        ("Mel", "I just signed up for a pottery class yesterday. It's like therapy.", datetime(2023, 7, 3, 10)),
    )
    got = _choose("When did Mel sign up for a pottery class?", turns)
    assert got is not None and got.turn_id == "t1" and got.event.start == date(2023, 7, 2)


def test_a_turn_that_names_no_time_answers_with_the_day_it_was_said() -> None:
    turns = _turns(
        ("Mel", "Big news: I just launched an ad campaign for my shop!", datetime(2023, 1, 29, 9)),
        ("Mel", "Last week I made a hoodie for the shop.", datetime(2023, 6, 21, 9)),
    )
    got = _choose("When did Mel launch an ad campaign?", turns)
    assert got is not None and got.turn_id == "t0" and not got.from_words
    assert got.derivation() == "Sunday 29 January 2023, the day it was said; the turn names no other time"


def test_a_time_the_question_names_sets_aside_turns_said_about_other_times() -> None:
    turns = _turns(
        ("Mel", "I'll always remember our camping trip last year.", datetime(2023, 7, 20, 9)),
        ("Mel", "We went camping with the kids two weekends ago.", SAID),
    )
    got = _choose("When did Mel go camping in July?", turns, datetime(2023, 7, 21, 9))
    assert got is not None and got.turn_id == "t1" and (got.event.start, got.event.end) == (
        date(2023, 7, 8), date(2023, 7, 9))


def test_the_expression_nearest_the_event_words_is_the_answer() -> None:
    turns = _turns(("Mel", "Yesterday I rested, after we went camping two weekends ago.", SAID))
    got = _choose("When did Mel go camping?", turns)
    assert got is not None and got.event.expression == "two weekends ago"


def test_the_subject_of_the_question_speaks_first() -> None:
    turns = _turns(
        ("Car", "Mel, you ran the charity race yesterday? Amazing race!", SAID),
        ("Mel", "I ran a charity race last Saturday.", SAID),
    )
    got = _choose("When did Mel run a charity race?", turns)
    assert got is not None and got.turn_id == "t1" and got.event.start == date(2023, 7, 15)


def test_rare_shared_words_outweigh_common_ones() -> None:
    rarity = StemRarity(["my venture is going well", "the venture again", "venture venture", "a mentor"])
    turns = _turns(
        ("Mel", "Started the gym last week for the venture.", SAID),
        ("Mel", "I got mentored by a business guru yesterday!", SAID),
    )
    got = choose_when("When did Mel receive mentorship for the venture?", turns, _times(turns), SAID, SPEAKERS,
                      rarity=rarity)
    assert got is not None and got.turn_id == "t1"


def test_stems_meet_across_word_forms() -> None:
    assert stem("signed") == stem("sign")
    assert stem("mentored") == stem("mentorship")
    assert stem("clothes") == stem("clothing")


def test_derivations_say_how_the_date_follows_from_the_day_said() -> None:
    sunday_night = date(2023, 5, 28)
    (saturday,) = resolve_event_times("last Saturday", sunday_night)
    assert describe_derivation(saturday, sunday_night) == (
        "the Saturday before Sunday 28 May 2023 — Saturday 27 May 2023")
    month_end = date(2023, 1, 31)
    (week,) = resolve_event_times("last week", month_end)
    assert describe_derivation(week, month_end) == (
        "the week before Tuesday 31 January 2023 — Monday 23 January 2023 to Sunday 29 January 2023")
    year_end = date(2023, 12, 31)
    (year,) = resolve_event_times("next year", year_end)
    assert describe_derivation(year, year_end) == '2024 ("next year", said Sunday 31 December 2023)'
    (weekends,) = resolve_event_times("two weekends ago", sunday_night)
    assert describe_derivation(weekends, sunday_night).startswith("two weekends before Sunday 28 May 2023 — ")


def test_no_turns_no_answer() -> None:
    assert choose_when("When did Mel run?", [], {}, SAID, SPEAKERS) is None


def test_when_questions_are_recognised_with_a_leading_preposition() -> None:
    import re

    from convmem.retrieval.when import WHEN_QUESTION

    for question in ("When did Mel run?", "In which month did Mel move?", "On what date was the party?",
                     "what week did it rain", "How long ago was the trip?"):
        assert re.search(WHEN_QUESTION, question, re.IGNORECASE), question
    for question in ("What did Mel say?", "Which dog is hers?", "How long has Mel painted?"):
        assert not re.search(WHEN_QUESTION, question, re.IGNORECASE), question
