"""Okapi BM25 over one conversation's turns.

An index is built lazily the first time a conversation is searched and kept until that
conversation changes (``MemoryStore.revision_of``: writes to other conversations leave
it); a rebuild reuses the words of the turns it had already read.  The term weights are precomputed
into a column-compressed (term -> postings) matrix held as plain numpy arrays, so a
query costs one gather and one ``bincount`` over the postings of its terms: a few
milliseconds even over 100k turns.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from convmem.storage.memory import MemoryStore

K1 = 1.5
B = 0.75

_WORD = re.compile(r"[a-z0-9]+")
_APOSTROPHES = re.compile(r"['\u2019]")
_STOP_TEXT = """
    a an and are as at be been but by can could did do does for from had has have he her
    him his how i if in into is it its just me my of on or our she so that the their them
    then there these they this those to was we were what when where which who will with
    would you your
"""
STOP_WORDS = frozenset(_STOP_TEXT.split())


def tokenize(text: str) -> list[str]:
    """Lowercase alphanumeric words without apostrophes ("don't" -> "dont"), minus stop words."""
    return list(_tokens(text))


@functools.lru_cache(maxsize=65_536)
def _tokens(text: str) -> tuple[str, ...]:
    """(Kept per text: a long-lived process tokenizes the same turns for every request.)"""
    words = _WORD.findall(_APOSTROPHES.sub("", text.lower()))
    return tuple(w for w in words if w not in STOP_WORDS)


@dataclass(frozen=True)
class BM25Hit:
    turn_id: str
    score: float


class BM25Index:
    """BM25 weights for a fixed list of documents (one conversation's turns, in order)."""

    def __init__(self, doc_ids: Sequence[str], texts: Sequence[str], k1: float = K1, b: float = B,
                 tokens: Sequence[Sequence[str]] | None = None):
        """``tokens``: each text already through ``tokenize`` (then ``texts`` is not read)."""
        words = tokens if tokens is not None else [tokenize(text) for text in texts]
        if len(doc_ids) != len(words):
            raise ValueError("doc_ids and texts differ in length")
        self.doc_ids = list(doc_ids)
        self.row_of = {doc_id: row for row, doc_id in enumerate(self.doc_ids)}
        self.vocabulary: dict[str, int] = {}
        rows: list[int] = []
        cols: list[int] = []
        counts: list[int] = []
        lengths = np.zeros(len(words), dtype=np.float64)
        for row, said in enumerate(words):
            lengths[row] = len(said)
            for term, tf in Counter(said).items():
                rows.append(row)
                cols.append(self.vocabulary.setdefault(term, len(self.vocabulary)))
                counts.append(tf)
        row_arr = np.asarray(rows, dtype=np.int64)
        col_arr = np.asarray(cols, dtype=np.int64)
        tf_arr = np.asarray(counts, dtype=np.float64)
        n_docs, n_terms = len(words), len(self.vocabulary)
        doc_freq = np.bincount(col_arr, minlength=n_terms).astype(np.float64)
        idf = np.log((n_docs - doc_freq + 0.5) / (doc_freq + 0.5) + 1.0)
        avg_len = float(lengths.mean()) if n_docs else 0.0
        avg_len = avg_len if avg_len > 0 else 1.0
        norm = k1 * (1.0 - b + b * lengths[row_arr] / avg_len)
        weights = idf[col_arr] * tf_arr * (k1 + 1.0) / (tf_arr + norm)
        order = np.argsort(col_arr, kind="stable")
        self._postings = row_arr[order]
        self._weights = weights[order]
        self._indptr = np.concatenate(([0], np.cumsum(doc_freq.astype(np.int64))))

    def __len__(self) -> int:
        return len(self.doc_ids)

    def scores(self, text: str) -> np.ndarray:
        """One score per document (0 where no query term occurs). Repeated query words count once."""
        scores = np.zeros(len(self.doc_ids), dtype=np.float64)
        terms = {self.vocabulary[t] for t in tokenize(text) if t in self.vocabulary}
        if not terms:
            return scores
        spans = [slice(self._indptr[t], self._indptr[t + 1]) for t in sorted(terms)]
        postings = np.concatenate([self._postings[s] for s in spans])
        weights = np.concatenate([self._weights[s] for s in spans])
        return np.bincount(postings, weights=weights, minlength=len(self.doc_ids))

    def top(self, text: str, k: int, candidates: Iterable[str] | None = None) -> list[BM25Hit]:
        """The ``k`` best documents with a positive score, best first; ties keep document order.

        With ``candidates``, only those document ids are ranked (unknown ids are ignored).
        """
        if k <= 0 or not self.doc_ids:
            return []
        scores = self.scores(text)
        if candidates is None:
            rows = np.flatnonzero(scores > 0)
        else:
            wanted = np.fromiter(
                (r for r in (self.row_of.get(c) for c in candidates) if r is not None), dtype=np.int64
            )
            wanted = np.unique(wanted)
            rows = wanted[scores[wanted] > 0]
        if len(rows) > k:
            rows = rows[np.argpartition(-scores[rows], k - 1)[:k]]
        rows = rows[np.lexsort((rows, -scores[rows]))]
        return [BM25Hit(self.doc_ids[r], float(scores[r])) for r in rows]


class BM25Search:
    """Per-conversation BM25 indexes over a store, rebuilt when that conversation changes."""

    def __init__(self, store: MemoryStore, k1: float = K1, b: float = B) -> None:
        self.store = store
        self.k1 = k1
        self.b = b
        self._cache: dict[str, tuple[object, BM25Index, dict[str, frozenset[str]]]] = {}
        self._words: dict[str, tuple[object, dict[str, list[str]]]] = {}  # per conversation: turn id -> tokens

    def index(self, conversation_id: str) -> BM25Index:
        return self._indexed(conversation_id)[1]

    def _indexed(self, conversation_id: str) -> tuple[object, BM25Index, dict[str, frozenset[str]]]:
        revision = self.store.revision_of(conversation_id)
        cached = self._cache.get(conversation_id)
        if cached is not None and cached[0] == revision:
            return cached
        epoch = self.store.epoch_of(conversation_id)
        known = self._words.get(conversation_id)
        words = dict(known[1]) if known is not None and known[0] == epoch else {}
        turns = self.store.turns(conversation_id)
        tokens = [words[t.turn_id] if t.turn_id in words else tokenize(t.text) for t in turns]
        self._words[conversation_id] = (epoch, {t.turn_id: said for t, said in zip(turns, tokens, strict=True)})
        built = BM25Index([t.turn_id for t in turns], (), self.k1, self.b, tokens=tokens)
        by_role: dict[str, set[str]] = {}
        for t in turns:
            by_role.setdefault(t.role, set()).add(t.turn_id)
        entry = (revision, built, {role: frozenset(ids) for role, ids in by_role.items()})
        self._cache[conversation_id] = entry
        return entry

    def search(
        self,
        conversation_id: str,
        text: str,
        k: int,
        candidates: Iterable[str] | None = None,
        roles: Sequence[str] | None = None,
        exclude: Collection[str] = (),
    ) -> list[BM25Hit]:
        """The ``k`` best turns; with ``roles``, only turns of those roles; never ``exclude``."""
        _, index, by_role = self._indexed(conversation_id)
        if (roles is not None and set(by_role) - set(roles)) or exclude:
            kept = roles if roles is not None else tuple(by_role)
            allowed = frozenset().union(*(by_role.get(r, frozenset()) for r in kept)) - frozenset(exclude)
            candidates = allowed if candidates is None else [c for c in candidates if c in allowed]
        return index.top(text, k, candidates)
