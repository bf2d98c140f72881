"""The extractive answerer: the retrieved turns' most representative sentences, quoted.

No model is needed, so memory always answers, with or without an LLM, and the answer can
only say what was said.  Sentences are ranked by LexRank centrality (Erkan & Radev 2004)
over TF-IDF vectors of the retrieved sentences, nudged towards the question's own content
words, then shown grouped by session (date and weekday), most representative first, each
line quoting one sentence and citing its turn.  Quoting is also the defence against
instructions hidden in old turns: they are shown as what someone said, never acted on.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass

import numpy as np

from agent.answer.base import (
    EXTRACTIVE_OPENING,
    NOTHING_FOUND,
    Answer,
    Evidence,
    TextSink,
    repeats_memory,
)
from agent.grounding import content_words
from convmem.retrieval.bm25 import tokenize
from convmem.types import Turn

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_OWN_CITATION = re.compile(r"\s*\[t:[^\]]*\]")
DAMPING = 0.85
ITERATIONS = 60
QUESTION_WEIGHT = 2.0  # a sentence on the question's subject outranks a merely central one


@dataclass(frozen=True)
class Sentence:
    turn: Turn
    text: str
    position: int  # order of first appearance, for stable ties


class ExtractiveAnswerer:
    name = "extractive"

    def __init__(self, max_lines: int = 12, per_session: int = 4, max_chars: int = 240) -> None:
        self.max_lines = max_lines
        self.per_session = per_session
        self.max_chars = max_chars

    def answer(self, evidence: Evidence, on_text: TextSink | None = None) -> Answer:
        turns = tuple(t for t in evidence.turns if not repeats_memory(t.text))
        if not turns:
            answer = Answer(NOTHING_FOUND, self.name)
        else:
            answer = self._summarise(evidence.question, turns)
        if on_text is not None:
            on_text(answer.text)
        return answer

    def _summarise(self, question: str, turns: tuple[Turn, ...]) -> Answer:
        sentences = split_sentences(turns)
        scores = representativeness([s.text for s in sentences], question)
        order = sorted(range(len(sentences)), key=lambda i: (-scores[i], sentences[i].position))
        chosen: list[int] = []
        per_session: Counter[int] = Counter()
        for i in order:
            session = sentences[i].turn.session_index
            if per_session[session] >= self.per_session:
                continue
            chosen.append(i)
            per_session[session] += 1
            if len(chosen) >= self.max_lines:
                break
        sessions = sorted({t.session_index for t in turns})
        lines = [_header(len(turns), len(sessions))]
        cited: list[str] = []
        for session in sorted(per_session):
            rows = [sentences[i] for i in chosen if sentences[i].turn.session_index == session]
            lines.append(_session_line(session, rows[0].turn))
            for row in rows:
                lines.append(self._line(row))
                cited.append(row.turn.turn_id)
        hidden = len(sessions) - len(per_session)
        if hidden > 0:
            lines.append(f"(and {hidden} more session(s) not shown)")
        return Answer("\n".join(lines), self.name, tuple(dict.fromkeys(cited)))

    def _line(self, sentence: Sentence) -> str:
        text = sentence.text
        if len(text) > self.max_chars:
            text = text[: self.max_chars - 1].rstrip() + "…"
        turn = sentence.turn
        return f"- {turn.spoken_at:%H:%M} {turn.speaker}: “{text}” [t:{turn.turn_id}]"


def split_sentences(turns: tuple[Turn, ...] | list[Turn]) -> list[Sentence]:
    """Sentences of the turns on one line each; a turn's own citation marks (an earlier
    answer stored in memory) are dropped so a quote never looks like a citation.  Very
    short sentences ("Yes!") are left out when a turn has longer ones."""
    out: list[Sentence] = []
    for turn in turns:
        flat = _OWN_CITATION.sub("", " ".join(turn.text.split()))
        parts = [p.strip() for p in _SENTENCE_END.split(flat) if p.strip()]
        long_enough = [p for p in parts if len(p.split()) >= 3]
        for part in long_enough or parts[:1]:
            out.append(Sentence(turn, part, len(out)))
    return out


def representativeness(texts: list[str], question: str = "") -> np.ndarray:
    """LexRank centrality scaled to 0..1, plus similarity to the question's content words."""
    if not texts:
        return np.zeros(0)
    tokens = [tokenize(t) for t in texts]
    matrix, idf, vocabulary = _tfidf(tokens)
    similarity = matrix @ matrix.T
    np.fill_diagonal(similarity, 0.0)
    rank = _lexrank(similarity)
    score = rank / rank.max() if rank.max() > 0 else rank
    words = content_words(question.lower())
    if words:
        query = np.zeros(len(vocabulary))
        for word in words:
            if word in vocabulary:
                query[vocabulary[word]] += idf[vocabulary[word]]
        norm = np.linalg.norm(query)
        if norm > 0:
            score = score + QUESTION_WEIGHT * (matrix @ (query / norm))
    return score


def _tfidf(tokens: list[list[str]]) -> tuple[np.ndarray, np.ndarray, dict[str, int]]:
    vocabulary: dict[str, int] = {}
    for words in tokens:
        for word in words:
            vocabulary.setdefault(word, len(vocabulary))
    matrix = np.zeros((len(tokens), max(len(vocabulary), 1)))
    for row, words in enumerate(tokens):
        for word, count in Counter(words).items():
            matrix[row, vocabulary[word]] = 1.0 + math.log(count)
    documents = (matrix > 0).sum(axis=0)
    idf = np.log((1.0 + len(tokens)) / (1.0 + documents)) + 1.0
    matrix *= idf
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return matrix / norms, idf, vocabulary


def _lexrank(similarity: np.ndarray) -> np.ndarray:
    n = similarity.shape[0]
    degree = similarity.sum(axis=1, keepdims=True)
    transition = np.where(degree > 0, similarity / np.where(degree > 0, degree, 1.0), 1.0 / n)
    rank = np.full(n, 1.0 / n)
    for _ in range(ITERATIONS):
        rank = (1.0 - DAMPING) / n + DAMPING * (transition.T @ rank)
    return rank


def _header(turns: int, sessions: int) -> str:
    return f"{EXTRACTIVE_OPENING}{turns} turn{'s' if turns != 1 else ''} in {sessions} session{'s' if sessions != 1 else ''}), most representative first:"


def _session_line(index: int, turn: Turn) -> str:
    return f"Session {index}, {turn.spoken_at:%A %Y-%m-%d}:"
