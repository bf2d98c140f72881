"""Session and position expressions.

Conventions:
- Sessions are numbered 1, 2, ... in time order; "our 3rd session", "session 3" and
  "the 3rd time we talked" name session 3; "the first three sessions" are sessions 1-3.
- "N sessions ago" counts back over the sessions begun by the time of asking (not the one
  the question is asked in): "1 session ago" = "last time" = "our last chat" is the most
  recent of them, "the time before last" the one before.
- With a date or other time constraint, an ordinal picks among the sessions left:
  "our second chat on June 4th", "the last conversation in July".
- "at the beginning / end of ..." keeps the first / last 5 turns; "the first thing I said"
  keeps one turn.
"""

from __future__ import annotations

import re

from agent.grounding.scanner import Scanner, rx
from agent.grounding.types import RowPosition, SessionPick, SessionSpan

_NOUN = (
    r"(?:sessions?|discussions?|conversations?|chats?|talks?|meetings?|calls?|exchanges?|convos?|dialogues?|"
    r"interactions?|catch\s+ups?|get\s+togethers?)"
)
CONVERSATION_NOUN = _NOUN  # words for a conversation or a session of it
_NOUNS = (
    r"(?:sessions|discussions|conversations|chats|talks|meetings|calls|exchanges|convos|dialogues|interactions|"
    r"catch\s+ups|get\s+togethers)"
)
_OUR = r"(?:our|the|my|that|this)"
_ORD = r"(?P<o>\d+)th"
_CONNECT = r"(?:through|thru|to|until|till|and|-)"

SESSION_RANGE = rx(
    rf"\b{_NOUNS}\s+(?:number\s+|#)?(?P<a>\d+)(?:\s+{_CONNECT}\s+|\s*-\s*)(?:{_NOUN}\s+)?(?P<b>\d+)\b"
    rf"|\b{_NOUN}\s+(?P<a2>\d+)\s+{_CONNECT}\s+{_NOUN}\s+(?P<b2>\d+)\b"
    rf"|\b(?:{_OUR}\s+)?(?P<a3>\d+)th\s+{_CONNECT}\s+(?:{_OUR}\s+)?(?P<b3>\d+)th\s+{_NOUNS}\b"
)
FIRST_N = rx(rf"\b(?:{_OUR}\s+)?(?P<which>1th|last|latest|past|most recent|previous)\s+(?P<n>\d+)\s+{_NOUNS}\b")
AGO = rx(
    rf"\b(?P<n>\d+|a|an)\s+{_NOUN}\s+(?:ago|back)\b"
    rf"|\b(?P<n2>\d+)\s+{_NOUN}\s+(?:earlier|(?:before|prior)(?!\s+(?:the|our|that|this|last|to)\b))\b"
)
# "we talked", "we got together": verbs that make "the 3rd time ..." a session.
_MET = r"(?:talked|spoke|chatted|met|discussed|conversed|caught\s+up|got\s+together|had\s+a\s+(?:chat|talk|conversation))"
_LAST = r"(?:last|latest|final|most\s+recent|previous)"
_BEFORE = r"(?:before|prior\s+to|preceding|ahead\s+of)"
BEFORE_LAST = rx(
    rf"\b(?:{_OUR}\s+)?(?:time|1|{_NOUN})\s+{_BEFORE}\s+(?:the\s+|our\s+|my\s+)?{_LAST}"
    rf"(?:\s+(?:1|time|{_NOUN}))?\b"
    rf"|\b(?:the\s+)?(?:1|time|{_NOUN})\s+{_BEFORE}\s+(?:that|it|this)\b"
    rf"|\b(?:{_OUR}\s+)?(?:2th\s+(?:to|from)\s+last|penultimate|next\s+to\s+last|last\s+but\s+1)\s+(?:{_NOUN}|time|1)\b"
    # "not last time but the time before", "not our last chat, the one before it"
    rf"|\bnot\s+(?:in\s+)?(?:the\s+|our\s+)?{_LAST}\s+(?:time|1|{_NOUN})\s+(?:but\s+)?"
    rf"(?:rather\s+)?(?:in\s+)?(?:the\s+)?(?:time|1|{_NOUN})\s+before(?:\s+(?:that|it))?\b"
)
NTH_TO_LAST = rx(
    rf"\b(?:{_OUR}\s+)?(?P<n>\d+)th\s+(?:(?:to|from)\s+(?:the\s+)?last|most\s+recent|latest|last)\s+(?:{_NOUN}|time)\b"
)
LAST_ONE = rx(
    rf"\b(?:{_OUR}\s+)?(?:very\s+)?(?:last|latest|final|previous|most\s+recent|prior|recent)\s+(?:{_NOUN}|time\s+we\s+{_MET})\b"
    r"|\b(?:the\s+)?last\s+time\b"
)
ORDINAL = rx(
    rf"\b(?:{_OUR}\s+)?(?:very\s+)?{_ORD}\s+(?:{_NOUN}|time\s+(?:we|i|you)\s+{_MET})\b"
    rf"|\b(?:we|i|you)\s+{_MET}\s+for\s+the\s+(?P<o2>\d+)th\s+time\b"
    rf"|\b{_NOUN}\s+(?:number\s+|no\s+|#\s*)?(?P<n>\d+)\b(?!\s*(?:minutes?|hours?|days?|weeks?|months?|years?)\b)"
)
FIRST_EVER = rx(rf"\b(?:{_OUR}\s+)?(?:very\s+)?(?:1th|initial|earliest)\s+(?:{_NOUN}|time\s+we\s+{_MET})\b")
_WHERE = r"(?:very\s+)?(?P<where>beginning|start|outset|opening|end|tail\s+end|close|closing|middle)"
_START_VERB = (
    r"(?:began|begun|begins?|beginning|start(?:ed|s|ing)?|open(?:ed|s|ing)?|"
    r"kick(?:ed|s|ing)?\s+off|got\s+(?:going|started)|getting\s+(?:going|started))"
)
_END_VERB = (
    r"(?:end(?:ed|s|ing)?|clos(?:e|ed|es|ing)|wrap(?:ped|s|ping)?\s+up|wound\s+down|wind(?:s|ing)?\s+down|"
    r"finish(?:ed|es|ing)?|conclud(?:e|ed|es|ing)|c[ao]m(?:e|ing)\s+to\s+an\s+end|dr[ae]w(?:ing)?\s+to\s+a\s+close)"
)
_EDGE_VERB = rf"(?:{_START_VERB}|{_END_VERB})"
_AUX = r"(?:(?:was|were|is|had|has|did|got)\s+)?(?:just\s+|finally\s+|1th\s+)?"
POSITION = rx(
    rf"\b(?:at|in|near|towards?|by|around|from)\s+the\s+{_WHERE}\s+of\b"
    rf"(?=\s+(?:(?:our|the|that|this|my|it|\d+th|last|latest|previous|1th|·)\s*)*(?:{_NOUN}|·|it\b))"
    # "as our 3rd chat began", "how did that conversation end", "as we were wrapping up"
    rf"|(?<=·)\s+{_AUX}{_EDGE_VERB}\b"
    rf"|\b(?:(?:as|when|while|once|how)\s+(?:did\s+)?(?:it|we|(?:that|the|this|our)\s+{_NOUN})|{_NOUN})"
    rf"\s+{_AUX}{_EDGE_VERB}\b(?!\s+(?:up\b|with\s+a\b|to\b|[a-z]+ing\b))"
    # "how did we open our 6th conversation", "to start the chat"
    rf"|\b(?:to\s+)?{_EDGE_VERB}(?=\s+·|\s+(?:the|that|our|this)\s+{_NOUN}\b)"
)
FIRST_THING = rx(
    r"\b(?:the\s+)?(?P<which>1th|last|final|opening|closing)\s+(?:(?P<n>\d+)\s+)?"
    r"(?:thing|things|message|messages|turn|turns|words?|line|lines|remark|question|sentence)s?\b"
)
EDGE_TURNS = 5


