"""When people talk: session starts and turn times.

Sessions are days or weeks apart, sometimes a few hours apart on the same day, at varied
times of day.  Within a session each turn follows the previous one after the time it
took to say it (at ``WORDS_PER_MINUTE``) plus a short pause, so timestamps look like a
real chat and LoCoMo-style time estimates agree with them.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

WORDS_PER_MINUTE = 130.0
SAME_DAY_CHANCE = 0.12
MIN_SESSION_GAP = timedelta(minutes=45)
# (first hour, last hour, weight): morning, afternoon, evening, night
DAY_PARTS = ((7, 11, 0.3), (12, 16, 0.28), (17, 20, 0.3), (21, 23, 0.12))


def first_day(rng: random.Random) -> date:
    return date(2022, 1, 3) + timedelta(days=rng.randrange(0, 730))


def time_of_day(rng: random.Random, day: date) -> datetime:
    weights = [w for *_, w in DAY_PARTS]
    first, last, _ = rng.choices(DAY_PARTS, weights=weights)[0]
    return datetime(
        day.year, day.month, day.day, rng.randint(first, last), rng.randrange(60), rng.randrange(60)
    )


def gap_days(rng: random.Random) -> int:
    roll = rng.random()
    if roll < 0.6:
        return rng.randint(1, 7)
    if roll < 0.9:
        return rng.randint(8, 21)
    return rng.randint(22, 60)


def next_start(rng: random.Random, previous_end: datetime | None) -> datetime:
    """The start of the next session, never earlier than ``MIN_SESSION_GAP`` after the last."""
    if previous_end is None:
        return time_of_day(rng, first_day(rng))
    if rng.random() < SAME_DAY_CHANCE:
        later = previous_end + timedelta(minutes=rng.randint(60, 360))
        if later.date() == previous_end.date() and later.hour < 23:
            return later.replace(microsecond=0)
    start = time_of_day(rng, previous_end.date() + timedelta(days=gap_days(rng)))
    return max(start, (previous_end + MIN_SESSION_GAP).replace(microsecond=0))


def speaking_seconds(words: int) -> float:
    return words * 60.0 / WORDS_PER_MINUTE


def next_turn_time(rng: random.Random, previous: datetime, previous_words: int) -> datetime:
    return previous + timedelta(
        seconds=round(speaking_seconds(previous_words) + rng.uniform(2.0, 9.0))
    )
