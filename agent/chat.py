"""An interactive chat over memory: every turn is stored as it is said, then answered.

``ChatSession`` holds the loop's logic so the command line only reads lines and writes
text.  The store, the LLM (or ``None``), the clock and the output are injected.

- A chat opens a new session of its conversation (index = the last one + 1), so "last
  time" means the session before this one (``Query.current_session``).
- The user's turn is written to both stores (DuckDB and Chroma) before anything else
  happens, so an LLM or retrieval failure never loses it and the next question can refer
  to it; the answer is stored the same way once written.
- Each turn is stored with its role (``convmem.types``): a line asking the memory
  something is a ``question``, a statement is ``said``, and the memory's replies are
  ``answer`` turns of the assistant.  Retrieval leaves questions and answers out (so the
  memory never cites itself or an earlier copy of the question) unless the question is
  about the chat itself ("what did I ask you a few minutes ago?").
- A statement ("I just started learning Portuguese.") is acknowledged, not searched
  (``agent.utterance`` tells the two apart by their syntax).
- A ``ConvmemError`` while answering is reported as one message and the chat goes on.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from agent.answer import TextSink
from agent.pipeline import Agent, AgentAnswer
from agent.utterance import about_the_chat, classify
from convmem.config import Settings
from convmem.errors import ConfigError, ConvmemError, InputFormatError, StoreError
from convmem.retrieval.base import Query
from convmem.storage.memory import MemoryStore
from convmem.types import ANSWER, QUESTION, SAID, Conversation, DialogueTurn, Turn

Clock = Callable[[], datetime]
CONTEXT_TURNS = 6  # recent turns of this session given to disambiguation
NOTED = "Noted; I'll remember that."
HELP = """Commands:
  /explain   how the last answer was found: rewritten query, chain of operations, SQL, turns
  /closest   the closest turn, when memory had nothing close enough to answer
  /sessions  the sessions of this conversation
  /help      this list
  /quit      end the chat (end of input works too)"""


def _write_stdout(text: str) -> None:
    print(text, end="", flush=True)  # answers arrive in pieces: no newline of its own


def session_clock(start: datetime | None = None, monotonic: Callable[[], float] = time.monotonic) -> Clock:
    """The wall clock, or a clock that starts at ``start`` and advances in real time."""
    if start is None:
        return datetime.now
    origin = monotonic()

    def now() -> datetime:
        return start + timedelta(seconds=monotonic() - origin)

    return now


class ChatSession:
    def __init__(
        self,
        store: MemoryStore,
        settings: Settings,
        llm: Any = None,
        *,
        conversation_id: str = "chat",
        speaker: str = "user",
        assistant: str = "assistant",
        clock: Clock = datetime.now,
        output: TextSink | None = None,
        agent: Agent | None = None,
    ) -> None:
        if not speaker.strip() or speaker.strip() == assistant:
            raise ConfigError(f"--as {speaker!r}: pick a speaker name other than {assistant!r}")
        if "#" in conversation_id or not conversation_id.strip():
            raise ConfigError(f"conversation id {conversation_id!r} must be non-empty and without '#'")
        self.store = store
        self.llm = llm
        self.conversation_id = conversation_id
        self.speaker = speaker.strip()
        self.assistant = assistant
        self.clock = clock
        self.output = output or _write_stdout
        self.agent = agent or Agent(store, settings, llm)
        self.history: list[DialogueTurn] = []
        self.last: AgentAnswer | None = None
        self.unsaid: str | None = None  # a line that could not be stored, kept to retry
        self.max_turn_chars = settings.max_turn_chars
        existing = store.tables.existing_turns(conversation_id)
        sessions = store.sessions(conversation_id)
        self.is_new = not sessions
        self.session_index = (sessions[-1].index if sessions else 0) + 1
        self._next_order = max((order for order, *_ in existing.values()), default=-1) + 1
        self._used_ids = set(existing)
        numeric = [int(i) for i in existing if i.isdigit()]
        self._next_id = max(numeric, default=-1) + 1
        self._last_time = max((s.end for s in sessions), default=None)
        self._index_in_session = 0
        started = clock()
        if self._last_time is not None and started < self._last_time:
            raise ConfigError(
                f"the chat would start at {started:%Y-%m-%d %H:%M}, before the last turn of"
                f" conversation {conversation_id!r} ({self._last_time:%Y-%m-%d %H:%M}); give a later --now"
            )

    # ---- the loop -----------------------------------------------------------------------
    def opening(self) -> None:
        where = "a new conversation" if self.is_new else "conversation"
        self.output(
            f"Chat in {where} {self.conversation_id!r}, session {self.session_index}, as"
            f" {self.speaker}. /help lists the commands.\n"
        )
        if self.llm is None:
            self.output(
                "No LLM configured (set CONVMEM_LLM_BASE_URL and CONVMEM_LLM_MODEL): answers"
                " are extracted from memory.\n"
            )

    def handle(self, line: str) -> bool:
        """One line of input; ``False`` when the chat should end."""
        text = line.strip() or self.unsaid or ""
        if not text:
            return True
        if text.startswith("/"):
            return self._command(text)
        try:
            self.say(text)
        except ConvmemError as exc:
            self.output(f"error: {exc.message}\n")
            if self.unsaid == text:
                self.output("Your line was not stored; it is kept: press Enter to send it again.\n")
        return True

    def say(self, text: str) -> AgentAnswer | None:
        """Store the user's turn; answer a question (streaming to the output) or acknowledge
        a statement; store the reply.  Returns the answer (``None`` for a statement)."""
        if len(text) > self.max_turn_chars:
            raise InputFormatError(
                "your line", "", f"{len(text):,} characters are more than the turn limit of"
                f" {self.max_turn_chars:,}; send it in parts, or raise CONVMEM_MAX_TURN_CHARS"
            )
        statement = classify(text) == "statement"
        try:
            asked = self._store_turn(self.speaker, text, SAID if statement else QUESTION)
        except StoreError:  # e.g. a full disk: the same line can succeed later
            self.unsaid = text
            raise
        self.unsaid = None
        if statement:
            self.history.append(DialogueTurn(self.speaker, text))
            self.output(NOTED + "\n")
            self._store_turn(self.assistant, NOTED, ANSWER)
            self.history.append(DialogueTurn(self.assistant, NOTED))
            return None
        query = Query(
            self.conversation_id, text, asked.spoken_at, tuple(self.history[-CONTEXT_TURNS:]),
            speaker=self.speaker, current_session=self.session_index, include_chat=about_the_chat(text),
            exclude_turn_ids=frozenset({asked.turn_id}),
        )
        self.history.append(DialogueTurn(self.speaker, text))
        result = self.agent.ask(query, on_text=self.output, exclude_turn_ids={asked.turn_id})
        self.output("\n")
        if result.closest:
            self.output("(Nothing close enough to answer from; /closest shows the nearest turn.)\n")
        self.last = result
        self._store_turn(self.assistant, result.text, ANSWER)
        self.history.append(DialogueTurn(self.assistant, result.text))
        return result

    # ---- commands -----------------------------------------------------------------------
    def _command(self, text: str) -> bool:
        name = text.split()[0].lower()
        if name in ("/quit", "/exit", "/q"):
            return False
        if name == "/help":
            self.output(HELP + "\n")
        elif name == "/sessions":
            self.output(self.sessions_text() + "\n")
        elif name == "/closest":
            self.output(self.closest_text() + "\n")
        elif name == "/explain":
            self.output((explain(self.last) if self.last else "Nothing asked yet.") + "\n")
        else:
            self.output(f"Unknown command {name}; /help lists the commands.\n")
        return True

    def closest_text(self) -> str:
        if self.last is None or not self.last.closest:
            return "The last answer had turns close enough to use; /explain shows them."
        turn = self.last.closest[0]
        return (
            f"Closest, though not close enough to answer from: [t:{turn.turn_id}] s{turn.session_index}"
            f" {turn.spoken_at:%a %Y-%m-%d %H:%M} {turn.speaker}: {turn.text}"
        )

    def sessions_text(self) -> str:
        lines = [f"Sessions of conversation {self.conversation_id!r}:"]
        for s in self.store.sessions(self.conversation_id):
            now = " (this chat)" if s.index == self.session_index else ""
            lines.append(f"  {s.index:>3}  {s.start:%a %Y-%m-%d %H:%M}  {s.turn_count} turns{now}")
        if len(lines) == 1 or self._index_in_session == 0:
            lines.append(f"  {self.session_index:>3}  (this chat, nothing said yet)")
        return "\n".join(lines)

    # ---- storage ------------------------------------------------------------------------
    def _store_turn(self, speaker: str, text: str, role: str) -> Turn:
        moment = self.clock()
        if self._last_time is not None and moment < self._last_time:
            moment = self._last_time  # a clock never runs backwards within a conversation
        while str(self._next_id) in self._used_ids:
            self._next_id += 1
        turn = Turn(
            self.conversation_id, str(self._next_id), self._next_order, self.session_index,
            self._index_in_session, speaker, text, moment, role,
        )
        conversation = Conversation(self.conversation_id, (self.speaker, self.assistant), "chat", (turn,))
        self.store.ingest([conversation], now=moment)
        self._used_ids.add(turn.turn_id)
        self._next_id += 1
        self._next_order += 1
        self._index_in_session += 1
        self._last_time = moment
        self.is_new = False
        return turn


def explain(result: AgentAnswer) -> str:
    """The last answer's trace for people: rewrite, chain, SQL, turns, LLM use."""
    trace, retrieval = result.trace, result.retrieval
    lines = [f"request: {trace.request}", f"rewritten: {result.rewrite.question} ({result.rewrite.method})"]
    lines += [f"  carried {c}" for c in result.rewrite.carried]
    plan_step = trace.get("plan")
    chain = plan_step.output.get("chain", []) if plan_step else []
    lines.append(f"route: {result.planned.route}; planner: {plan_step.output.get('planner') if plan_step else '-'}")
    lines.append("chain: " + (" -> ".join(chain) or "-"))
    if retrieval.sql:
        lines.append("sql:\n" + retrieval.sql)
        lines.append(f"params: {[str(p) for p in retrieval.params]}")
    lines.append(f"turns ({len(result.evidence.turns)}):")
    for turn in result.evidence.turns[:20]:
        flat = " ".join(turn.text.split())
        lines.append(
            f"  [t:{turn.turn_id}] s{turn.session_index} {turn.spoken_at:%a %Y-%m-%d %H:%M}"
            f" {turn.speaker}: {flat[:100]}"
        )
    if len(result.evidence.turns) > 20:
        lines.append(f"  ... and {len(result.evidence.turns) - 20} more")
    steps = ", ".join(f"{s.name} {s.latency_ms:.0f} ms" for s in trace.steps)
    lines.append(f"answer: {result.answer.method}; {trace.llm_calls} LLM call(s), {trace.tokens} tokens; {steps}")
    lines += [f"note: {n}" for s in trace.steps for n in s.notes]
    return "\n".join(lines)


def read_dialogue_file(path: Path) -> tuple[DialogueTurn, ...]:
    """The preceding dialogue for ``convmem ask --context``: a JSON list of {speaker, text}."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputFormatError(path, "", f"cannot read file ({exc.strerror or exc})") from None
    except json.JSONDecodeError as exc:
        raise InputFormatError(path, f"line {exc.lineno}", f"malformed JSON ({exc.msg})") from None
    except UnicodeDecodeError:
        raise InputFormatError(path, "", "not UTF-8 text") from None
    if not isinstance(data, list):
        raise InputFormatError(path, "", "expected a JSON list of {speaker, text} objects")
    turns = []
    for i, item in enumerate(data):
        if not isinstance(item, dict) or not isinstance(item.get("text"), str) or not item["text"].strip():
            raise InputFormatError(path, f"item {i}", "expected {speaker, text} with non-empty text")
        turns.append(DialogueTurn(str(item.get("speaker") or ""), item["text"].strip()))
    return tuple(turns)
