"""Readable extractive answers: recaps list topics (not reactions), one line per turn within
a bound that scales with the sessions; other questions lead with the answering sentence,
and a "when" question leads with a date, saying whether it is the event's or the turn's."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest

from agent.answer import Evidence, ExtractiveAnswerer, LLMAnswerer, citations
from agent.answer.base import EventDate
from agent.answer.recap import LINES_IN_ALL, lines_per_session
from agent.pipeline import Agent
from agent.prompts import RECAP_INSTRUCTION
from convmem.compose import open_store
from convmem.config import Settings
from convmem.eventtime import resolve_event_times
from convmem.llm.client import LLMClient
from convmem.llm.fake import FakeChatModel
from convmem.retrieval.base import Query
from convmem.retrieval.when import choose_when
from convmem.storage.loaders import load_paths
from convmem.types import Turn
from eval.recaps import common_words, is_reaction
from tests.conftest import shared_path

ASKED = datetime(2023, 5, 30, 9, 0)
CHATTER = ["Wow, that is so great!", "That is great, good for you!", "So good to hear, that is great!",
           "Great, thanks so much!", "Good to see you!"]


def turn(turn_id: int, text: str, session: int = 1, speaker: str = "Ana") -> Turn:
    return Turn("c", str(turn_id), turn_id, session, turn_id, speaker, text,
                datetime(2023, 5, 20 + session, 10, turn_id % 60))


def chatty_session(session: int, topics: list[str], start: int) -> list[Turn]:
    """Reactions between the turns that carry the session's topics."""
    turns: list[Turn] = []
    for position, topic in enumerate(topics):
        turns.append(turn(start + 2 * position, topic, session, "Ana"))
        turns.append(turn(start + 2 * position + 1, CHATTER[position % len(CHATTER)], session, "Ben"))
    return turns


def test_a_recap_lists_topics_not_reactions_one_line_per_turn() -> None:
    topics = ["I signed up for a pottery class downtown. It starts next week.",
              "My sister adopted a greyhound named Biscuit from the shelter.",
              "We are repainting the kitchen a pale green colour."]
    turns = tuple(chatty_session(1, topics, 0))
    background = tuple(t.text for t in turns) + tuple(CHATTER) * 10
    answer = ExtractiveAnswerer().answer(
        Evidence("What did we talk about on Monday?", ASKED, turns, route="time", background=background))
    lines = answer.text.splitlines()
    assert lines[0] == "From memory (6 turns in 1 session), the topics of each session:"
    assert lines[1] == "Session 1, Sunday 2023-05-21:"
    quoted = [line for line in lines if line.startswith("- ")]
    assert set(answer.cited) == {"0", "2", "4"}  # the topics, none of the reactions
    assert len(quoted) == 3 and len({citations(q, {"0", "2", "4"}) for q in quoted}) == 3
    common = common_words(background)
    assert not any(is_reaction(q, common) for q in quoted)


def test_the_recap_bound_is_shared_among_sessions() -> None:
    assert lines_per_session(1) == 8 and lines_per_session(3) == 8
    assert lines_per_session(6) == 4 and lines_per_session(40) == 2
    topics = [f"We discussed the {w} project budget and the {w} timeline in detail." for w in
              ("garden", "roof", "boat", "bakery", "studio", "library", "cinema", "museum", "harbour", "school")]
    turns = tuple(t for s in range(1, 7) for t in chatty_session(s, topics, 100 * s))
    answer = ExtractiveAnswerer().answer(Evidence("recap", ASKED, turns, route="time"))
    quoted = [line for line in answer.text.splitlines() if line.startswith("- ")]
    assert len(quoted) == 6 * lines_per_session(6) <= LINES_IN_ALL


def test_content_questions_lead_with_the_answering_sentence() -> None:
    turns = (
        turn(1, "The pottery class meets on Tuesdays and the pottery is lovely."),
        turn(2, "My sister adopted a puppy named Biscuit. She loves him.", speaker="Ben"),
        turn(3, "The pottery wheel was expensive this year."),
    )
    answer = ExtractiveAnswerer().answer(Evidence("What is the name of the puppy?", ASKED, turns, route="content"))
    lines = answer.text.splitlines()
    assert lines[0] == "From memory (Sunday 21 May 2023, session 1): Ben said “My sister adopted a puppy named Biscuit.” [t:2]"
    assert lines[1].startswith("Context (3 turns in 1 session)") and answer.cited[0] == "2"


