"""The HTTP API over one ``MemoryService`` (FastAPI; the OpenAPI schema is at ``/docs``).

Handlers are plain ``def`` functions, so FastAPI runs them in its thread pool and many
requests are served at once; the service's lock serialises what touches the store.  The
busy routes (write, retrieve, recall, ask) return their JSON ready-made (``_json``): a
generic ``dict`` needs no response validation, which would walk every turn of the answer
again in Python.
Every conversation route checks the caller's key scope before it reads anything.
"""


import json
import math
import queue
import threading
from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Header, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from pydantic import BaseModel, Field

from convmem.errors import ConvmemError, InputFormatError, NotFoundError, StoreError
from convmem.types import DialogueTurn
from service.access import AuthError, ForbiddenError, KeyRing, Scope
from service.memory import MemoryService, NewTurn, parse_moment
from service.store_routes import add_store_routes

STATUS = {AuthError: 401, ForbiddenError: 403, NotFoundError: 404, InputFormatError: 400}


class TurnIn(BaseModel):
    speaker: str
    text: str
    timestamp: str | None = None
    turn_id: str | None = None
    session: int | None = Field(default=None, ge=1)


class TurnsIn(BaseModel):
    turns: list[TurnIn] = Field(min_length=1, max_length=10_000)


class DialogueIn(BaseModel):
    speaker: str = ""
    text: str


class RecallIn(BaseModel):
    query: str = Field(min_length=1)
    asked_at: str | None = None
    after: str | None = None
    before: str | None = None
    session: int | None = Field(default=None, ge=1)
    k: int = Field(default=10, ge=1, le=200)


class QuestionIn(BaseModel):
    question: str = Field(min_length=1)
    asked_at: str | None = None
    context: list[DialogueIn] = Field(default_factory=list)
    retriever: str = "agent"
    stream: bool = False


def _status(exc: ConvmemError) -> int:
    for kind, code in STATUS.items():
        if isinstance(exc, kind):
            return code
    if exc.code == "conversation_conflict":
        return 409
    if isinstance(exc, StoreError):
        return 500
    return 400


