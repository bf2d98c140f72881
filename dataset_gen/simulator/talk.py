"""Offline session text: greetings, news, follow-ups, hobbies, small talk, goodbyes.

A session is a list of blocks (short exchanges with fixed roles); blocks are joined so that
speakers alternate, merging two lines when the same person would speak twice in a row.
Blocks are added until the session reaches its planned length.
"""

from __future__ import annotations

import random
from typing import Any

from dataset_gen.simulator.events import Event
from dataset_gen.simulator.personas import HOBBIES, HOBBY_SLOTS, Persona

Line = tuple[int, str]  # (speaker 0 or 1, text)

GREETINGS = (
    "Hey {name}! How have you been?",
    "Hi {name}, good to hear from you!",
    "Hello {name}! It has been a little while.",
    "Hey {name}, got a minute to chat?",
    "{name}, hi! Do you have time to talk?",
    "{name}! I was just thinking about you.",
)
GREET_REPLIES = (
    "Hi {name}! I am doing well, thanks. What is new with you?",
    "Hey {name}! Always. How are things?",
    "Good to hear from you too, {name}. Lots to tell you.",
    "Hey! Pretty good overall, {name}. You?",
)
CLOSINGS = (
    "I should get going, but this was lovely.",
    "Okay, I have to run. Talk soon?",
    "This was fun, let us catch up again soon.",
    "I need to head out, but I will message you later.",
)
CLOSING_REPLIES = (
    "Same here, take care {name}!",
    "Talk soon, {name}!",
    "Bye {name}, have a good one!",
    "Of course. Take care of yourself, {name}.",
)
REACTIONS = (
    "That is great to hear.",
    "Love that for you.",
    "Ha, that sounds about right.",
    "I am glad it is working out.",
    "Keep me posted on that.",
    "That made me smile.",
    "Good for you, honestly.",
    "Wow, that is a lot going on.",
)
SMALL_TALK = (
    (
        "Any plans for the weekend?",
        (
            "Nothing big, maybe a long walk with {pet} and some reading.",
            "My {relative} {relative_name} is visiting, so probably brunch.",
            "I want to try a new cafe in {city} that everyone talks about.",
        ),
    ),
    (
        "How is work at {workplace} these days?",
        (
            "Busy, but the people at {workplace} make it worth it.",
            "A bit chaotic, being a {job} is never boring.",
            "Calmer than last month, thankfully.",
        ),
    ),
    (
        "How is {pet} doing?",
        (
            "{pet} is great, very spoiled as usual.",
            "{pet} has been extra cuddly lately.",
            "{pet} discovered the neighbor's garden, which is a problem.",
        ),
    ),
    (
        "Seen any good shows lately?",
        (
            "I started a documentary series about deep sea creatures, it is wild.",
            "Mostly rewatching old sitcoms, comfort food for the brain.",
            "A mystery series my {relative} recommended, I am hooked.",
        ),
    ),
    (
        "What have you been cooking?",
        (
            "A lot of soup, it is that kind of season.",
            "I tried a new curry recipe and it was a hit.",
            "Honestly mostly takeout from a noodle place in {city}.",
        ),
    ),
    (
        "How is the weather over there?",
        (
            "Grey and drizzly in {city}, the usual.",
            "Sunny for once, I actually went outside.",
            "Windy enough to lose an umbrella, which I did.",
        ),
    ),
)


def persona_values(owner: Persona, partner: Persona) -> dict[str, str]:
    return {
        "me": owner.name,
        "you": partner.name,
        "pet": owner.pet_name,
        "pet_kind": owner.pet_kind,
        "relative": owner.relative,
        "relative_name": owner.relative_name,
        "job": owner.job,
        "workplace": owner.workplace,
        "city": owner.city,
    }


def event_values(
    event: Event, people: tuple[Persona, Persona], rng: random.Random
) -> dict[str, Any]:
    base = persona_values(people[event.owner], people[1 - event.owner])
    values = {**base, **{k: v.format(**base) for k, v in event.slots.items()}}
    for name, options in event.kind.news.items():
        values[name] = rng.choice(options).format(**base)
    return values


