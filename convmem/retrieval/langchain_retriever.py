"""Any convmem retriever as a LangChain ``BaseRetriever``, for use in LangChain chains.

convmem retrievers answer a ``Query`` (a conversation, a question and the moment it is
asked) with turn ids; a LangChain retriever answers a string with ``Document``s.  This
adapter fixes the conversation and the clock at construction, looks the returned ids up
in the store, and puts each turn's time and place in the conversation into the document
metadata so a chain can cite or filter by it.  LangChain types stay in this module.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, Protocol

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever

from convmem.retrieval.base import Query, Retrieval, Retriever
from convmem.types import Turn


class TurnSource(Protocol):
    """Where turns are looked up by conversation (``MemoryStore`` is one)."""

    def turns(self, conversation_id: str) -> Sequence[Turn]: ...


class ConvmemRetriever(BaseRetriever):
    """``retriever``: a convmem ``Retriever``; ``store``: a ``TurnSource``; ``clock``
    gives the moment each question is asked (pin it in tests); ``k`` caps the documents."""

    retriever: Any
    store: Any
    conversation_id: str
    speaker: str | None = None
    clock: Callable[[], datetime] = datetime.now
    k: int | None = None

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        retriever: Retriever = self.retriever
        asked = Query(self.conversation_id, query, self.clock(), speaker=self.speaker)
        retrieval = retriever.retrieve(asked)
        ids = retrieval.turn_ids if self.k is None else retrieval.turn_ids[: self.k]
        by_id = {turn.turn_id: turn for turn in self.store.turns(self.conversation_id)}
        documents = []
        for rank, turn_id in enumerate(ids):
            turn = by_id.get(turn_id)
            if turn is not None:  # an id the store no longer holds is dropped, not invented
                documents.append(turn_document(turn, rank, retrieval, retriever.name))
        return documents


def turn_document(
    turn: Turn, rank: int, retrieval: Retrieval, retriever_name: str = ""
) -> Document:
    """One turn as a Document; metadata values are plain scalars, as vector stores expect."""
    metadata: dict[str, Any] = {
        "conversation_id": turn.conversation_id,
        "turn_id": turn.turn_id,
        "order": turn.order,
        "session_index": turn.session_index,
        "index_in_session": turn.index_in_session,
        "speaker": turn.speaker,
        "spoken_at": turn.spoken_at.isoformat(),
        "rank": rank,
        "route": retrieval.route,
        "retriever": retriever_name,
    }
    position = retrieval.turn_ids.index(turn.turn_id)
    if position < len(retrieval.scores):
        metadata["score"] = float(retrieval.scores[position])
    return Document(page_content=turn.text, metadata=metadata, id=turn.vector_id)
