"""The extractive answerer: the retrieved turns' sentences, quoted and cited.

No model is needed, so memory always answers, with or without an LLM, and the answer can
only say what was said.  What it quotes depends on the question (``Evidence.route``):

- a recap (a time question with no topic: whole sessions or days) lists each session's
  topics, grouped by session with date and weekday, each its most informative sentence
  (``agent.answer.recap``: idf over the conversation, MMR against repeats), within a
  length bound shared among the sessions;
- any other question leads with the sentence that best answers it (its match with the
  question's content words, then the retriever's order, LexRank centrality breaking
  ties); a "when" question's first line is the turn ``convmem.retrieval.when`` chose,
  led by its date in words that say how it was found ("the Saturday before Thursday 25
  May 2023 — Saturday 20 May 2023"; "Monday 3 July 2023, the day it was said" when the
  turn names no time); the rest of the evidence follows as context, grouped by session.

``style="representative"`` keeps the earlier answerer (LexRank centrality over TF-IDF
vectors, Erkan & Radev 2004, nudged towards the question) as a measured baseline.
Quoting is also the defence against instructions hidden in old turns: they are shown as
what someone said, never acted on.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime

import numpy as np

from agent.answer.base import (
    EXTRACTIVE_OPENING,
    NOTHING_FOUND,
    Answer,
    Evidence,
    TextSink,
    repeats_memory,
)
from agent.answer.recap import (
    LINES_IN_ALL,
    WordRarity,
    lines_per_session,
    log_tf,
    pick_topics,
    unit_rows,
)
from agent.grounding import content_words
from convmem.retrieval.bm25 import tokenize
from convmem.types import Turn

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_OWN_CITATION = re.compile(r"\s*\[t:[^\]]*\]")
DAMPING = 0.85
ITERATIONS = 60
QUESTION_WEIGHT = 2.0  # a sentence on the question's subject outranks a merely central one
CENTRALITY_SHARE = 0.25  # answering: centrality only breaks near-ties in matching the question
RANK_WEIGHT = 0.2  # the retriever's first turn gets this much, its second half, ...


@dataclass(frozen=True)
class Sentence:
    turn: Turn
    text: str
    position: int  # order of first appearance, for stable ties


STYLES = ("topics", "representative")


class ExtractiveAnswerer:
    """``style="topics"`` (the default): recaps list each session's topics, other
    questions lead with the sentence that answers them.  ``style="representative"``: the
    earlier answerer, every question answered with its most central sentences (kept as the
    baseline that ``eval recaps`` measures against)."""

    name = "extractive"

    def __init__(
        self, max_lines: int = 12, per_session: int = 4, max_chars: int = 240, style: str = "topics"
    ) -> None:
        if style not in STYLES:
            raise ValueError(f"style must be one of {', '.join(STYLES)}, not {style!r}")
        self.max_lines = max_lines
        self.per_session = per_session
        self.max_chars = max_chars
        self.style = style

    def answer(self, evidence: Evidence, on_text: TextSink | None = None) -> Answer:
        turns = tuple(t for t in evidence.turns if not repeats_memory(t.text))
        if not turns:
            answer = Answer(NOTHING_FOUND, self.name)
        elif self.style == "representative":
            answer = self._summarise(evidence.question, turns)
        elif evidence.route == "time":
            answer = self._recap(turns, evidence.background)
        else:
            answer = self._best_first(evidence, turns)
        if on_text is not None:
            on_text(answer.text)
        return answer

    def _summarise(self, question: str, turns: tuple[Turn, ...]) -> Answer:
        sentences = split_sentences(turns)
        scores = representativeness([s.text for s in sentences], question)
        order = sorted(range(len(sentences)), key=lambda i: (-scores[i], sentences[i].position))
        chosen = self._fill(sentences, order, self.per_session, self.max_lines)
        lines = [_header(len(turns), _count_sessions(turns), "most representative first")]
        return self._grouped(lines, sentences, chosen, turns)

    def _recap(self, turns: tuple[Turn, ...], background: tuple[str, ...]) -> Answer:
        """Each session's topics, most informative first (see ``agent.answer.recap``)."""
        rarity = WordRarity.of(background or tuple(t.text for t in turns))
        sentences = split_sentences(turns)
        sessions = sorted({t.session_index for t in turns})
        per_session = lines_per_session(len(sessions))
        chosen: list[int] = []
        for session in sessions[: max(1, LINES_IN_ALL // per_session)]:
            members = [i for i, s in enumerate(sentences) if s.turn.session_index == session]
            picked = pick_topics([sentences[i].text for i in members], rarity, per_session,
                                 [sentences[i].turn.turn_id for i in members])
            chosen.extend(members[i] for i in picked)
        lines = [_header(len(turns), len(sessions), "the topics of each session")]
        return self._grouped(lines, sentences, chosen, turns)

    def _best_first(self, evidence: Evidence, turns: tuple[Turn, ...]) -> Answer:
        """The sentence that best answers the question on the first line (with the date a
        "when" question asks for), then the rest of the evidence as context."""
        sentences = split_sentences(turns)
        texts = [s.text for s in sentences]
        rank = {t.turn_id: r for r, t in enumerate(turns)}
        scores = answering(texts, evidence.question, [rank[s.turn.turn_id] for s in sentences])
        order = sorted(range(len(sentences)), key=lambda i: (-scores[i], sentences[i].position))
        when = evidence.when if asks_when(evidence.question) else None
        if when is not None and any(s.turn.turn_id == when.turn_id for s in sentences):
            # the turn that says when leads, with its sentence that names the time
            own = [i for i in order if sentences[i].turn.turn_id == when.turn_id]
            named = [i for i in own if when.event.expression and when.event.expression in sentences[i].text]
            lead = (named or own)[0]
            order = [lead, *(i for i in order if i != lead)]
        best = sentences[order[0]]
        first = self._first_line(best, evidence)
        rest = self._fill(sentences, order[1:], self.per_session, self.max_lines - 1, skip_turn=best.turn.turn_id)
        lines = [first]
        if rest:
            lines.append(f"Context ({len(turns)} turn{_s(len(turns))} in {_count_sessions(turns)}"
                         f" session{_s(_count_sessions(turns))}), closest first:")
        answer = self._grouped(lines, sentences, rest, turns, hide_empty=True)
        cited = (best.turn.turn_id, *(i for i in answer.cited if i != best.turn.turn_id))
        return Answer(answer.text, self.name, cited)

    def _first_line(self, best: Sentence, evidence: Evidence) -> str:
        turn = best.turn
        quote = f"{turn.speaker} said “{self._clip(best.text)}” [t:{turn.turn_id}]"
        if not asks_when(evidence.question):
            return f"{EXTRACTIVE_OPENING}{long_date(turn.spoken_at)}, session {turn.session_index}): {quote}"
        if evidence.when is not None and evidence.when.turn_id == turn.turn_id:
            return f"{EXTRACTIVE_OPENING}{evidence.when.derivation()}): {quote}"
        event = evidence.event_dates.get(turn.turn_id)
        if event is not None:
            said = f', "{event.expression}"' if event.expression else ""
            where = f"the day the turn talks about{said}; said {long_date(turn.spoken_at)}"
            return f"{EXTRACTIVE_OPENING}on {long_date(event.day)}, {where}): {quote}"
        return (f"{EXTRACTIVE_OPENING}on {long_date(turn.spoken_at)}, the day it was said;"
                f" no event date is known): {quote}")

    def _fill(
        self, sentences: list[Sentence], order: list[int], per_session: int, limit: int,
        skip_turn: str | None = None,
    ) -> list[int]:
        """The first sentences of ``order`` within the bounds; with ``skip_turn`` (the turn
        already quoted, or "" for none) one sentence per turn."""
        chosen: list[int] = []
        counts: Counter[int] = Counter()
        used = set() if skip_turn is None else {skip_turn}
        for i in order:
            sentence = sentences[i]
            if sentence.turn.turn_id in used or counts[sentence.turn.session_index] >= per_session:
                continue
            if len(chosen) >= limit:
                break
            chosen.append(i)
            counts[sentence.turn.session_index] += 1
            if skip_turn is not None:
                used.add(sentence.turn.turn_id)
        return chosen

    def _grouped(
        self, lines: list[str], sentences: list[Sentence], chosen: list[int], turns: tuple[Turn, ...],
        hide_empty: bool = False,
    ) -> Answer:
        """``lines`` then the chosen sentences under their sessions (in time order), each
        session's lines in the order chosen."""
        shown = sorted({sentences[i].turn.session_index for i in chosen})
        cited: list[str] = []
        for session in shown:
            rows = [sentences[i] for i in chosen if sentences[i].turn.session_index == session]
            lines.append(_session_line(session, rows[0].turn))
            for row in rows:
                lines.append(self._line(row))
                cited.append(row.turn.turn_id)
        hidden = _count_sessions(turns) - len(shown)
        if hidden > 0 and not (hide_empty and not chosen):
            lines.append(f"(and {hidden} more session(s) not shown)")
        return Answer("\n".join(lines), self.name, tuple(dict.fromkeys(cited)))

    def _clip(self, text: str) -> str:
        return text if len(text) <= self.max_chars else text[: self.max_chars - 1].rstrip() + "…"

    def _line(self, sentence: Sentence) -> str:
        turn = sentence.turn
        return f"- {turn.spoken_at:%H:%M} {turn.speaker}: “{self._clip(sentence.text)}” [t:{turn.turn_id}]"


_WHEN = re.compile(
    r"\b(when|what (?:date|day|year|month|time|week)|which (?:date|day|year|month|week)|how long ago)\b",
    re.IGNORECASE,
)


def asks_when(question: str) -> bool:
    """Whether the question asks for a date ("When did...", "What day...", "How long ago...")."""
    return bool(_WHEN.search(question))


def long_date(day: date | datetime) -> str:
    return f"{day:%A} {day.day} {day:%B %Y}"


def answering(texts: list[str], question: str, ranks: list[int]) -> np.ndarray:
    """How well each sentence answers: its TF-IDF similarity to the question's content
    words, then the retriever's order (its best turn first), centrality breaking ties."""
    centrality, on_topic = _centrality_and_match(texts, question)
    rank = RANK_WEIGHT / (1.0 + np.asarray(ranks, dtype=float))
    return QUESTION_WEIGHT * on_topic + CENTRALITY_SHARE * centrality + rank


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
    centrality, on_topic = _centrality_and_match(texts, question)
    return centrality + QUESTION_WEIGHT * on_topic


def _centrality_and_match(texts: list[str], question: str) -> tuple[np.ndarray, np.ndarray]:
    if not texts:
        return np.zeros(0), np.zeros(0)
    tokens = [tokenize(t) for t in texts]
    matrix, idf, vocabulary = _tfidf(tokens)
    similarity = matrix @ matrix.T
    np.fill_diagonal(similarity, 0.0)
    rank = _lexrank(similarity)
    centrality = rank / rank.max() if rank.max() > 0 else rank
    on_topic = np.zeros(len(texts))
    words = content_words(question.lower())
    if words:
        query = np.zeros(len(vocabulary))
        for word in words:
            if word in vocabulary:
                query[vocabulary[word]] += idf[vocabulary[word]]
        norm = np.linalg.norm(query)
        if norm > 0:
            on_topic = matrix @ (query / norm)
    return centrality, on_topic


def _tfidf(tokens: list[list[str]]) -> tuple[np.ndarray, np.ndarray, dict[str, int]]:
    matrix, vocabulary = log_tf(tokens)
    documents = (matrix > 0).sum(axis=0)
    idf = np.log((1.0 + len(tokens)) / (1.0 + documents)) + 1.0
    matrix *= idf
    return unit_rows(matrix), idf, vocabulary


def _lexrank(similarity: np.ndarray) -> np.ndarray:
    n = similarity.shape[0]
    degree = similarity.sum(axis=1, keepdims=True)
    transition = np.where(degree > 0, similarity / np.where(degree > 0, degree, 1.0), 1.0 / n)
    rank = np.full(n, 1.0 / n)
    for _ in range(ITERATIONS):
        rank = (1.0 - DAMPING) / n + DAMPING * (transition.T @ rank)
    return rank


def _s(count: int) -> str:
    return "s" if count != 1 else ""


def _count_sessions(turns: tuple[Turn, ...]) -> int:
    return len({t.session_index for t in turns})


def _header(turns: int, sessions: int, order: str) -> str:
    return f"{EXTRACTIVE_OPENING}{turns} turn{_s(turns)} in {sessions} session{_s(sessions)}), {order}:"


def _session_line(index: int, turn: Turn) -> str:
    return f"Session {index}, {turn.spoken_at:%A %Y-%m-%d}:"
