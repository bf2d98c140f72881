"""Routes the CLI needs to work on a store a server owns, beyond the conversation API:
the event times ``convmem show`` prints under turns, and ``convmem doctor``'s check.

The doctor check runs under the service's lock, so it never sees an ingest half-way
(vectors written, turns not yet committed); a repair is not offered here: it rewrites
the vector side, which needs the store to itself.
"""

from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel, Field

from service.access import ForbiddenError, Scope
from service.memory import MemoryService


class TurnIdsIn(BaseModel):
    turn_ids: list[str] = Field(max_length=10_000)


def event_times(service: MemoryService, conversation_id: str, turn_ids: list[str]) -> dict[str, Any]:
    service.require(conversation_id)
    found = service.store.turn_times(conversation_id, turn_ids) if turn_ids else {}
    return {"conversation": conversation_id, "event_times": {
        turn_id: [{"start": e.start.isoformat(), "end": e.end.isoformat(), "expression": e.expression,
                   "kind": e.kind, "description": e.describe()} for e in events]
        for turn_id, events in found.items()
    }}


def doctor_check(service: MemoryService) -> dict[str, Any]:
    with service.lock:
        report = service.store.doctor(repair=False)
    return {"turns": report.turns, "vectors": report.vectors, "missing_vectors": report.missing_vectors,
            "orphan_vectors": report.orphan_vectors, "healthy": report.healthy}


def add_store_routes(app: FastAPI, service: MemoryService, caller: Any, conversation: Any) -> None:
    """``caller`` and ``conversation``: the app's dependencies that check the key's scope."""

    @app.post("/conversations/{conversation_id}/event-times")
    def turn_event_times(conversation_id: conversation, body: TurnIdsIn) -> dict[str, Any]:  # type: ignore[valid-type]
        return event_times(service, conversation_id, body.turn_ids)

    @app.get("/doctor")
    def doctor(who: caller) -> dict[str, Any]:  # type: ignore[valid-type]
        scope: Scope = who
        if not scope.everything:
            raise ForbiddenError("the doctor check reads the whole store; use a key scoped to '*'")
        return doctor_check(service)
