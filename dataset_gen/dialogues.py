"""Ambiguous versions: short dialogues where the time reference comes early and the last
turn asks without it.

The retriever sees only the last turn as "the question", so it must carry the reference
over from the dialogue, as a person would.  Three shapes follow the paper's dataset
(calendar, trying-to-remember, several-things); four are our own (the partner brings the
time up, a detour between reference and request, a terse three-turn exchange, the partner
invites the request).  Every shape ends with the asker, and no final request names a time.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from convmem.types import DialogueTurn

# A line: (speaker role "A" asks, "B" answers, text with {ref} / {ask} / {speaker}).
Line = tuple[str, str]


@dataclass(frozen=True)
class DialogueShape:
    name: str
    lines: tuple[Line, ...]


SHAPES = (
    DialogueShape(
        "calendar",
        (
            ("A", "I see in my calendar that we talked {ref}."),
            ("B", "Yes! We did talk then. I always enjoy our chats."),
            ("A", "I enjoy them too! {ask}"),
        ),
    ),
    DialogueShape(
        "trying_to_remember",
        (
            (
                "A",
                "I am trying to remember what we talked about {ref}. Can you remember that far back?",
            ),
            ("B", "Yes, I can remember that far back."),
            ("A", "Wow! You have a better memory than me!"),
            ("B", "I don't know about that! But I can go over it for you if you'd like."),
            ("A", "Yes, please do. {ask}"),
        ),
    ),
    DialogueShape(
        "several_things",
        (
            ("A", "I remember we discussed several things {ref}."),
            ("B", "Yes, we did."),
            ("A", "But I cannot quite remember what it was."),
            ("B", "Would you like me to tell you?"),
            ("A", "Yes, could you describe it in as much detail as you can? {ask}"),
        ),
    ),
    DialogueShape(
        "partner_recalls",
        (
            ("B", "It has been a while since we talked {ref}, hasn't it?"),
            ("A", "It has! A lot has happened since."),
            ("B", "Is there anything from it you want to go back to?"),
            ("A", "Actually, yes. {ask}"),
        ),
    ),
    DialogueShape(
        "detour",
        (
            ("A", "We had such a good chat {ref}."),
            ("B", "We did, I remember it well."),
            ("A", "Oh, before I forget, did you ever finish that book you were reading?"),
            ("B", "Almost, just a few chapters left!"),
            ("A", "Nice. Anyway, back to that chat. {ask}"),
        ),
    ),
    DialogueShape(
        "terse",
        (
            ("A", "Thinking back to what we said {ref}."),
            ("B", "Sure, what about it?"),
            ("A", "{ask}"),
        ),
    ),
    DialogueShape(
        "invited",
        (
            ("B", "You mentioned you wanted to revisit our talk {ref}."),
            ("A", "Yes, I did."),
            ("B", "Go ahead, what would you like to know?"),
            ("A", "{ask}"),
        ),
    ),
)
PAPER_SHAPES = ("calendar", "trying_to_remember", "several_things")

GENERIC_ASKS = (
    "Can you summarize what we discussed?",
    "What did we talk about?",
    "Could you remind me what came up?",
    "What were the main things we covered?",
    "Can you tell me what we chatted about?",
)


def asks_for(family: str, speaker: str = "", edge: str = "") -> tuple[str, ...]:
    """Final requests that fit a family while naming no time."""
    if family == "session_speaker":
        return (
            f"Can you remind me what {speaker} said?",
            f"What did {speaker} talk about?",
            f"What were {speaker}'s main points?",
        )
    if family == "session_edge":
        verb = "started" if edge == "start" else "wrapped up"
        return (
            f"Can you remind me how that conversation {verb}?",
            f"What did we say as it {verb}?",
        )
    return GENERIC_ASKS


def render(
    shape: DialogueShape, ref: str, ask: str, asker: str, partner: str
) -> tuple[DialogueTurn, ...]:
    names = {"A": asker, "B": partner}
    return tuple(
        DialogueTurn(names[role], text.format(ref=ref, ask=ask).strip())
        for role, text in shape.lines
    )


def dialogues(
    family: str,
    refs: list[str],
    rng: random.Random,
    count: int,
    asker: str,
    partner: str,
    speaker: str = "",
    edge: str = "",
) -> list[tuple[DialogueTurn, ...]]:
    """``count`` dialogues for one target: distinct shapes, seeded choices of the reference
    spelling and of the final request."""
    asks = asks_for(family, speaker, edge)
    shapes = rng.sample(SHAPES, min(count, len(SHAPES)))
    return [render(shape, rng.choice(refs), rng.choice(asks), asker, partner) for shape in shapes]
