"""Keyword overlap inside a small candidate set, for ranking turns a plan selected.

Inside one session or day, the words a question shares with a turn ("pottery", "surfing",
"joined ... group") separate the answer from its neighbours far better than a small
sentence embedding does, so time+content ranking mixes both.  Words are lightly stemmed;
informal short forms ("comp" for "competition") match by prefix; each shared word counts
by its rarity among the candidates.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

import numpy as np

from convmem.retrieval.bm25 import STOP_WORDS as BM25_STOP_WORDS

_TOKEN = re.compile(r"[a-z0-9]+")
_SUFFIXES = ("ing", "ed", "es", "s", "er", "ly")
# Beyond BM25's stop words, the speech verbs questions are phrased with.
STOP_WORDS = BM25_STOP_WORDS | {"about", "said", "say", "says", "mention", "mentioned", "tell", "told"}
MIN_PREFIX = 4


def stem(word: str) -> str:
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def terms(text: str) -> set[str]:
    return {stem(w) for w in _TOKEN.findall(text.lower().replace("'", "")) if w not in STOP_WORDS}


def _matches(word: str, vocabulary: set[str]) -> bool:
    if word in vocabulary:
        return True
    if len(word) < MIN_PREFIX:
        return False
    return any(
        len(other) >= MIN_PREFIX and (other.startswith(word) or word.startswith(other))
        for other in vocabulary
    )


def keyword_scores(keywords: Sequence[str], texts: Sequence[str]) -> np.ndarray:
    """Sum over the query's words found in each text of log(1 + N / df)."""
    query = {stem(w) for w in keywords if w and w.lower() not in STOP_WORDS}
    docs = [terms(text) for text in texts]
    found = {word: np.array([_matches(word, doc) for doc in docs], dtype=bool) for word in query}
    scores = np.zeros(len(texts), dtype=np.float32)
    for hits in found.values():
        df = int(hits.sum())
        if df:
            scores += hits * math.log(1.0 + len(texts) / df)
    return scores
