"""What the temporal grammar finds in a question."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from agent.grounding.topic import Vocabulary
from convmem.retrieval.plan import MAX_N
from convmem.types import Session


@dataclass(frozen=True)
class ConversationFacts:
    """What the grammar needs to know about the conversation a question is asked in."""

    asked_at: datetime
    speakers: tuple[str, ...] = ()
    sessions: tuple[Session, ...] = ()
    asker: str | None = None  # who "I" is
    current_session: int | None = None  # the session the question is asked in (excluded from "last time")
    date_order: str = "MDY"  # how to read "05/06/2023": MDY or DMY (Settings.date_order)
    vocabulary: Vocabulary | None = field(default=None, compare=False)  # which sessions use each word (the topic test)

    @property
    def today(self) -> date:
        return self.asked_at.date()

    @property
    def past_session_count(self) -> int:
        """Sessions begun by the time of asking, not counting the one in progress."""
        begun = [s.index for s in self.sessions if s.start <= self.asked_at and s.index != self.current_session]
        return max(begun) if begun else 0


@dataclass(frozen=True)
class DaySpan:
    """Whole days, both ends included."""

    start: date
    end: date


@dataclass(frozen=True)
class Window:
    """A span of time: start included, end excluded.  ``by_session_start`` applies it to
    when each session began, so that a session is taken or left whole."""

    start: datetime
    end: datetime
    by_session_start: bool = False


@dataclass(frozen=True)
class SessionSpan:
    """Absolute session numbers, both ends included."""

    low: int
    high: int


@dataclass(frozen=True)
class SessionPick:
    """Sessions by position: 1-based from the first, negative from the most recent.
    ``from_now`` counts back from the sessions begun by the time of asking; otherwise the
    pick is made among the sessions the other constraints left."""

    position: int
    count: int = 1
    from_now: bool = False

    def __post_init__(self) -> None:
        # No conversation has more sessions than a plan may name: farther is no session
        # (the scanner turns the error into an empty window); a longer count is "all".
        if abs(self.position) > MAX_N:
            raise ValueError(f"session position {self.position} is beyond {MAX_N}")
        object.__setattr__(self, "count", min(self.count, MAX_N))


@dataclass(frozen=True)
class RowPosition:
    which: str  # first | last
    n: int

    def __post_init__(self) -> None:
        object.__setattr__(self, "n", min(self.n, MAX_N))  # "the first million turns": all


@dataclass
class Grounding:
    """Constraints found in a question plus its residual content words."""

    day_spans: list[DaySpan] = field(default_factory=list)  # union
    days_ago: int | None = None  # "N days ago": sessions begun N whole days before asking
    windows: list[Window] = field(default_factory=list)  # intersection
    weekdays: list[str] = field(default_factory=list)
    parts_of_day: list[str] = field(default_factory=list)
    session_spans: list[SessionSpan] = field(default_factory=list)  # union
    session_pick: SessionPick | None = None
    position: RowPosition | None = None
    speakers: list[str] = field(default_factory=list)
    residual: str = ""
    matched: list[str] = field(default_factory=list)

    @property
    def has_time(self) -> bool:
        return bool(
            self.day_spans or self.days_ago is not None or self.windows or self.weekdays or self.parts_of_day
            or self.session_spans or self.session_pick or self.position
        )

    @property
    def has_anchor(self) -> bool:
        """A reference to a particular time (what a follow-up question can inherit)."""
        return bool(
            self.day_spans or self.days_ago is not None or self.windows or self.session_spans
            or self.session_pick
        )
