"""The topic test: does what is left of a question, once its time is read, name a topic?

A word list of filler cannot hold: users greet, thank, hedge and talk about the talk in
words nobody listed.  What filler has in common is what it does to the turns: it does not
pick out a few of them.  A residual word is a topic only when

- the time window the question selects uses it (by stem): a word the window never says
  cannot separate its turns ("hmm", "btw", "quick question" in a window without them); and
- it is not spread over most of the conversation's sessions: greetings, thanks and
  acknowledgements ("hey", "thanks", "yeah") recur in nearly every session, while a topic
  ("pottery", "adoption") comes up in some of them.

The spread test needs enough sessions to mean something; below ``MIN_SESSIONS`` only the
window test applies.  ``MAX_SPREAD`` was chosen on TMD log 26 and checked on log 28 and on
the invariance suite (``docs/retrieval.md``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

MAX_SPREAD = 0.7  # a word said in more than this share of the sessions is no topic
MIN_SESSIONS = 5  # fewer sessions than this: the spread says nothing
_WORD = re.compile(r"[a-z][a-z']+|\d+")
_SUFFIXES = ("ations", "ation", "ings", "ing", "ions", "ion", "ied", "ies", "ed", "es", "ly", "s")


def stem(word: str) -> str:
    """A crude stem, enough to see "painting", "painted" and "paints" as one word."""
    word = word.lower().replace("’", "'").removesuffix("'s").strip("'")
    if len(word) > 4 and word[-3:] in ("ied", "ies"):
        return word[:-3] + "y"  # "tried", "tries" -> "try"
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            break
    if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "aeiou":
        word = word[:-1]  # "shopping" -> "shopp" -> "shop"
    return word.removesuffix("e") if len(word) > 3 else word


def stems(text: str) -> set[str]:
    return {stem(w) for w in _WORD.findall(text.lower().replace("’", "'"))}


@dataclass
class Vocabulary:
    """Which sessions of one conversation use each stem."""

    session_count: int = 0
    sessions_of: dict[str, int] = field(default_factory=dict)

    @classmethod
    def of(cls, turns: Iterable[tuple[int, str]]) -> Vocabulary:
        by_session: dict[int, set[str]] = {}
        for session, text in turns:
            by_session.setdefault(session, set()).update(stems(text))
        counts: dict[str, int] = {}
        for words in by_session.values():
            for word in words:
                counts[word] = counts.get(word, 0) + 1
        return cls(len(by_session), counts)

    def spread(self, word: str) -> float:
        """The share of sessions that use ``word`` (0 when the conversation is empty)."""
        if not self.session_count:
            return 0.0
        return self.sessions_of.get(stem(word), 0) / self.session_count

    def recurring(self, word: str, max_spread: float = MAX_SPREAD) -> bool:
        """Said in so many sessions that it picks out none (a greeting, a thank-you)."""
        return self.session_count >= MIN_SESSIONS and self.spread(word) > max_spread

    def knows(self, word: str) -> bool:
        return stem(word) in self.sessions_of


def topic_words(
    candidates: Sequence[str],
    window: Sequence[str] | None,
    vocabulary: Vocabulary | None,
    max_spread: float = MAX_SPREAD,
) -> list[str]:
    """The candidates that name a topic: said in the window's turns (``window``: their
    texts; ``None`` when there is no window yet: said anywhere in the conversation) and not
    recurring all over the conversation."""
    said = set().union(*(stems(text) for text in window)) if window is not None else None
    kept = []
    for word in candidates:
        if said is not None and stem(word) not in said:
            continue
        if said is None and vocabulary is not None and not vocabulary.knows(word):
            continue
        if vocabulary is not None and vocabulary.recurring(word, max_spread):
            continue
        kept.append(word)
    return kept


# ---- where the request is ------------------------------------------------------------------
# A question's request starts at its first question word (or an auxiliary or a verb of
# asking that opens a clause or is followed by a pronoun: "so can you", "but tell me") and
# ends with its sentence, or before a short last clause after a comma with no preposition
# of topic in it.  What comes before it or after
# it frames the request ("hey,", "quick question:", "I was wondering,", "... thanks!") and
# names a topic only after a preposition of topic ("regarding the move, what did we ...").
QUESTION_WORDS = frozenset(["what", "which", "who", "whom", "whose", "when", "where", "why", "how"])
CLAUSE_OPENERS = QUESTION_WORDS | frozenset(
    ["can", "could", "would", "will", "did", "do", "does", "is", "are", "was", "were", "have", "has", "had", "tell", "give", "remind", "summarize", "summarise", "recap", "describe", "list", "show", "walk", "fill", "catch", "refresh", "go", "run"]
)
TOPIC_PREPOSITIONS = frozenset(["about", "regarding", "concerning", "re"])
TAIL_WORDS = 5
_TOKEN = re.compile(r"[a-z][a-z']*|\d+\w*|[.!?]+|[,;:]|\s-\s")


def request_words(question: str) -> set[str] | None:
    """The words of ``question`` that can name its topic: those of the request, and those
    after a preposition of topic outside it; ``None`` when no request is found (then every
    word can)."""
    text = re.sub(r"(?<=[a-z])-(?=[a-z])", " ", question.lower().replace("’", "'"))
    tokens = [t.strip() for t in _TOKEN.findall(text)]
    start = None
    clause_start = True
    for i, token in enumerate(tokens):
        addressed = i + 1 < len(tokens) and tokens[i + 1] in ("you", "me", "us", "we", "i")
        if token in QUESTION_WORDS or (token in CLAUSE_OPENERS and (clause_start or addressed)):
            start = i
            break
        clause_start = not token[:1].isalnum()
    if start is None:
        return None
    end = next((i for i in range(start, len(tokens)) if tokens[i][:1] in ".!?"), len(tokens))
    commas = [i for i in range(start, end) if tokens[i] == ","]
    if commas:  # a short last clause naming no topic: "..., much appreciated", "..., when you can"
        tail = tokens[commas[-1] + 1 : end]
        if len(tail) <= TAIL_WORDS and not any(t in TOPIC_PREPOSITIONS for t in tail):
            end = commas[-1]
    words = {t.removesuffix("'s") for t in tokens[start:end]}
    for part in (tokens[:start], tokens[end:]):
        introduced = False
        for token in part:
            if not token[:1].isalnum():
                introduced = False
            elif token in TOPIC_PREPOSITIONS:
                introduced = True
            elif introduced:
                words.add(token.removesuffix("'s"))
    return words


def framed_out(candidates: Sequence[str], question: str) -> list[str]:
    """The candidates said inside the request (see ``request_words``)."""
    allowed = request_words(question)
    return list(candidates) if allowed is None else [w for w in candidates if w in allowed]
