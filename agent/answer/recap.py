"""Topic recaps: for a question about a whole session or day, its topics, one line each.

A person asking "what did we talk about?" wants what was said that they might have
forgotten, not the most typical sentence (in a chat that is a reaction: "Wow, that's
great!").  So each sentence is scored by the information it carries: the inverse
document frequency of its words over the whole conversation (a word every other turn
uses, like "awesome", weighs little; "adoption" or "pottery" weigh a lot), averaged and
scaled by the log of their number, with a question alone counting for less, since a
topic is what gets answered, not what is asked.
Topics are then picked by maximal marginal relevance (Carbonell & Goldstein 1998): the
most informative sentence first, then each next one penalised by its TF-IDF cosine to
those already picked, so two lines never tell the same thing.  Nothing here is a list of
reaction words: a reaction is uninformative because its words are everywhere.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from convmem.retrieval.bm25 import tokenize

QUESTION_FACTOR = 0.5  # a sentence that only asks counts for this share of its information
REDUNDANCY = 1.0  # MMR: how much similarity to an already picked line costs
MIN_SHARE = 0.25  # a line must carry at least this share of the session's best line
LINES_IN_ALL = 24  # the recap's length bound, shared among its sessions
MOST_PER_SESSION = 8
LEAST_PER_SESSION = 2


@dataclass(frozen=True)
class WordRarity:
    """Document frequencies of words over a conversation's turns."""

    frequency: Counter[str]
    documents: int

    @classmethod
    def of(cls, texts: Sequence[str]) -> WordRarity:
        frequency: Counter[str] = Counter()
        for text in texts:
            frequency.update(set(tokenize(text)))
        return cls(frequency, len(texts))

    def idf(self, word: str) -> float:
        return math.log((1.0 + self.documents) / (1.0 + self.frequency.get(word, 0)))


def lines_per_session(sessions: int) -> int:
    """How many topics each session gets: more when fewer sessions share the bound."""
    if sessions <= 0:
        return 0
    return max(LEAST_PER_SESSION, min(MOST_PER_SESSION, LINES_IN_ALL // sessions))


def information(text: str, rarity: WordRarity) -> float:
    """Mean idf of the sentence's distinct words times the log of their number: rare words
    count, and a longer sentence carries more, with diminishing returns (so a long turn of
    everyday words does not beat a short one that names its subject); a question alone
    counts for less."""
    words = set(tokenize(text))
    if not words:
        return 0.0
    score = sum(rarity.idf(word) for word in words) / len(words) * math.log(1.0 + len(words))
    return score * QUESTION_FACTOR if text.rstrip().endswith("?") else score


def pick_topics(
    texts: Sequence[str], rarity: WordRarity, limit: int, groups: Sequence[str] = ()
) -> list[int]:
    """Indices of up to ``limit`` sentences, best first, by MMR over their information;
    at most one sentence of each group (a turn: one line per turn)."""
    if not texts or limit <= 0:
        return []
    info = np.array([information(t, rarity) for t in texts])
    best = float(info.max())
    if best <= 0:
        return [0]
    value = info / best
    vectors = _tfidf([tokenize(t) for t in texts], rarity)
    similarity = vectors @ vectors.T
    chosen: list[int] = []
    closest = np.zeros(len(texts))  # each sentence's similarity to its nearest chosen one
    available = value >= MIN_SHARE
    while len(chosen) < limit and available.any():
        gain = np.where(available, value - REDUNDANCY * closest, -np.inf)
        pick = int(np.argmax(gain))
        chosen.append(pick)
        available[pick] = False
        if groups:
            available &= np.array([g != groups[pick] for g in groups])
        closest = np.maximum(closest, similarity[pick])
    return chosen


def log_tf(tokens: list[list[str]]) -> tuple[np.ndarray, dict[str, int]]:
    """Sentences as rows of log term frequencies (1 + log count), with the column of each
    word: the base both the recap's and the extractive answerer's TF-IDF weigh."""
    vocabulary: dict[str, int] = {}
    for words in tokens:
        for word in words:
            vocabulary.setdefault(word, len(vocabulary))
    matrix = np.zeros((len(tokens), max(len(vocabulary), 1)))
    for row, words in enumerate(tokens):
        for word, count in Counter(words).items():
            matrix[row, vocabulary[word]] = 1.0 + math.log(count)
    return matrix, vocabulary


def unit_rows(matrix: np.ndarray) -> np.ndarray:
    """Each row scaled to length 1 (an all-zero row stays zero)."""
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return matrix / norms


def _tfidf(tokens: list[list[str]], rarity: WordRarity) -> np.ndarray:
    """Log term frequencies weighted by how rare each word is in the whole conversation."""
    matrix, vocabulary = log_tf(tokens)
    for word, column in vocabulary.items():
        matrix[:, column] *= rarity.idf(word)
    return unit_rows(matrix)