def scan_sessions(scanner: Scanner) -> tuple[list[SessionSpan], SessionPick | None, RowPosition | None]:
    spans: list[SessionSpan] = []
    picks: list[SessionPick] = []
    positions: list[RowPosition] = []

    def session_range(m: re.Match[str]) -> SessionSpan | None:
        a = m.group("a") or m.group("a2") or m.group("a3")
        b = m.group("b") or m.group("b2") or m.group("b3")
        low, high = sorted((int(a), int(b)))
        return SessionSpan(low, high) if low >= 1 else None

    spans += scanner.scan(SESSION_RANGE, session_range)

    def first_n(m: re.Match[str]) -> SessionSpan | SessionPick:
        n = int(m.group("n"))
        if m.group("which") == "1th":
            return SessionSpan(1, n)
        return SessionPick(-1, n, from_now=True)

    for found in scanner.scan(FIRST_N, first_n):
        (spans if isinstance(found, SessionSpan) else picks).append(found)
    def ago(m: re.Match[str]) -> SessionPick | None:
        n = m.group("n") or m.group("n2")
        back = 1 if n in ("a", "an") else int(n)
        return SessionPick(-back, from_now=True) if back >= 1 else None

    picks += scanner.scan(AGO, ago)
    picks += scanner.scan(BEFORE_LAST, lambda m: SessionPick(-2, from_now=True))
    picks += scanner.scan(NTH_TO_LAST, lambda m: SessionPick(-int(m.group("n")), from_now=True))
    picks += scanner.scan(LAST_ONE, lambda m: SessionPick(-1, from_now=True))
    picks += scanner.scan(FIRST_EVER, lambda m: SessionPick(1))

    def ordinal(m: re.Match[str]) -> SessionPick | None:
        n = int(m.group("o") or m.group("o2") or m.group("n"))
        return SessionPick(n) if n >= 1 else None

    picks += scanner.scan(ORDINAL, ordinal)

    def position(m: re.Match[str]) -> RowPosition | None:
        where = m.group("where") or ""
        if where == "middle":
            return None
        first = where in ("beginning", "start", "outset", "opening") or (
            not where and re.search(rf"\b{_START_VERB}\b", m.group(0)) is not None
        )
        return RowPosition("first" if first else "last", EDGE_TURNS)

    positions += scanner.scan(POSITION, position)

    def first_thing(m: re.Match[str]) -> RowPosition:
        first = m.group("which") in ("1th", "opening")
        return RowPosition("first" if first else "last", int(m.group("n") or 1))

    positions += scanner.scan(FIRST_THING, first_thing)
    pick = picks[0] if picks else None
    return spans, pick, positions[0] if positions else None
