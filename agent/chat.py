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
from agent.store_access import HeldStore, StoreAccess, Unsaid, UnsavedJournal
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
        store: MemoryStore | StoreAccess,
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
        """``store``: a store held open for the chat's life, or a ``StoreAccess`` (such as
        ``StoreOnDemand``, which opens it for each line and closes it after)."""
        if not speaker.strip() or speaker.strip() == assistant:
            raise ConfigError(f"--as {speaker!r}: pick a speaker name other than {assistant!r}")
        if "#" in conversation_id or not conversation_id.strip():
            raise ConfigError(f"conversation id {conversation_id!r} must be non-empty and without '#'")
        self.access: StoreAccess = HeldStore(store) if isinstance(store, MemoryStore) else store
        self.settings = settings
        self.llm = llm
        self.conversation_id = conversation_id
        self.speaker = speaker.strip()
        self.assistant = assistant
        self.clock = clock
        self.output = output or _write_stdout
        self._agent = agent
        self.history: list[DialogueTurn] = []
        self.last: AgentAnswer | None = None
        self.unsaid: list[Unsaid] = []  # lines said but not stored yet (the store was busy), oldest first
        self.max_turn_chars = settings.max_turn_chars
        self._last_time: datetime | None = None
        self._index_in_session = 0
        self.replay_error = ""
        with self.access.open() as memory:
            self.journal = UnsavedJournal(memory.root)
            self._sync(memory)
            self.replayed = self._replay(memory)
            sessions = memory.sessions(conversation_id)
        self.is_new = not sessions
        self.session_index = (sessions[-1].index if sessions else 0) + 1
        started = clock()
        if self._last_time is not None and started < self._last_time:
            raise ConfigError(
                f"the chat would start at {started:%Y-%m-%d %H:%M}, before the last turn of"
                f" conversation {conversation_id!r} ({self._last_time:%Y-%m-%d %H:%M}); give a later --now"
            )

    def _agent_for(self, memory: MemoryStore) -> Agent:
        """The agent over ``memory``: one per open store, since its caches are good only
        for the store as that open saw it."""
        if self._agent is None or self._agent.store is not memory:
            self._agent = Agent(memory, self.settings, self.llm)
        return self._agent

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
        """One line of input; ``False`` when the chat should end.  An empty line stores
        the lines still waiting (and answers the last of them)."""
        text = line.strip()
        if text.startswith("/"):
            return self._command(text)
        if not text and not self.unsaid:
            return True
        try:
            self.say(text)
        except ConvmemError as exc:
            self.output(f"error: {exc.message}\n")
            if self.unsaid:
                self.output(
                    f"Not stored yet, and kept: {len(self.unsaid)} line(s); they are stored with your"
                    " next line (Enter alone sends them again), or when the chat ends.\n"
                )
        return True

    def say(self, text: str) -> AgentAnswer | None:
        """Store the user's turn (after any still waiting); answer a question (streaming
        to the output) or acknowledge a statement; store the reply.  Returns the answer
        (``None`` for a statement).  ``text`` empty: answer the last waiting line."""
        if len(text) > self.max_turn_chars:
            raise InputFormatError(
                "your line", "", f"{len(text):,} characters are more than the turn limit of"
                f" {self.max_turn_chars:,}; send it in parts, or raise CONVMEM_MAX_TURN_CHARS"
            )
        if text:
            role = SAID if classify(text) == "statement" else QUESTION
            self.unsaid.append(Unsaid(self.conversation_id, self.session_index, self.speaker, text, role,
                                      self.clock()))
        with self.access.open() as memory:  # a busy store raises here: the line waits in unsaid
            self._sync(memory)
            asked, line = self._store_unsaid(memory)
            return self._reply(memory, asked, line)

    def _reply(self, memory: MemoryStore, asked: Turn, line: Unsaid) -> AgentAnswer | None:
        text = line.text
        if line.role == SAID:
            self.history.append(DialogueTurn(self.speaker, text))
            self.output(NOTED + "\n")
            self._store_turn(memory, self.assistant, NOTED, ANSWER)
            self.history.append(DialogueTurn(self.assistant, NOTED))
            return None
        query = Query(
            self.conversation_id, text, asked.spoken_at, tuple(self.history[-CONTEXT_TURNS:]),
            speaker=self.speaker, current_session=self.session_index, include_chat=about_the_chat(text),
            exclude_turn_ids=frozenset({asked.turn_id}),
        )
        self.history.append(DialogueTurn(self.speaker, text))
        result = self._agent_for(memory).ask(query, on_text=self.output, exclude_turn_ids={asked.turn_id})
        self.output("\n")
        if result.closest:
            self.output("(Nothing close enough to answer from; /closest shows the nearest turn.)\n")
        self.last = result
        self._store_turn(memory, self.assistant, result.text, ANSWER)
        self.history.append(DialogueTurn(self.assistant, result.text))
        return result

    def close(self) -> None:
        """At the end of the chat: store the lines still waiting, or, if the store stays
        busy, keep them in the store's journal for the next chat."""
        if not self.unsaid:
            return
        try:
            with self.access.open() as memory:
                self._sync(memory)
                self._store_unsaid(memory)
            self.output("The line(s) that were waiting are stored now.\n")
        except (ConvmemError, KeyboardInterrupt) as exc:  # Ctrl-C: leave now, keep them
            self.journal.add(self.unsaid)
            reason = exc.message if isinstance(exc, ConvmemError) else "interrupted"
            self.output(f"error: {reason}\nKept {len(self.unsaid)} unstored line(s) in"
                        f" {self.journal.path}; the next chat on this store stores them.\n")
            self.unsaid = []

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
        with self.access.open() as memory:
            found = memory.sessions(self.conversation_id)
        for s in found:
            now = " (this chat)" if s.index == self.session_index else ""
            lines.append(f"  {s.index:>3}  {s.start:%a %Y-%m-%d %H:%M}  {s.turn_count} turns{now}")
        if len(lines) == 1 or self._index_in_session == 0:
            lines.append(f"  {self.session_index:>3}  (this chat, nothing said yet)")
        return "\n".join(lines)

    # ---- storage ------------------------------------------------------------------------
    def _sync(self, memory: MemoryStore) -> None:
        """Ids, order and time from the stored turns: another process (a server's client,
        or one that opened the store between this chat's lines) may have added some."""
        existing = memory.tables.existing_turns(self.conversation_id)
        self._next_order = max((order for order, *_ in existing.values()), default=-1) + 1
        self._used_ids = set(existing)
        self._next_id = max((int(i) for i in existing if i.isdigit()), default=-1) + 1
        latest = max((spoken_at for *_, spoken_at in existing.values()), default=None)
        if latest is not None and (self._last_time is None or latest > self._last_time):
            self._last_time = latest

    def _store_unsaid(self, memory: MemoryStore) -> tuple[Turn, Unsaid]:
        """Store the waiting lines, oldest first; the last one and its turn."""
        stored: tuple[Turn, Unsaid] | None = None
        while self.unsaid:
            line = self.unsaid[0]
            try:
                stored = self._store_turn(memory, line.speaker, line.text, line.role, line.spoken_at), line
            except ConvmemError as exc:
                if not isinstance(exc, StoreError):  # the line itself is refused: keeping it would not help
                    self.unsaid.pop(0)
                raise
            self.unsaid.pop(0)
            self.is_new = False
        assert stored is not None
        return stored

    def _replay(self, memory: MemoryStore) -> int:
        """Lines an earlier chat on this conversation could not store: into the last
        session, at the times they were said."""
        lines = self.journal.take(self.conversation_id)
        if not lines:
            return 0
        sessions = memory.sessions(self.conversation_id)
        session, index = (sessions[-1].index, sessions[-1].turn_count) if sessions else (1, 0)
        try:
            for number, line in enumerate(lines):
                self._write_turn(memory, line.speaker, line.text, line.role, line.spoken_at, session, index + number)
        except ConvmemError as exc:  # e.g. a read-only store: they stay kept for a later chat
            self.journal.add(lines[number:])
            self.replay_error = exc.message
            return number
        return len(lines)

    def _store_turn(self, memory: MemoryStore, speaker: str, text: str, role: str,
                    moment: datetime | None = None) -> Turn:
        turn = self._write_turn(memory, speaker, text, role, moment or self.clock(), self.session_index,
                                self._index_in_session)
        self._index_in_session += 1
        self.is_new = False
        return turn

    def _write_turn(self, memory: MemoryStore, speaker: str, text: str, role: str, moment: datetime,
                    session: int, index_in_session: int) -> Turn:
        if self._last_time is not None and moment < self._last_time:
            moment = self._last_time  # a clock never runs backwards within a conversation
        while str(self._next_id) in self._used_ids:
            self._next_id += 1
        turn = Turn(
            self.conversation_id, str(self._next_id), self._next_order, session, index_in_session,
            speaker, text, moment, role,
        )
        conversation = Conversation(self.conversation_id, (self.speaker, self.assistant), "chat", (turn,))
        memory.ingest([conversation], now=moment)
        self._used_ids.add(turn.turn_id)
        self._next_id += 1
        self._next_order += 1
        self._last_time = moment
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
