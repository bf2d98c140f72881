"""Context-carrying disambiguation without an LLM.

When the last request names no time ("Can you summarize what we discussed?"), the time
anchors of the most recent earlier turn that has one are carried into it ("I see in my
calendar we talked 167 days ago").  The rewritten query says what was carried.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from agent.grounding import ConversationFacts, Grounding, ground
from convmem.types import DialogueTurn


@dataclass(frozen=True)
class Disambiguated:
    query: str  # self-contained text
    grounding: Grounding
    carried_from: str | None = None  # the earlier turn whose anchors were carried


def carry_time_anchors(
    request: str, context: tuple[DialogueTurn, ...], facts: ConversationFacts
) -> Disambiguated:
    own = ground(request, facts)
    # A weekday is a time of the request's own ("on a Tuesday morning"): an earlier turn's
    # date is not laid on top of it.
    if own.has_anchor or own.weekdays or not context:
        return Disambiguated(request, own)
    for turn in reversed(context):
        earlier = ground(turn.text, facts)
        if not earlier.has_anchor:
            continue
        merged = replace(
            own,
            day_spans=own.day_spans or earlier.day_spans,
            days_ago=own.days_ago if own.days_ago is not None else earlier.days_ago,
            windows=own.windows or earlier.windows,
            weekdays=own.weekdays or earlier.weekdays,
            parts_of_day=own.parts_of_day or earlier.parts_of_day,
            session_spans=own.session_spans or earlier.session_spans,
            session_pick=own.session_pick or earlier.session_pick,
            position=own.position or earlier.position,
            matched=[*own.matched, *earlier.matched],
        )
        anchors = ", ".join(m for m in earlier.matched if m)
        return Disambiguated(f"{request.rstrip()} [{anchors}]", merged, turn.text)
    return Disambiguated(request, own)
