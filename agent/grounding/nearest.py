"""When a time reference selects nothing: the nearest sessions before and after it.

A question about a day nobody spoke ("what did we discuss on the 4th of July?" when the
sessions were on the 3rd and the 6th) is never answered with silence: the retriever says
the window is empty and offers the last session that began before it and the first that
began after it (among those begun by the time of asking), labelled as nearest.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from agent.grounding.types import ConversationFacts, Grounding
from convmem.types import Session


@dataclass(frozen=True)
class Nearest:
    before: Session | None
    after: Session | None
    asked_for: str  # what the question named, as the grammar read it

    @property
    def sessions(self) -> tuple[Session, ...]:
        return tuple(s for s in (self.before, self.after) if s is not None)

    def note(self) -> str:
        said = f"no turns in {self.asked_for}" if self.asked_for else "no turns match that time"
        if not self.sessions:
            return f"{said}, and no session near it"
        parts = [f"{_label(s)} ({side})" for s, side in ((self.before, "before"), (self.after, "after"))
                 if s is not None]
        return f"{said}; nearest sessions: " + ", ".join(parts)


def nearest_sessions(grounding: Grounding, facts: ConversationFacts) -> Nearest | None:
    """The sessions on either side of what ``grounding`` names, or ``None`` when it names
    no span of time (a weekday or a part of the day alone)."""
    begun = [s for s in facts.sessions if s.start <= facts.asked_at and s.index != facts.current_session]
    asked_for = ", ".join(m for m in grounding.matched if m)
    span = _span(grounding, facts)
    if span is not None:
        low, high = span
        before = [s for s in begun if s.start < low]
        after = [s for s in begun if s.start >= high]
    elif grounding.session_spans:
        low_index = min(s.low for s in grounding.session_spans)
        high_index = max(s.high for s in grounding.session_spans)
        before = [s for s in begun if s.index < low_index]
        after = [s for s in begun if s.index > high_index]
    else:
        return None
    return Nearest(
        max(before, key=lambda s: s.start) if before else None,
        min(after, key=lambda s: s.start) if after else None,
        asked_for,
    )


def _span(g: Grounding, facts: ConversationFacts) -> tuple[datetime, datetime] | None:
    lows: list[datetime] = []
    highs: list[datetime] = []
    if g.day_spans:
        lows.append(datetime.combine(min(s.start for s in g.day_spans), time()))
        highs.append(datetime.combine(max(s.end for s in g.day_spans), time()) + timedelta(days=1))
    for window in g.windows:
        lows.append(window.start)
        highs.append(window.end)
    if g.days_ago is not None:
        lows.append(facts.asked_at - timedelta(days=g.days_ago + 1))
        highs.append(facts.asked_at - timedelta(days=g.days_ago))
    if not lows:
        return None
    return max(lows), max(min(highs), max(lows))


def _label(session: Session) -> str:
    return f"session {session.index} on {session.start:%a %d %b %Y}"
