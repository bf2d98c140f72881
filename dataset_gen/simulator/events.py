"""Life events that happen between sessions and come back in later ones.

Each kind has slots (fixed once when the event happens, so "Biscuit" stays "Biscuit")
and lines: the owner announces it, the partner reacts and asks, and in later sessions
the partner follows up and the owner gives news (whose details vary each time).  An
event timeline is planned per conversation from a seeded ``random.Random``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field


@dataclass(frozen=True)
class EventKind:
    name: str
    slots: dict[str, tuple[str, ...]]  # fixed when the event happens
    news: dict[str, tuple[str, ...]]  # drawn again at every follow-up
    announce: tuple[str, ...]
    react: tuple[str, ...]
    ask: tuple[str, ...]
    answer: tuple[str, ...]
    follow_ask: tuple[str, ...]
    follow_answer: tuple[str, ...]


def _kind(name: str, slots: str, news: str, *lines: str) -> EventKind:
    """Compact spelling: slots as 'name=a|b|c; other=x|y', lines as '||'-separated options."""

    def parse(spec: str) -> dict[str, tuple[str, ...]]:
        out = {}
        for part in filter(None, (p.strip() for p in spec.split(";"))):
            key, _, values = part.partition("=")
            out[key.strip()] = tuple(v.strip() for v in values.split("|"))
        return out

    options = [tuple(o.strip() for o in line.split("||")) for line in lines]
    return EventKind(name, parse(slots), parse(news), *options)


KINDS = (
    _kind(
        "class",
        "craft=pottery|salsa dancing|watercolor|ceramics|improv|woodworking|Spanish;"
        " venue=the community center|a studio downtown|the library|an art school",
        "progress=learned a new technique|got a compliment from the instructor|made something I am proud of|finally stopped feeling like a beginner",
        "Guess what, I signed up for a {craft} class at {venue}! || I finally started that {craft} class at {venue}.",
        "No way, {craft}? That is awesome, {me}! || A {craft} class sounds like so much fun.",
        "What made you pick {craft}? || How was the first {craft} lesson?",
        "I wanted something creative that gets me off my phone, and {venue} had an opening. || It was harder than it looks, but the teacher at {venue} is patient.",
        "How is the {craft} class going? || Are you still doing {craft} at {venue}?",
        "It is going well! This week I {progress}. || Still going! In {craft} last time I {progress}.",
    ),
    _kind(
        "pet",
        "kind=beagle puppy|kitten|rescue greyhound|pair of budgies|lop-eared rabbit; newpet=Waffles|Pickles|Rooney|Clementine|Hazel|Taco",
        "petnews=finally sleeps through the night|chewed my favorite shoes|learned to sit on command|loves the dog park|knocked a plant off the shelf",
        "We adopted a {kind} named {newpet}! || Big news, I brought home a {kind} called {newpet}.",
        "Oh my gosh, {newpet} is the cutest name! || A {kind}? I am so happy for you!",
        "How is {newpet} settling in? || Does {pet} get along with {newpet}?",
        "{newpet} is shy but curious, and {pet} is slowly warming up. || Pretty well, {newpet} already has a favorite blanket.",
        "How is {newpet} doing? || Any news from {newpet}?",
        "{newpet} {petnews}! || Oh, {newpet} {petnews}. Never a dull day.",
    ),
    _kind(
        "race",
        "race=half marathon|10k|triathlon|charity 5k|trail race; racecity=Boulder|Chicago|Savannah|Duluth|Spokane",
        "racenews=started training for the next one|bought new running shoes|joined a running club|am resting my legs for now",
        "I ran the {race} in {racecity} last weekend! || I did it, I finished the {race} in {racecity}!",
        "That is huge, congratulations on the {race}! || Wow, {me}, you actually finished a {race}!",
        "What was the hardest part? || How did you feel at the finish line?",
        "The last hill nearly broke me, but the crowd in {racecity} kept me going. || Exhausted and proud, I cried a little at the finish.",
        "Are you training for another race after the {race}? || Still running since the {race} in {racecity}?",
        "A little! I {racenews}. || Yes, since the {race} I {racenews}.",
    ),
    _kind(
        "trip",
        "destination=Lisbon|Kyoto|Iceland|Mexico City|the Grand Canyon|Vancouver|New Orleans",
        "highlight=the food markets|a sunrise hike|an old bookshop|the street musicians|a boat tour|the museums",
        "I am planning a trip to {destination} next month! || I finally booked my trip to {destination}!",
        "{destination}? I am so jealous! || That sounds amazing, you deserve a trip.",
        "What do you want to see in {destination}? || Are you going alone?",
        "Mostly I want to eat my way through {destination} and walk a lot. || With my {relative} {relative_name}, it was their idea.",
        "How was {destination}? || Tell me about {destination}!",
        "Incredible, the best part was {highlight}. || I keep thinking about {highlight} in {destination}.",
    ),
    _kind(
        "promotion",
        "title=team lead|senior {job}|shift supervisor|department coordinator",
        "worknews=I am running my first big project|I gave a presentation to the whole office|my team is great|the hours are long",
        "I got promoted to {title} at work! || Guess who is the new {title}? Me!",
        "Congratulations, {me}, you earned it! || That is fantastic news!",
        "What changes with the new role? || Did you celebrate?",
        "More meetings, but I get to mentor the new people at {workplace}. || We got tacos with the whole crew from {workplace}.",
        "How is being {title} treating you? || How is the new role at {workplace}?",
        "Busy, but good. Lately {worknews}. || Honestly? {worknews}, so it is a mixed bag.",
    ),
    _kind(
        "move",
        "hood=Maple Heights|the Riverside district|Old Town|Willow Park|the Arts Quarter",
        "movenews=the boxes are finally unpacked|I painted the living room green|the neighbors brought cookies|the kitchen is tiny but sunny",
        "We are moving to a new apartment in {hood}! || I signed a lease on a place in {hood}.",
        "{hood} is such a nice area! || Moving is stressful but exciting!",
        "What made you choose {hood}? || Do you need help with boxes?",
        "It is close to work and there is a park for {pet}. || I might take you up on that, I own way too many books.",
        "Are you settled into the place in {hood}? || How is life in {hood}?",
        "Almost, {movenews}. || Good! {movenews}.",
    ),
    _kind(
        "wedding",
        "month=June|August|September|October|December",
        "weddingnews=I am giving a speech and I am nervous|we picked a chocolate raspberry cake|the venue is a barn by a lake|the guest list keeps growing",
        "My {relative} {relative_name} is getting married in {month}! || {relative_name} got engaged, the wedding is in {month}!",
        "Aww, tell {relative_name} congratulations from me! || A {month} wedding, how lovely!",
        "Are you in the wedding party? || Have you met the partner?",
        "I am, so I have a lot of planning ahead. || Yes, they are kind and they make {relative_name} laugh.",
        "How are the wedding plans for {relative_name} going? || Any wedding news?",
        "Good! {weddingnews}. || Well, {weddingnews}.",
    ),
    _kind(
        "volunteer",
        "org=the animal shelter|the food bank|a literacy program|the community garden",
        "volnews=I trained two new volunteers|we had a record turnout|I helped with a fundraiser|it was quiet but rewarding",
        "I started volunteering at {org} on Saturdays. || I signed up to volunteer at {org}.",
        "That is really generous of you. || I love that, {me}.",
        "What do you do there? || How did you hear about {org}?",
        "A bit of everything, mostly helping wherever they need hands. || A coworker from {workplace} told me about {org}.",
        "Still volunteering at {org}? || How is it going at {org}?",
        "Yes, and last Saturday {volnews}. || It is great, {volnews}.",
    ),
    _kind(
        "book",
        "book=The Salt Road|Winter Lanterns|A Map of Small Rivers|The Clockmaker's Daughter|Glass Orchard",
        "booknews=I finished it in one weekend|I am stuck in the middle|the ending surprised me|I lent it to my {relative}",
        "I just started reading {book}, it is so good. || Have you heard of {book}? I cannot put it down.",
        "I have heard good things about {book}! || Ooh, add it to my list.",
        "What is it about? || Who recommended it?",
        "A family keeping a secret for three generations, very moody. || My {relative} {relative_name} pressed it into my hands.",
        "Did you finish {book}? || What did you think of {book} in the end?",
        "About {book}: {booknews}. || Oh, {booknews}.",
    ),
    _kind(
        "injury",
        "body=ankle|wrist|knee|shoulder; sport=basketball|soccer|tennis|volleyball",
        "healnews=the physio says I am ahead of schedule|I can walk without the brace now|it still aches when it rains|I am back to light practice",
        "I twisted my {body} playing {sport}. || Bad news, I hurt my {body} at {sport} practice.",
        "Oh no, I am so sorry! || Ouch, is it serious?",
        "How long will you be out? || Did you see a doctor?",
        "A few weeks, so no {sport} for now. || Yes, it is a sprain, nothing broken.",
        "How is your {body} doing? || Is your {body} healing?",
        "Much better, {healnews}. || Slowly, {healnews}.",
    ),
    _kind(
        "project",
        "vehicle=an old Vespa|a 1970s pickup truck|a vintage road bike|a little sailboat",
        "projnews=I rebuilt the engine|I found the right paint color|it finally runs|I ordered parts from overseas",
        "I bought {vehicle} to fix up! || So I did something impulsive: I bought {vehicle}.",
        "Ha, that is so you! || A restoration project? Fun!",
        "Do you know how to fix it? || Where will you keep it?",
        "Not really, I am learning from videos and an old neighbor. || In my {relative}'s garage for now.",
        "How is the work on {vehicle} going? || Any progress on {vehicle}?",
        "Slow but steady, {projnews}. || Yes! {projnews}.",
    ),
    _kind(
        "concert",
        "band=the Velvet Owls|Moonlit Harbor|Copper Kites|the Paper Lanterns",
        "musicnews=I bought their vinyl|I have had their song stuck in my head|they announced a new album|I want to see them again",
        "I went to see {band} live last night! || I finally saw {band} in concert.",
        "How were they live? || I love {band}!",
        "What was the best song? || Was it crowded?",
        "They played an acoustic version of their slow song and everyone sang. || Packed, but the energy was incredible.",
        "Have you listened to {band} since the concert? || Still obsessed with {band}?",
        "Oh yes, {musicnews}. || Totally, {musicnews}.",
    ),
)


@dataclass
class Event:
    kind: EventKind
    owner: int  # 0 or 1
    slots: dict[str, str]
    introduced: int  # session index where it is announced
    follow_ups: int = 0
    done: bool = field(default=False)


def new_event(rng: random.Random, owner: int, used: set[str], session: int) -> Event | None:
    free = [k for k in KINDS if k.name not in used]
    if not free:
        return None
    kind = rng.choice(free)
    used.add(kind.name)
    slots = {name: rng.choice(values) for name, values in kind.slots.items()}
    return Event(kind, owner, slots, session)


def plan_session_events(
    rng: random.Random, session: int, active: list[Event], used: tuple[set[str], set[str]]
) -> tuple[list[Event], list[Event]]:
    """New events announced in ``session`` and earlier ones followed up on."""
    fresh = []
    for owner in (0, 1):
        if rng.random() < 0.45:
            event = new_event(rng, owner, used[owner], session)
            if event is not None:
                fresh.append(event)
    open_events = [e for e in active if not e.done]
    follow = [e for e in open_events if rng.random() < 0.55][:2]
    for event in follow:
        event.follow_ups += 1
        if event.follow_ups >= 3 and rng.random() < 0.5:
            event.done = True
            used[event.owner].discard(event.kind.name)  # the kind may happen again later
    active.extend(fresh)
    return fresh, follow
