"""A floor on content-only answers: when no turn is close enough, memory has nothing on it.

Content-only questions are answered by hybrid search, which always returns its top k,
however far they are from the question ("purple monkey dishwasher quantum banana" used to
get "From memory (9 turns in 5 sessions)").  Fusion scores are ranks, not distances, so
evidence needs two things: the cosine similarity of the question (speaker names hidden, as
the content search embeds it) to the closest retrieved turn at or above a floor, and at
least a share of the question's words (stop words and speaker names aside) in the
retrieved turns.  A nonsense string that shares one word with the memory ("purple")
passes the first and fails the second.

Both were chosen on data: ``scripts/tune_content_floor.py`` picks the pair on LoCoMo
conversation 26 (answerable questions against hand-written nonsense and off-topic ones)
and checks it on conversation 30 with a second hand-written set; the figures are in
docs/chat.md.  The cosine floor depends on the embedder: those without a measured one get
no floor unless ``CONVMEM_CONTENT_FLOOR`` gives one.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from convmem.config import Settings
from convmem.embed.base import Embedder
from convmem.retrieval.baselines import mask_names
from convmem.retrieval.bm25 import tokenize
from convmem.retrieval.vector_cache import VectorCache
from convmem.storage.memory import MemoryStore
from convmem.types import Turn, vector_id

# By embedder name, measured by scripts/tune_content_floor.py (tuned on LoCoMo 26, checked on 30).
# minilm-int8 is the same model quantised (vectors within cosine ~0.99): same floor.
MEASURED_FLOORS: dict[str, float] = {"all-MiniLM-L6-v2": 0.21, "all-MiniLM-L6-v2-int8": 0.21}
WORD_COVERAGE_FLOOR = 0.25  # share of the question's words found in the retrieved turns
AUTO = -1.0  # CONVMEM_CONTENT_FLOOR: -1 = the measured floor; below -1 = no floor


def content_floor(settings: Settings, embedder_name: str) -> float | None:
    """The floor to apply, or ``None`` for none."""
    value = settings.content_floor
    if value == AUTO:
        return MEASURED_FLOORS.get(embedder_name)
    return None if value < AUTO else value


def word_coverage(store: MemoryStore, text: str, turns: Sequence[Turn]) -> float:
    """Share of the question's words (stop words and speaker names left out) that occur in
    the retrieved turns: 1.0 when it has no such word."""
    if not turns:
        return 0.0
    conversation = store.conversation(turns[0].conversation_id)
    names = {tokenize(part)[0] for name in (conversation.speakers if conversation else ()) for part in name.split()
             if tokenize(part)}
    wanted = {w for w in tokenize(text) if w not in names}
    if not wanted:
        return 1.0
    present = {w for t in turns for w in tokenize(t.text)}
    return len(wanted & present) / len(wanted)


def similarities(
    store: MemoryStore, embedder: Embedder, cache: VectorCache, text: str, turns: Sequence[Turn]
) -> list[float]:
    """Cosine similarity of ``text`` (its conversation's speaker names hidden) to each turn."""
    if not turns:
        return []
    conversation = store.conversation(turns[0].conversation_id)
    speakers = conversation.speakers if conversation is not None else ()
    query = embedder.embed([mask_names(text, tuple(speakers))])[0]
    matrix = cache.get([vector_id(t.conversation_id, t.turn_id) for t in turns])
    return [float(s) for s in matrix @ np.asarray(query, dtype=np.float32)]
