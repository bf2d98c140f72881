"""Who said it: speaker names and pronouns tied to speech verbs.

A speaker constraint is added only when a name (or "I" / "you") is the subject of a
speech verb ("what did Melanie say", "Caroline mentioned", "did I tell you"), so
"what did Caroline and Melanie discuss" or "what group did Caroline join" keep both
speakers' turns.
"""

from __future__ import annotations

import re

from agent.grounding.scanner import Scanner
from agent.grounding.types import ConversationFacts

_VERBS = (
    r"(?:say|said|says|saying|mention|mentioned|mentions|tell|told|tells|ask|asked|asks|share|shared|"
    r"shares|write|wrote|writes|suggest|suggested|recommend|recommended|describe|described|explain|"
    r"explained|note|noted|bring up|brought up|talk about|talked about|talks about|claim|claimed|"
    r"promise|promised|admit|admitted|reply|replied|answer|answered|announce|announced|raise|raised|"
    r"touch on|touched on|open up about|opened up about|go on about|went on about|reveal|revealed|"
    r"confide|confided|complain|complained|report|reported|contribute|contributed|have to say|has to say|"
    r"had to say|talking about|telling|sharing|mentioning|bringing up|asking|suggesting|recommending|"
    r"describing|explaining|writing|discuss|discussed|discusses|discussing)"
)
SPEECH_VERBS = _VERBS  # verbs of saying: a question that uses one asks about the talk itself
_PASSIVE = (
    r"(?:said|mentioned|shared|brought up|raised|suggested|asked|told|written|recommended|described|"
    r"explained|reported|announced)"
)
# What belongs to a speaker's side of the talk: "Melanie's main points".
_OWN = (
    r"(?:(?:main|key|most\s+important|big|biggest|major)\s+)?"
    r"(?:words|messages|turns|remarks|comments|lines|points|thoughts|takeaways|highlights|"
    r"contributions|updates|news|questions|concerns|ideas|opinions|views|stories|answers|replies|side|part)"
)


_PAST = re.compile(r"(?:ed|said|told|wrote|brought up)\b|\bed\s")


def _aliases(facts: ConversationFacts) -> dict[str, str]:
    """Lower-case full names and first names of the conversation's speakers."""
    aliases: dict[str, str] = {}
    for name in facts.speakers:
        lowered = name.lower()
        aliases[lowered] = name
        first = lowered.split()[0] if lowered.split() else lowered
        aliases.setdefault(first, name)
    return aliases


def scan_speakers(scanner: Scanner, facts: ConversationFacts) -> list[str]:
    aliases = _aliases(facts)
    found: list[str] = []
    others = [s for s in facts.speakers if s != facts.asker]
    pronouns: dict[str, str | None] = {
        "i": facts.asker,
        "you": others[0] if facts.asker and len(others) == 1 else None,
    }
    names = sorted(list(aliases) + list(pronouns), key=len, reverse=True)
    if not names:
        return found
    alternation = "|".join(re.escape(n) for n in names)
    passive = {**pronouns, "me": facts.asker}
    by = "|".join(re.escape(n) for n in sorted([*aliases, *passive], key=len, reverse=True))
    # "X and Y talked about" and "X discussed with Y" are about both speakers.
    pattern = re.compile(
        rf"\b(?P<aux>did|does|do|has|had|have|would|will|was|were)?\s*(?<!\band\s)(?<!&\s)(?P<who>{alternation})(?:'s)?\s+"
        rf"(?:(?:ever|once|1th|last|just|also|then|actually|really|mostly|mainly|end\s+up|ended\s+up)\s+)?"
        rf"(?P<verb>{_VERBS})\b(?!\s+with\b)"
        rf"|\b(?P<who2>{alternation})'s\s+{_OWN}\b"
        rf"|\b(?P<mine>my|your)\s+{_OWN}\b"
        rf"|\b{_PASSIVE}\s+by\s+(?P<who3>{by})\b"
    )

    def speaker(m: re.Match[str]) -> str | None:
        if m.group("mine"):
            name = facts.asker if m.group("mine") == "my" else pronouns["you"]
            if name is not None:
                found.append(name)
            return name
        who = m.group("who") or m.group("who2") or m.group("who3")
        name = aliases.get(who) or (passive if m.group("who3") else pronouns).get(who)
        if name is None:
            return None
        verb = m.group("verb") or ""
        if who in pronouns and verb and not m.group("aux") and not _PAST.search(verb):
            return None  # "could you describe ..." asks for something; it quotes no one
        if who in pronouns and verb.startswith("discuss"):
            return None  # "did you discuss ..." asks what we both discussed
        found.append(name)
        return name

    scanner.scan(pattern, speaker)
    return list(dict.fromkeys(found))
