"""What a line typed into the chat is: a question to the memory, or something said.

Decided by syntax alone, so it holds for phrasings nobody listed: a question mark; a
question word or an inverted auxiliary at the start of a clause ("what did...", "did
she...", "can you..."); an imperative request to look something up ("tell me...",
"summarize...", "remind me..."); or an indirect question ("I wonder what...", "I'd like
to know..."). Anything else ("I just started learning Portuguese.") is a statement: it
is remembered, not searched.

``about_the_chat`` spots questions about the dialogue with the memory itself ("what did
I ask you a few minutes ago?"): only those may use the chat's own questions and answers
as evidence.
"""

from __future__ import annotations

import re
from typing import Literal

Kind = Literal["question", "statement"]

QUESTION_WORDS = "what|whats|what's|when|where|who|whom|whose|which|why|how|hows|how's"
AUXILIARIES = (
    "do|does|did|don't|doesn't|didn't|is|isn't|are|aren't|was|wasn't|were|weren't|am|"
    "can|can't|could|couldn't|will|won't|would|wouldn't|shall|should|shouldn't|"
    "have|haven't|has|hasn't|had|hadn't|may|might|must"
)
# Verbs that, first in a sentence, ask the memory to find or recount something.
REQUEST_VERBS = (
    r"tell|remind|show|list|summarize|summarise|recap|give\s+me|find|recall|describe|explain|"
    r"repeat|search|look\s+(?:up|for|back|into)|fetch|retrieve|refresh|enumerate|outline|"
    r"(?:walk|run|catch|fill|bring|get)\s+me"
)
# Words a sentence may open with before its real start ("so", "ok, and", "hey there,").
_OPENERS = r"(?:(?:so|and|but|ok|okay|oh|hey|hi|hello|well|now|then|also|alright|right|please|um|uh|hmm|yes|no|sure|thanks|thank you|great|cool|nice|wait|actually|anyway)\b[\s,!.:;-]*)*"
_PRONOUN = (
    r"(?:i|you|we|he|she|it|they|there|this|that|these|those|my|your|our|his|her|their|"
    r"anyone|someone|anything|something|(?-i:[A-Z][\w'-]*))"
)

_QUESTION_START = re.compile(
    rf"^{_OPENERS}(?:{QUESTION_WORDS})\b"
    rf"|^{_OPENERS}(?:{AUXILIARIES})\s+{_PRONOUN}\b"
    rf"|^{_OPENERS}(?:{REQUEST_VERBS})\b(?!\s+(?:that|this down)\b)",
    re.IGNORECASE,
)
_INDIRECT = re.compile(
    r"\b(?:i\s+wonder|i'?m\s+wondering|i\s+was\s+wondering|i'?d\s+like\s+to\s+know|i\s+want\s+to\s+know|"
    r"i\s+need\s+to\s+know|do\s+you\s+(?:know|remember|recall)|any\s+idea)\b",
    re.IGNORECASE,
)
_CLAUSE = re.compile(r"(?<=[.!;])\s+")

_ABOUT_CHAT = re.compile(
    r"\b(?:i|we)\s+(?:just\s+|already\s+|first\s+|last\s+)?(?:ask|asked|asking)\b"
    r"|\bask(?:ed)?\s+you\b"
    r"|\bmy\s+(?:\w+\s+)?(?:question|questions|request)\b"
    r"|\byour\s+(?:\w+\s+)?(?:answer|answers|reply|replies|response|responses)\b"
    r"|\byou\s+(?:just\s+)?(?:answer|answered|reply|replied|respond|responded)\b",
    re.IGNORECASE,
)


def classify(text: str) -> Kind:
    """``"question"`` when the line asks the memory something, else ``"statement"``."""
    stripped = text.strip()
    if not stripped:
        return "statement"
    if stripped.rstrip("\"')]} ").endswith("?"):
        return "question"
    for clause in _CLAUSE.split(stripped):
        clause = clause.strip(" \"'([-")
        if _QUESTION_START.match(clause) or _INDIRECT.search(clause):
            return "question"
    return "statement"


def about_the_chat(text: str) -> bool:
    """Whether a question is about the dialogue with the memory ("what did I ask you?")."""
    return bool(_ABOUT_CHAT.search(text))
