"""Question or statement, by syntax, on phrasings written for this test (none from data)."""

from __future__ import annotations

import pytest

from agent.utterance import about_the_chat, classify

QUESTIONS = (
    "Where did Priya go for her birthday?",
    "what did Tom cook on Sunday",
    "Did Jun ever finish the marathon",
    "So, how was the trip to Oslo",
    "ok and the week before?",
    "Can you summarize our second session",
    "Could you remind me what the vet said",
    "Tell me about the garden project.",
    "Summarise what we discussed yesterday.",
    "Remind me of the book Omar recommended.",
    "Please list the films we talked about.",
    "Walk me through our last conversation.",
    "I wonder what Lena thought of the concert.",
    "I'd like to know when we first talked about the move.",
    "Do you remember the name of the bakery",
    "Thanks! Now, which hotel did we pick",
    "Is Ravi still working at the clinic",
)
STATEMENTS = (
    "I just started learning Portuguese.",
    "My cousin is getting married in May.",
    "We adopted a second cat last week.",
    "Had a long day at the office.",
    "Remember that the meeting moved to Thursday.",
    "The plumber finally fixed the sink!",
    "Honestly, work has been exhausting lately.",
    "Tomorrow I fly to Nairobi.",
    "Was thinking about our hike all morning.",
    "purple monkey dishwasher quantum banana",
)


@pytest.mark.parametrize("text", QUESTIONS)
def test_questions_and_requests_are_questions(text: str) -> None:
    assert classify(text) == "question"


@pytest.mark.parametrize("text", STATEMENTS)
def test_statements_are_statements(text: str) -> None:
    assert classify(text) == "statement"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("What did I ask you a few minutes ago?", True),
        ("What was my first question today?", True),
        ("What did you answer when I asked about the dog?", True),
        ("Repeat your last reply.", True),
        ("What did I say about the dog?", False),
        ("Did Melanie ask about the kids?", False),
        ("What did we talk about last time?", False),
    ],
)
def test_questions_about_the_chat_itself(text: str, expected: bool) -> None:
    assert about_the_chat(text) is expected
