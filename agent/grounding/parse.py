"""The grammar's entry point: rules in priority order over the normalised question."""

from __future__ import annotations

import re

from agent.grounding.calendar import scan_calendar
from agent.grounding.dates import spell_numeric_dates
from agent.grounding.fuzzy import scan_fuzzy
from agent.grounding.normalize import normalize
from agent.grounding.scanner import Scanner
from agent.grounding.sessions import scan_sessions
from agent.grounding.speakers import scan_speakers
from agent.grounding.types import ConversationFacts, Grounding, Window

# Words that frame a question about memory without saying what it is about.
SCAFFOLDING = frozenset(
    ["a", "about", "above", "across", "again", "all", "also", "am", "an", "and", "any", "anything", "are", "as", "ask", "at", "back", "be", "been", "being", "both", "but", "by", "can", "could", "did", "do", "does", "doing", "done", "during", "each", "else", "even", "ever", "every", "everything", "few", "for", "from", "further", "get", "give", "go", "going", "got", "had", "has", "have", "having", "he", "her", "here", "hers", "him", "his", "how", "however", "i", "if", "in", "into", "is", "it", "its", "itself", "just", "kind", "kinds", "know", "let", "like", "lot", "lots", "main", "me", "mind", "more", "most", "much", "my", "myself", "no", "nor", "not", "now", "of", "off", "on", "once", "only", "or", "other", "our", "ours", "ourselves", "out", "over", "own", "please", "quite", "really", "recall", "recap", "remember", "remind", "said", "same", "say", "see", "she", "should", "so", "some", "something", "sort", "sorts", "still", "such", "summarise", "summarize", "summary", "tell", "than", "that", "the", "their", "theirs", "them", "then", "there", "these", "they", "thing", "things", "this", "those", "through", "to", "too", "topic", "topics", "under", "until", "up", "us", "very", "via", "want", "was", "we", "were", "what", "whatever", "when", "where", "which", "while", "who", "whom", "why", "will", "with", "would", "yes", "you", "your", "yours", "yourself", "discuss", "discussed", "discussing", "discussion", "discussions", "talk", "talked", "talking", "talks", "chat", "chatted", "chatting", "chats", "conversation", "conversations", "session", "sessions", "speak", "spoke", "spoken", "describe", "detail", "details", "content", "contents", "happened", "happen", "going", "covered", "cover", "mentioned", "mention", "went", "over", "overview", "brief", "briefly", "exact", "exactly", "exchange", "exchanged", "go", "through", "together", "ago", "time", "times", "period", "day", "days", "week", "weeks", "month", "months", "year", "years", "earlier", "later", "before", "after", "since", "between", "calendar", "thanks", "thank", "okay", "ok", "sure", "great", "wow", "enjoy", "enjoyed", "fun", "nice", "good", "cool", "several", "many", "can't", "couldn't", "don't", "didn't", "i'm", "i've", "we've", "we'd", "you'd"]
)
# Meta-conversation words: they frame a recap ("remind me what came up", "the gist of
# it", "her main points") without saying what it was about.
SCAFFOLDING = SCAFFOLDING | frozenset(
    [
        "forgot", "forget", "forgotten", "forgetting", "came", "come", "comes", "coming", "point",
        "points", "highlight", "highlights", "gist", "rundown", "down", "far", "share", "shared",
        "sharing", "shares", "brought", "bring", "brings", "bringing", "revisit", "revisited",
        "review", "reviewed", "recount", "recounted", "touched", "touch", "touching", "outline",
        "outlined", "takeaway", "takeaways", "stuff", "key", "important", "said", "says", "tell",
        "told", "telling", "recall", "recalled", "recalling", "remembered", "remembering",
        "refresh", "refreshed", "summed", "sum", "summing", "recapped", "recaps",
        "recapping", "raised", "subject", "subjects", "gone", "whole", "general",
        "generally", "basically", "roughly", "quick", "quickly", "overall", "mainly", "mostly",
        "essentially", "again", "exactly", "precisely", "specifically", "particular",
        "particularly", "anyway", "actually", "wondering", "wonder", "curious", "wanted", "wants",
        "would", "like", "could", "maybe", "perhaps", "think", "thinking", "thought", "guess",
        "recollect", "recollection", "went", "goes", "there's", "what's", "that's", "it's",
        "we'd", "we'll", "let's", "agenda", "upon",
        "synopsis", "help", "helping", "took", "addressed", "address", "list", "listing",
        "conversed", "converse", "retell", "repeat", "possible", "looking", "look", "looked",
        "moments", "moment", "notes", "end", "ended", "ending", "occurred", "occur",
        "i'd", "i'll", "you've", "they'd", "wondered", "reminisce", "recounting", "spoke",
        "speaking", "gotten", "getting", "covering", "reviewing", "revisiting", "summarizing",
        "summarising", "discussing", "mentioning", "mentions", "mid", "early", "late", "recently",
        "lately", "ahead", "proceed", "convo", "convos", "dialogue", "dialogues", "interaction",
        "interactions", "theme", "themes",
    ]
)
# Nouns and verbs that frame a recap only inside these phrases ("run me through", "took
# place", "jog my memory"); elsewhere ("her run in May", "the new place") they are content.
RECAP_PHRASES = re.compile(
    r"\b(?:walk|walking|run|running|take|taking|fill|filling|catch|catching|bring|get)\s+"
    r"(?:me|us)\s+(?:through|in|up|over)\b"
    r"|\b(?:jog|jogging|refresh|refreshing)\s+(?:my|our)\s+memory\b"
    r"|\b(?:took|take|taking|takes)\s+place\b"
    r"|\b(?:what|which|the)\s+ground\b|\bground\s+(?:we|did|was)\b"
    r"|\brun\s+through\b|\bcatch\s+up\b"
)
_WORD = re.compile(r"\b[a-z][a-z']+|\d+")


def ground(question: str, facts: ConversationFacts) -> Grounding:
    scanner = Scanner(normalize(spell_numeric_dates(question, facts.date_order)))
    session_spans, pick, position = scan_sessions(scanner)
    fuzzy_spans, fuzzy_windows, recent = scan_fuzzy(scanner, facts)
    calendar = scan_calendar(scanner, facts)
    speakers = scan_speakers(scanner, facts)
    # A time beyond the calendar or the store's reach selects nothing: an empty window.
    empty = [Window(facts.asked_at, facts.asked_at)] if scanner.out_of_range else []
    return Grounding(
        day_spans=[*fuzzy_spans, *calendar.spans],
        days_ago=calendar.days_ago,
        windows=[*fuzzy_windows, *calendar.windows, *empty],
        weekdays=calendar.weekdays,
        parts_of_day=calendar.parts,
        session_spans=session_spans,
        session_pick=pick or (recent if not (fuzzy_spans or fuzzy_windows or calendar.spans or calendar.windows) else None),
        position=position,
        speakers=speakers,
        residual=scanner.residual(),
        matched=scanner.matched,
    )


def content_words(residual: str, names: tuple[str, ...] = ()) -> list[str]:
    """The residual's words that say what the question is about (speakers' names aside)."""
    skip = {part.lower() for name in names for part in name.split()}
    words = (w.removesuffix("'s") for w in _WORD.findall(RECAP_PHRASES.sub(" ", residual)))
    return [
        w for w in words
        if w not in SCAFFOLDING and w not in skip and not w.isdigit() and len(w) > 1
    ]