def announce_block(event: Event, people: tuple[Persona, Persona], rng: random.Random) -> list[Line]:
    v = event_values(event, people, rng)
    owner, other = event.owner, 1 - event.owner
    k = event.kind
    return [
        (owner, rng.choice(k.announce).format(**v)),
        (other, f"{rng.choice(k.react)} {rng.choice(k.ask)}".format(**v)),
        (owner, rng.choice(k.answer).format(**v)),
        (other, rng.choice(REACTIONS)),
    ]


def follow_block(event: Event, people: tuple[Persona, Persona], rng: random.Random) -> list[Line]:
    v = event_values(event, people, rng)
    owner, other = event.owner, 1 - event.owner
    return [
        (other, rng.choice(event.kind.follow_ask).format(**v)),
        (owner, rng.choice(event.kind.follow_answer).format(**v)),
        (other, rng.choice(REACTIONS)),
    ]


def hobby_block(
    people: tuple[Persona, Persona], owner: int, hobby: int, rng: random.Random
) -> list[Line]:
    gerund, done, about = HOBBIES[hobby]
    slots = {k: rng.choice(v) for k, v in HOBBY_SLOTS.items()}
    other = {k: rng.choice(v) for k, v in HOBBY_SLOTS.items()}
    return [
        (1 - owner, f"Have you been {gerund} lately?"),
        (
            owner,
            f"Yes! Over the weekend I {done.format(**slots)}. I am really into {about.format(**other)} right now.",
        ),
        (1 - owner, rng.choice(REACTIONS)),
    ]


def small_talk_block(
    people: tuple[Persona, Persona], owner: int, topic: int, rng: random.Random
) -> list[Line]:
    question, answers = SMALL_TALK[topic]
    values = persona_values(people[owner], people[1 - owner])
    return [(1 - owner, question.format(**values)), (owner, rng.choice(answers).format(**values))]


def _chatter(people: tuple[Persona, Persona], rng: random.Random) -> list[tuple[str, int, int]]:
    """Every hobby and small-talk exchange a session can use once, in a seeded order."""
    options = [("hobby", owner, h) for owner in (0, 1) for h in people[owner].hobbies]
    options += [("talk", owner, t) for owner in (0, 1) for t in range(len(SMALL_TALK))]
    return rng.sample(options, len(options))


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def _append(turns: list[Line], block: list[Line]) -> None:
    for speaker, raw in block:
        text = _sentence(raw)
        if turns and turns[-1][0] == speaker:
            turns[-1] = (speaker, f"{turns[-1][1]} {text}")
        else:
            turns.append((speaker, text))


def session_turns(
    people: tuple[Persona, Persona],
    fresh: list[Event],
    follow: list[Event],
    target: int,
    opener: int,
    rng: random.Random,
) -> list[Line]:
    """About ``target`` alternating turns (never fewer than the news needs)."""
    turns: list[Line] = []
    other = 1 - opener
    _append(
        turns,
        [
            (opener, rng.choice(GREETINGS).format(name=people[other].name)),
            (other, rng.choice(GREET_REPLIES).format(name=people[opener].name)),
        ],
    )
    for event in follow:
        _append(turns, follow_block(event, people, rng))
    for event in fresh:
        _append(turns, announce_block(event, people, rng))
    chatter = _chatter(people, rng)
    while len(turns) < target - 2 and chatter:
        kind, owner, which = chatter.pop()
        if kind == "hobby":
            _append(turns, hobby_block(people, owner, which, rng))
        else:
            _append(turns, small_talk_block(people, owner, which, rng))
    closer = turns[-1][0] ^ 1
    _append(
        turns,
        [
            (closer, rng.choice(CLOSINGS)),
            (1 - closer, rng.choice(CLOSING_REPLIES).format(name=people[closer].name)),
        ],
    )
    return turns
