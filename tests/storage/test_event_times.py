"""Event times: the resolver on expressions of our own, and the ``turn_times`` table."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest

from convmem.eventtime import resolve_event_times
from convmem.storage.memory import MemoryStore
from convmem.storage.migrations import MIGRATIONS, migrate
from convmem.types import Conversation, Turn

SUNDAY_NIGHT = datetime(2023, 5, 28, 23, 40)  # a Sunday
MONTH_END = datetime(2023, 1, 31, 22, 15)  # a Tuesday
YEAR_END = datetime(2023, 12, 31, 23, 59)  # a Sunday
THURSDAY = datetime(2023, 5, 25, 14, 0)


def spans(text: str, said: datetime) -> list[tuple[str, date, date, str]]:
    return [(e.expression.lower(), e.start, e.end, e.kind) for e in resolve_event_times(text, said)]


@pytest.mark.parametrize(
    ("text", "said", "start", "end", "kind"),
    [
        # a Sunday night: the weekday names the latest one before that day
        ("I ran a charity race last Saturday", SUNDAY_NIGHT, date(2023, 5, 27), date(2023, 5, 27), "day"),
        ("we met up on Sunday", SUNDAY_NIGHT, date(2023, 5, 21), date(2023, 5, 21), "day"),
        ("went hiking over the weekend", SUNDAY_NIGHT, date(2023, 5, 20), date(2023, 5, 21), "weekend"),
        ("this weekend was lovely", SUNDAY_NIGHT, date(2023, 5, 27), date(2023, 5, 28), "weekend"),
        ("two weekends ago we went camping", SUNDAY_NIGHT, date(2023, 5, 13), date(2023, 5, 14), "weekend"),
        ("last week I joined a choir", SUNDAY_NIGHT, date(2023, 5, 15), date(2023, 5, 21), "week"),
        ("yesterday was my birthday", SUNDAY_NIGHT, date(2023, 5, 27), date(2023, 5, 27), "day"),
        ("see you tomorrow", SUNDAY_NIGHT, date(2023, 5, 29), date(2023, 5, 29), "day"),
        ("next Saturday is the party", SUNDAY_NIGHT, date(2023, 6, 3), date(2023, 6, 3), "day"),
        # a month end
        ("next month we move", MONTH_END, date(2023, 2, 1), date(2023, 2, 28), "month"),
        ("last month was hard", MONTH_END, date(2022, 12, 1), date(2022, 12, 31), "month"),
        ("three days ago I adopted a dog", MONTH_END, date(2023, 1, 28), date(2023, 1, 28), "day"),
        ("next week my sister visits", MONTH_END, date(2023, 2, 6), date(2023, 2, 12), "week"),
        # a year end
        ("next year I'll run a marathon", YEAR_END, date(2024, 1, 1), date(2024, 12, 31), "year"),
        ("last year I started painting", YEAR_END, date(2022, 1, 1), date(2022, 12, 31), "year"),
        ("next month the course starts", YEAR_END, date(2024, 1, 1), date(2024, 1, 31), "month"),
        ("last Saturday was the recital", YEAR_END, date(2023, 12, 30), date(2023, 12, 30), "day"),
        # months, seasons and dates
        ("in May I painted a sunset", THURSDAY, date(2023, 5, 1), date(2023, 5, 31), "month"),
        ("in August we went to the lake", THURSDAY, date(2022, 8, 1), date(2022, 8, 31), "month"),
        ("in December 2022 I quit", THURSDAY, date(2022, 12, 1), date(2022, 12, 31), "month"),
        ("last summer we went to Spain", THURSDAY, date(2022, 6, 1), date(2022, 8, 31), "season"),
        ("the concert was on 8 May 2023", THURSDAY, date(2023, 5, 8), date(2023, 5, 8), "day"),
        ("my exam is June 9th", THURSDAY, date(2022, 6, 9), date(2022, 6, 9), "day"),
        ("signed up on 2023-04-02", THURSDAY, date(2023, 4, 2), date(2023, 4, 2), "day"),
        ("I started back in 2021", THURSDAY, date(2021, 1, 1), date(2021, 12, 31), "year"),
        ("a couple of weeks ago I fell", THURSDAY, date(2023, 5, 8), date(2023, 5, 14), "week"),
        # natural speech: abbreviations, "back", "before last", holidays, typos and casing
        ("last Friday night we danced", SUNDAY_NIGHT, date(2023, 5, 26), date(2023, 5, 26), "day"),
        ("I joined the group last Tues.", SUNDAY_NIGHT, date(2023, 5, 23), date(2023, 5, 23), "day"),
        ("Last fri I took the kids out", THURSDAY, date(2023, 5, 19), date(2023, 5, 19), "day"),
        ("this past weekend was busy", THURSDAY, date(2023, 5, 20), date(2023, 5, 21), "weekend"),
        ("the weekend before last we hiked", SUNDAY_NIGHT, date(2023, 5, 13), date(2023, 5, 14), "weekend"),
        ("the week before last I was ill", MONTH_END, date(2023, 1, 16), date(2023, 1, 22), "week"),
        ("two months back we moved", MONTH_END, date(2022, 11, 1), date(2022, 11, 30), "month"),
        ("a few weeks back we met", THURSDAY, date(2023, 4, 27), date(2023, 5, 11), "approx"),
        ("earlier this month I quit", MONTH_END, date(2023, 1, 1), date(2023, 1, 31), "month"),
        ("over Christmas we skied", THURSDAY, date(2022, 12, 25), date(2022, 12, 25), "day"),
        ("over Christmas we skied", YEAR_END, date(2023, 12, 25), date(2023, 12, 25), "day"),
        ("we partied on New Year's Eve", date(2023, 12, 30), date(2022, 12, 31), date(2022, 12, 31), "day"),
        ("next Thanksgiving at my mom's", YEAR_END, date(2024, 11, 28), date(2024, 11, 28), "day"),
        ("I saw her yesterdy", THURSDAY, date(2023, 5, 24), date(2023, 5, 24), "day"),
        ("see you tommorow", YEAR_END, date(2024, 1, 1), date(2024, 1, 1), "day"),
        ("LAST SATURDAY was wild", MONTH_END, date(2023, 1, 28), date(2023, 1, 28), "day"),
        ("on wensday I start", SUNDAY_NIGHT, date(2023, 5, 24), date(2023, 5, 24), "day"),
    ],
)
def test_expressions_resolve_against_when_they_were_said(
    text: str, said: datetime, start: date, end: date, kind: str
) -> None:
    found = spans(text, said)
    assert len(found) == 1, found
    assert found[0][1:] == (start, end, kind)


@pytest.mark.parametrize(
    "text",
    ["I may go to the gym", "we will march for it", "I ran 5 miles", "that was 3 days long",
     "the 10 weeks program", "Have a good one!", "I sat down with her", "a saturated market",
     "Augusta is lovely", "come back soon", "the sun was out"],
)
def test_words_that_are_not_times_resolve_to_nothing(text: str) -> None:
    assert resolve_event_times(text, THURSDAY) == []


def test_a_misspelt_expression_is_quoted_as_written() -> None:
    assert spans("Tommorow at noon", THURSDAY)[0][0] == "tommorow"


def test_several_expressions_keep_their_order() -> None:
    found = spans("Yesterday I booked it for next Friday, after last week's mess", THURSDAY)
    assert [f[0] for f in found] == ["yesterday", "next friday", "last week"]


def _conversation(texts: list[str], said: datetime) -> Conversation:
    turns = tuple(
        Turn("c1", str(i), i, 1, i, "Ann" if i % 2 == 0 else "Bo", text, said)
        for i, text in enumerate(texts)
    )
    return Conversation("c1", ("Ann", "Bo"), "test", turns)


def test_ingest_fills_turn_times_and_reingest_adds_nothing(store: MemoryStore) -> None:
    conv = _conversation(["I ran a race last Saturday!", "Nice, how did it go?", "Yesterday I rested."], SUNDAY_NIGHT)
    store.ingest([conv])
    times = store.turn_times("c1")
    assert set(times) == {"0", "2"}
    assert (times["0"][0].start, times["0"][0].kind) == (date(2023, 5, 27), "day")
    assert store.turn_times("c1", ["2"])["2"][0].expression == "Yesterday"
    before = store.tables.con.execute("SELECT count(*) FROM turn_times").fetchone()
    store.ingest([conv])
    assert store.tables.con.execute("SELECT count(*) FROM turn_times").fetchone() == before
    store.forget("c1")
    assert store.turn_times("c1") == {}


def test_the_migration_fills_times_of_turns_already_stored(tmp_path: Path) -> None:
    con = duckdb.connect(str(tmp_path / "m.duckdb"))
    migrate(con, MIGRATIONS[:3])
    con.execute(
        "INSERT INTO turns VALUES ('c', '0', 0, 1, 0, 'A', 'we moved last month',"
        " TIMESTAMP '2024-03-01 09:00:00')"
    )
    assert "turn_event_times" in migrate(con)
    row = con.execute('SELECT turn_id, start, "end", kind FROM turn_times').fetchone()
    assert row == ("0", date(2024, 2, 1), date(2024, 2, 29), "month")


def test_a_store_filled_by_earlier_rules_is_filled_again(tmp_path: Path) -> None:
    con = duckdb.connect(str(tmp_path / "m.duckdb"))
    names = [m.name for m in MIGRATIONS]
    migrate(con, MIGRATIONS[: names.index("turn_event_times") + 1])
    con.execute(
        "INSERT INTO turns VALUES ('c', '0', 0, 1, 0, 'A', 'I joined a choir last Tues', TIMESTAMP '2023-05-28 23:40:00',"
        " 'said')"
    )
    assert con.execute("SELECT count(*) FROM turn_times").fetchone() == (0,)  # written without the table's rows
    assert migrate(con) == ["turn_event_times_refilled"]
    assert con.execute('SELECT expression, start FROM turn_times').fetchall() == [("last Tues", date(2023, 5, 23))]


def test_show_prints_the_times_of_one_session_only(cli_env: Path, tmp_path: Path, capsys) -> None:
    from tests.fixtures import run_cli

    rows = [
        {"conversation": "ev", "speaker": "Ann", "text": "We hiked the weekend before last.",
         "timestamp": "2023-05-28T23:40:00", "session": 1},
        {"conversation": "ev", "speaker": "Bo", "text": "I joined a choir last Tues, and over Christmas I sang.",
         "timestamp": "2023-12-31T23:59:00", "session": 2},
    ]
    path = tmp_path / "ev.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    assert run_cli(["ingest", str(path)], capsys)[0] == 0
    code, out, _ = run_cli(["show", "ev", "--session", "2"], capsys)
    assert code == 0
    assert "event time: 'last Tues' = Tue 26 Dec 2023 (day)" in out
    assert "event time: 'Christmas' = Mon 25 Dec 2023 (day)" in out
    assert "weekend before last" not in out
    code, out, _ = run_cli(["show", "ev", "--session", "1"], capsys)
    assert "event time: 'the weekend before last' = Sat 13 May 2023 - Sun 14 May" in out