def create_app(service: MemoryService, keys: KeyRing) -> FastAPI:
    app = FastAPI(title="convmem", description="Long-term memory for conversational agents.", version="0.1.0")

    @app.exception_handler(ConvmemError)
    def _error(_: Request, exc: ConvmemError) -> JSONResponse:
        return JSONResponse({"error": exc.code, "message": exc.message}, status_code=_status(exc))

    def scope(
        authorization: Annotated[str | None, Header()] = None,
        x_api_key: Annotated[str | None, Header()] = None,
    ) -> Scope:
        key = x_api_key
        if authorization and authorization.lower().startswith("bearer "):
            key = authorization[7:].strip()
        return keys.scope_of(key)

    Caller = Annotated[Scope, Depends(scope)]

    def allowed(conversation_id: str, caller: Caller) -> str:
        caller.check(conversation_id)
        return conversation_id

    Conv = Annotated[str, Depends(allowed)]

    @app.get("/health")
    def health() -> dict[str, Any]:
        return {"status": "ok"} if keys.enabled else service.health()

    @app.get("/stats")
    def stats(caller: Caller) -> dict[str, Any]:
        if caller.everything:
            return service.stats()
        visible = caller.visible(service.conversation_ids())
        return {"conversations": len(visible), "sessions": sum(len(service.sessions(c)) for c in visible),
                "turns": sum(len(service.turns(c)) for c in visible)}

    @app.get("/conversations")
    def conversations(caller: Caller) -> dict[str, Any]:
        return {"conversations": caller.visible(service.conversation_ids())}

    @app.post("/conversations/{conversation_id}/turns", response_model=None)
    def add_turns(conversation_id: Conv, body: TurnsIn) -> Response:
        items = [
            NewTurn(t.speaker, t.text, parse_moment(t.timestamp, f"turns[{i}].timestamp"), t.turn_id, t.session)
            for i, t in enumerate(body.turns)
        ]
        return _json(service.add_turns(conversation_id, items))

    @app.get("/conversations/{conversation_id}/sessions")
    def sessions(conversation_id: Conv) -> dict[str, Any]:
        return {"conversation": conversation_id, "sessions": service.sessions(conversation_id)}

    @app.get("/conversations/{conversation_id}/turns")
    def turns(
        conversation_id: Conv,
        session: Annotated[int | None, Query(ge=1)] = None,
        since: str | None = None,
        until: str | None = None,
    ) -> dict[str, Any]:
        found = service.turns(conversation_id, session, parse_moment(since, "since"), parse_moment(until, "until"))
        return {"conversation": conversation_id, "turns": found}

    @app.post("/conversations/{conversation_id}/retrieve", response_model=None)
    def retrieve(conversation_id: Conv, body: QuestionIn) -> Response:
        return _json(service.retrieve(conversation_id, body.question, parse_moment(body.asked_at, "asked_at"),
                                      body.retriever, _dialogue(body)))

    @app.post("/conversations/{conversation_id}/recall", response_model=None)
    def recall(conversation_id: Conv, body: RecallIn) -> Response:
        return _json(service.recall(
            conversation_id, body.query, parse_moment(body.asked_at, "asked_at"), parse_moment(body.after, "after"),
            parse_moment(body.before, "before"), body.session, body.k,
        ))

    @app.post("/conversations/{conversation_id}/ask", response_model=None)
    def ask(conversation_id: Conv, body: QuestionIn) -> Response:
        asked_at = parse_moment(body.asked_at, "asked_at")
        if not body.stream:
            return _json(service.ask(conversation_id, body.question, asked_at, _dialogue(body)))
        service.require(conversation_id)
        return StreamingResponse(_stream(service, conversation_id, body.question, asked_at, _dialogue(body)),
                                 media_type="application/x-ndjson")

    @app.get("/conversations/{conversation_id}/export")
    def export(conversation_id: Conv) -> PlainTextResponse:
        return PlainTextResponse("".join(service.export(conversation_id)), media_type="application/x-ndjson")

    @app.post("/import")
    async def import_(request: Request, caller: Caller) -> JSONResponse:
        text = (await request.body()).decode("utf-8", errors="replace")

        def run() -> dict[str, Any]:
            try:
                return service.import_lines(text.splitlines(), caller.allows)
            except PermissionError as exc:
                raise ForbiddenError(f"this API key is not allowed to use conversation {exc.args[0]!r}") from None

        from starlette.concurrency import run_in_threadpool

        return JSONResponse(await run_in_threadpool(run))

    @app.delete("/conversations/{conversation_id}")
    def forget(conversation_id: Conv) -> dict[str, Any]:
        return service.forget(conversation_id)

    add_store_routes(app, service, Caller, Conv)
    return app


def _json(body: dict[str, Any]) -> Response:
    try:
        return JSONResponse(body)
    except ValueError:  # a float that JSON cannot hold (NaN, infinity) becomes null
        return JSONResponse(_finite(jsonable_encoder(body)))


def _finite(data: Any) -> Any:
    if isinstance(data, float):
        return data if math.isfinite(data) else None
    if isinstance(data, dict):
        return {key: _finite(value) for key, value in data.items()}
    if isinstance(data, list):
        return [_finite(value) for value in data]
    return data


def _dialogue(body: QuestionIn) -> tuple[DialogueTurn, ...]:
    return tuple(DialogueTurn(d.speaker, d.text) for d in body.context if d.text.strip())


def _stream(service: MemoryService, conversation_id: str, question: str, asked_at: Any,
            context: tuple[DialogueTurn, ...]) -> Iterator[str]:
    """NDJSON: ``{"delta": text}`` as the answer is written, then ``{"result": ask-json}``."""
    pieces: queue.Queue[tuple[str, Any]] = queue.Queue()

    def work() -> None:
        try:
            result = service.ask(conversation_id, question, asked_at, context,
                                 on_text=lambda delta: pieces.put(("delta", delta)))
            pieces.put(("result", result))
        except ConvmemError as exc:
            pieces.put(("error", {"error": exc.code, "message": exc.message}))

    threading.Thread(target=work, daemon=True).start()
    while True:
        kind, value = pieces.get(timeout=600)
        yield json.dumps({kind: value}) + "\n"
        if kind != "delta":
            return
