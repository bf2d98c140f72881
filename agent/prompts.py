"""Prompts as pure functions: data in, messages out.  Golden-file tests pin their text."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from convmem.retrieval.plan import COLUMN_KINDS, GROUP_COLUMNS, OPERATORS
from convmem.types import Session

PLAN_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "operations": {
            "type": "array",
            "maxItems": 6,
            "items": {
                "type": "object",
                "properties": {
                    "op": {"type": "string", "enum": ["select", "pick", "keep_rows", "sort", "limit", "semantic_rank"]},
                    "column": {"type": "string", "enum": sorted(COLUMN_KINDS)},
                    "operator": {"type": "string", "enum": list(OPERATORS)},
                    "value": {
                        "anyOf": [
                            {"type": "string", "maxLength": 40},
                            {"type": "integer"},
                            {"type": "array", "maxItems": 16,
                             "items": {"anyOf": [{"type": "string", "maxLength": 40}, {"type": "integer"}]}},
                        ]
                    },
                    "by": {"type": "string", "enum": list(GROUP_COLUMNS)},
                    "position": {"type": "integer"},
                    "count": {"type": "integer"},
                    "which": {"type": "string", "enum": ["first", "last"]},
                    "n": {"type": "integer"},
                    "descending": {"type": "boolean"},
                    "text": {"type": "string", "maxLength": 200},
                    "k": {"type": "integer"},
                },
                "required": ["op"],
                "additionalProperties": False,
            },
        }
    },
    "required": ["operations"],
    "additionalProperties": False,
}

PLANNER_SYSTEM = """You turn a question about a past conversation into a chain of table operations over its turns.
Table columns: session_index (1-based, in time order), turn_order, index_in_session, speaker, spoken_at (timestamp),
session_start (timestamp), day (YYYY-MM-DD), weekday (Monday..Sunday), weekday_num (1=Monday), hour (0-23),
part_of_day (morning|afternoon|evening|night), iso_week, iso_year, month (1-12), year.
Operations, applied in order, each to the rows the previous one left:
- {"op": "select", "column": C, "operator": "=|!=|<|<=|>|>=|between|in", "value": V}  (between: [low, high])
- {"op": "pick", "by": "session_index|day|iso_week|month|year", "position": P, "count": N}
  keeps whole groups: P=1 is the first, P=-1 the most recent, P=-2 the one before it.
- {"op": "keep_rows", "which": "first|last", "n": N}
- {"op": "semantic_rank", "text": T, "k": K}  only last, only when the question asks about a topic.
Answer with JSON only: {"operations": [...]}."""


def planner_messages(
    question: str, asked_at: datetime, sessions: Sequence[Session], speakers: Sequence[str]
) -> list[tuple[str, str]]:
    """(role, content) pairs for the LLM planner."""
    if sessions:
        span = (f"{len(sessions)} sessions, the first on {sessions[0].start:%A %Y-%m-%d},"
                f" the last on {sessions[-1].start:%A %Y-%m-%d}")
    else:
        span = "no sessions yet"
    user = (
        f"Now: {asked_at:%A %Y-%m-%d %H:%M}.\n"
        f"Speakers: {', '.join(speakers) or 'unknown'}.\n"
        f"Conversation: {span}.\n"
        f"Question: {question}"
    )
    return [("system", PLANNER_SYSTEM), ("user", user)]