def test_a_when_question_leads_with_the_turns_date_and_says_so() -> None:
    turns = (turn(1, "I ran a charity race last Saturday, it was for the shelter."), turn(2, "Nice weather today."))
    first = ExtractiveAnswerer().answer(
        Evidence("When did Ana run the charity race?", ASKED, turns, route="content")).text.splitlines()[0]
    assert first.startswith("From memory (on Sunday 21 May 2023, the day it was said; no event date is known):")
    assert first.endswith("[t:1]")


def test_a_when_question_leads_with_the_event_date_when_one_is_known() -> None:
    turns = (turn(1, "I ran a charity race last Saturday, it was for the shelter."),)
    events = {"1": EventDate(date(2023, 5, 20), "last Saturday")}
    first = ExtractiveAnswerer().answer(
        Evidence("What day did Ana run the race?", ASKED, turns, route="content", event_dates=events)).text
    assert first.startswith('From memory (on Saturday 20 May 2023, the day the turn talks about, "last Saturday";'
                            " said Sunday 21 May 2023): Ana said “I ran a charity race")


def test_a_when_answer_leads_with_the_chosen_turn_and_how_its_date_was_found() -> None:
    turns = (turn(1, "Pottery class was fun yesterday, we made bowls."),
             turn(2, "Nice weather. I ran a charity race last Saturday, it was for the shelter.", session=2))
    times = {t.turn_id: resolve_event_times(t.text, t.spoken_at) for t in turns}
    when = choose_when("When did Ana run the charity race?", turns, times, ASKED, ("Ana", "Ben"))
    assert when is not None and when.turn_id == "2"
    first = ExtractiveAnswerer().answer(
        Evidence("When did Ana run the charity race?", ASKED, turns, route="content", when=when)).text.splitlines()[0]
    assert first == ("From memory (the Saturday before Monday 22 May 2023 — Saturday 20 May 2023): Ana said"
                     " “I ran a charity race last Saturday, it was for the shelter.” [t:2]")


def test_citations_read_ids_with_colons() -> None:
    assert citations("a [t:D1:3] b [t:D2:14, t:D1:3].", {"D1:3", "D2:14"}) == ("D1:3", "D2:14")


@pytest.mark.shared_data
def test_locomo_third_session_recap_leads_with_a_topic_and_when_with_a_date(tmp_path: Path) -> None:
    conversation = load_paths([shared_path("locomo", "26.json")], "locomo")
    settings = Settings.from_env({}, store=tmp_path / "store", embedder="hash", planner="rules")
    with open_store(settings, create=True) as store:
        store.ingest(conversation)
        agent = Agent(store, settings)
        now = datetime(2023, 10, 22, 11, 30)
        recap = agent.ask(Query("26", "What did we talk about in our third session?", now))
        common = common_words([t.text for t in store.turns("26")])
        quoted = [line for line in recap.text.splitlines() if line.startswith("- ")]
        assert recap.evidence.route == "time" and len(quoted) >= 5
        assert not is_reaction(quoted[0], common) and "Wow" not in quoted[0]
        when = agent.ask(Query("26", "When did Caroline go to the LGBTQ support group?", now))
        # "I went to a LGBTQ support group yesterday", said on Monday 8 May: the event day leads
        assert when.text.startswith(
            "From memory (the day before Monday 8 May 2023 — Sunday 7 May 2023): Caroline said “I went to a LGBTQ"
        )


def test_the_llm_is_asked_for_topics_per_session_on_a_recap_and_keeps_its_citations() -> None:
    fake = FakeChatModel().enqueue("Session 1, Sunday: pottery class [t:0]; a greyhound [t:2] [t:99]")
    turns = tuple(chatty_session(1, ["I signed up for a pottery class.", "My sister adopted a greyhound."], 0))
    answerer = LLMAnswerer(LLMClient(fake))
    recap = answerer.answer(Evidence("What did we talk about on Sunday?", ASKED, turns, route="time"))
    assert RECAP_INSTRUCTION in fake.requests[0].messages[-1].content
    assert recap.cited == ("0", "2")  # t:99 was never shown
    fake.enqueue("On Saturday 20 May [t:1].")
    answerer.answer(Evidence("When was it?", ASKED, turns, route="content",
                             event_dates={"1": EventDate(date(2023, 5, 20), "last Saturday")}))
    user = fake.requests[1].messages[-1].content
    assert RECAP_INSTRUCTION not in user and "(talks about Saturday 2023-05-20)" in user
