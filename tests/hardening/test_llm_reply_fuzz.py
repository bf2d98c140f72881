"""Random LLM replies through every parser: the server reply parser, the structured-answer
check, the rewrite, the planner (validated, then run on a real store), the answer writer,
the record/replay cache and the generator's JSON reader.  Each either succeeds or raises
the project's own error type; the agent as a whole always answers."""

from __future__ import annotations

import contextlib
import json
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agent.pipeline import Agent
from convmem.config import Settings
from convmem.errors import ConvmemError, LLMError, LLMOutputError
from convmem.llm import ChatRequest, LLMClient, ResponseCache
from convmem.llm.fake import FakeChatModel
from convmem.llm.replies import (
    CHUNK_SCHEMA,
    COMPLETION_SCHEMA,
    MODELS_SCHEMA,
    checked,
    completion_fields,
    parse_body,
)
from convmem.llm.types import ChatResponse
from convmem.retrieval.base import Query
from convmem.storage.loaders import load_file
from convmem.storage.memory import MemoryStore
from convmem.types import DialogueTurn
from dataset_gen.llm import parse_json_object
from tests.fixtures import tmd_log, write_json

EXAMPLES = 200
ASKED = datetime(2023, 5, 14, 9, 0)
SCALAR = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=20),
    st.sampled_from(["2023-05-08", "2023-05-08T09:00:00", "9999-12-31", "0001-01-01", "session_index",
                     "spoken_at", "day", "speaker", "turn_order", "=", "between", "in", ">=", "first",
                     "last", "Ana", "select", "pick", "keep_rows", "sort", "limit", "semantic_rank"]),
)
FIELDS = st.sampled_from(["op", "column", "operator", "value", "by", "position", "count", "which", "n",
                          "per", "descending", "text", "k", "relative_cutoff", "keywords", "question",
                          "operations", "answer"])
JSON = st.recursive(SCALAR, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                    st.dictionaries(FIELDS, inner, max_size=5)), max_leaves=20)
OPERATION = st.fixed_dictionaries(
    {"op": st.sampled_from(["select", "pick", "keep_rows", "sort", "limit", "semantic_rank", "drop"])},
    optional={"column": SCALAR, "operator": SCALAR, "value": JSON, "by": SCALAR, "position": SCALAR,
              "count": SCALAR, "which": SCALAR, "n": SCALAR, "text": SCALAR, "k": SCALAR},
)
PLAN = st.fixed_dictionaries({"operations": st.lists(OPERATION, max_size=5)})
REPLY = st.one_of(
    JSON.map(json.dumps), PLAN.map(json.dumps), st.text(max_size=60),
    PLAN.map(lambda p: "```json\n" + json.dumps(p) + "\n```"), PLAN.map(lambda p: json.dumps(p)[:25]),
    st.just("<html><body>502 Bad Gateway</body></html>"), st.just(""),
    st.text(max_size=20).map(lambda q: json.dumps({"question": q})),
)


@pytest.fixture(scope="module")
def memory(tmp_path_factory: pytest.TempPathFactory) -> MemoryStore:
    from convmem.embed.hashing import HashEmbedder

    root = tmp_path_factory.mktemp("fuzz")
    store = MemoryStore(root / "store", HashEmbedder(64))
    store.ingest(load_file(write_json(root / "c.json", tmd_log(sessions=4, turns=4))))
    return store


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rewrite=REPLY, plan=REPLY, answer=REPLY, question=st.sampled_from([
    "what did we talk about then?", "what did Ana say in our second session?", "how is the bike?",
]))
def test_the_agent_answers_whatever_the_llm_says(
    memory: MemoryStore, rewrite: str, plan: str, answer: str, question: str
) -> None:
    cfg = Settings.from_env({}, store=memory.root, embedder="hash", planner="llm", disambiguator="llm")
    fake = FakeChatModel([rewrite, plan, answer], strict=False)
    agent = Agent(memory, cfg, LLMClient(fake, max_retries=0))
    context = (DialogueTurn("Ana", "We talked 6 days ago about the bike."),)
    result = agent.ask(Query("c", question, ASKED, context))
    assert isinstance(result.text, str) and result.text.strip()


@settings(max_examples=EXAMPLES, deadline=None)
@given(body=st.one_of(JSON.map(json.dumps), st.text(max_size=60), st.binary(max_size=40).map(
    lambda b: b.decode("latin-1"))), kind=st.sampled_from(["application/json", "text/html", ""]))
def test_any_server_body_parses_or_is_llm_bad_output(body: str, kind: str) -> None:
    raw = body.encode("utf-8", "surrogatepass")
    for what, schema in (("completion", COMPLETION_SCHEMA), ("models", MODELS_SCHEMA)):
        try:
            value = parse_body(kind, raw, "http://x/v1", what, schema)
        except LLMOutputError:
            continue
        if schema is COMPLETION_SCHEMA:
            response = ChatResponse(**{**completion_fields(value), "model": "m"})
            assert isinstance(response.text, str) and response.prompt_tokens >= 0
    try:
        checked(json.loads(body), "http://x/v1", "chunk", CHUNK_SCHEMA)
    except (ValueError, RecursionError):
        pass  # not JSON at all: the SDK's stream reader turns that into LLMOutputError
    except LLMOutputError:
        pass


@settings(max_examples=EXAMPLES, deadline=None)
@given(reply=REPLY, schema=st.sampled_from([
    {"type": "object", "properties": {"question": {"type": "string", "maxLength": 300}}, "required": ["question"]},
    {"type": "object", "required": ["operations"], "properties": {"operations": {"type": "array"}}},
]))
def test_any_structured_reply_validates_or_is_llm_bad_output(reply: str, schema: dict) -> None:
    client = LLMClient(FakeChatModel([reply]), max_retries=0)
    try:
        response = client.complete_json(ChatRequest.of("q", json_schema=schema))
    except LLMError as exc:
        assert exc.code == "llm_bad_output"
        return
    assert isinstance(response.parsed, dict)


@settings(max_examples=EXAMPLES, deadline=None)
@given(reply=REPLY)
def test_the_generators_json_reader(reply: str) -> None:
    with contextlib.suppress(LLMOutputError):
        assert isinstance(parse_json_object(reply), dict)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(record=JSON)
def test_a_damaged_cache_record_is_a_miss(tmp_path: Path, record: object) -> None:
    cache = ResponseCache(tmp_path / "cache")
    request = ChatRequest.of("hello")
    path = cache.path_for(request.cache_key("fake", "fake-chat"))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"request": request.canonical("fake", "fake-chat"), "response": record}))
    try:
        hit = cache.get(request, "fake", "fake-chat")
    except ConvmemError:
        return
    assert hit is None or isinstance(hit.text, str)
