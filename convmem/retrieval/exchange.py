"""Ranking turns with their dialogue neighbourhood, and with whose thing a question asks about.

A question echoes words of the conversation, and those words are often in the turn that
*asks* ("What inspired your painting?") while the answer is the reply one turn later, by
the other speaker.  Scored alone, the asking turn wins and the reply may fall under a
cut-off.  Here a turn that answers another speaker's question inherits a share of that
question's score (``REPLY_SHARE``), and a reaction to a statement a smaller share
(``REACTION_SHARE``), so the reply ranks with the question that names its topic.

A question that attributes its topic to a speaker ("Jeff's painting", "what did Audrey
buy", "my dogs" from the asker) gives that speaker's turns a bonus (``SPEAKER_BONUS``, on
scores that run about 0..2); it is a preference, not a filter, since the other speaker's
turn sometimes carries the words.

The shares and the bonus were chosen on the TemporalMemoryDataset log 26 and LoCoMo
conversation 26, and checked on log 28 and conversation 30 (docs/retrieval.md).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from convmem.types import Turn

REPLY_SHARE = 1.0
REACTION_SHARE = 0.5
SPEAKER_BONUS = 0.15
_FIRST_PERSON = re.compile(r"\b(?:i|me|my|mine|myself|i'm|i've|i'd)\b", re.IGNORECASE)
_SECOND_PERSON = re.compile(r"\b(?:you|your|yours|yourself|you've|you're)\b", re.IGNORECASE)


@dataclass(frozen=True)
class ExchangeWeights:
    """How much a turn inherits from the turn it answers, and the speaker bonus."""

    reply_share: float = REPLY_SHARE
    reaction_share: float = REACTION_SHARE
    speaker_bonus: float = SPEAKER_BONUS
    event_days: bool = True  # time+content also ranks turns whose event time is on the asked days


OFF = ExchangeWeights(0.0, 0.0, 0.0, False)


def is_question(text: str) -> bool:
    return "?" in text


def previous_index(turns: Sequence[Turn]) -> list[int | None]:
    """For each turn, the position (in ``turns``) of the turn said just before it in the same
    session, when that one is among ``turns``."""
    where = {(t.session_index, t.order): i for i, t in enumerate(turns)}
    return [where.get((t.session_index, t.order - 1)) for t in turns]


def exchange_scores(
    turns: Sequence[Turn], base: np.ndarray, weights: ExchangeWeights = ExchangeWeights()
) -> np.ndarray:
    """Each turn's score raised to a share of the score of the turn it responds to."""
    scores = np.array(base, dtype=np.float32, copy=True)
    if weights.reply_share <= 0 and weights.reaction_share <= 0:
        return scores
    for i, p in enumerate(previous_index(turns)):
        if p is None or turns[p].speaker == turns[i].speaker:
            continue
        share = weights.reply_share if is_question(turns[p].text) else weights.reaction_share
        scores[i] = max(scores[i], share * float(base[p]))
    return scores


def attributed_speakers(text: str, speakers: Sequence[str], asker: str | None = None) -> set[str]:
    """The speakers a question attributes its topic to: those it names, or the asker for
    "my"/"I" and the partner for "your"/"you" in a two-person conversation.  Naming every
    speaker (or none) attributes nothing."""
    found: set[str] = set()
    for speaker in speakers:
        parts = [p for p in speaker.split() if len(p) > 1]
        if parts and any(re.search(rf"\b{re.escape(p)}(?:'s)?\b", text, re.IGNORECASE) for p in parts):
            found.add(speaker)
    if not found and asker is not None and asker in speakers:
        others = [s for s in speakers if s != asker]
        if _FIRST_PERSON.search(text):
            found.add(asker)
        elif len(others) == 1 and _SECOND_PERSON.search(text):
            found.add(others[0])
    if len(found) >= len(set(speakers)):
        return set()
    return found


def speaker_bonus(
    turns: Sequence[Turn], preferred: set[str], weights: ExchangeWeights = ExchangeWeights()
) -> np.ndarray:
    if not preferred or weights.speaker_bonus <= 0:
        return np.zeros(len(turns), dtype=np.float32)
    return np.array([weights.speaker_bonus if t.speaker in preferred else 0.0 for t in turns], np.float32)
