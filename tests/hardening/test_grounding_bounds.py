"""Time arithmetic past the calendar or the store: an empty window (with the nearest
sessions offered as such), never an exception.

The property suite feeds random questions (numbers of any size, unicode, control
characters) and random moments of asking through grounding, planning and the real
executor on a real store; each either returns turns or raises the project's own error.
"""

from __future__ import annotations

from datetime import datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agent.retrieval import TimeAwareRetriever
from convmem.config import Settings
from convmem.errors import ConvmemError
from convmem.retrieval.base import Query
from convmem.storage.loaders import load_file
from convmem.storage.memory import MemoryStore
from tests.fixtures import tmd_log, write_json

ASKED = datetime(2023, 5, 14, 9, 0)
HUGE = [
    "what did we talk about 1000000000 days ago?",
    "what did we talk about 800000 days ago?",
    "what happened 5000 years ago?",
    "what did we say in the past 99999999999 hours",
    "what did we discuss 100000 sessions ago?",
    "what did we discuss 10000000000000000000000 weeks ago?",
    "what did we say " + "9" * 5000 + " months ago?",
    "the first 99999999999999 sessions",
    "what did we discuss in December?",
]


@pytest.fixture(scope="module")
def retriever(tmp_path_factory: pytest.TempPathFactory) -> TimeAwareRetriever:
    from convmem.embed.hashing import HashEmbedder

    root = tmp_path_factory.mktemp("bounds")
    memory = MemoryStore(root / "store", HashEmbedder(64))
    memory.ingest(load_file(write_json(root / "c.json", tmd_log(sessions=4, turns=4))))
    cfg = Settings.from_env({}, store=memory.root, embedder="hash", planner="rules")
    return TimeAwareRetriever(memory, cfg)


@pytest.mark.parametrize("question", HUGE)
@pytest.mark.parametrize(
    "asked", [ASKED, datetime(9999, 12, 31, 23, 59, 59), datetime(1, 1, 1, 0, 0)], ids=["2023", "max", "min"]
)
def test_offsets_beyond_the_calendar_select_nothing(
    retriever: TimeAwareRetriever, question: str, asked: datetime
) -> None:
    found = retriever.retrieve(Query("c", question, asked))
    if "sessions" in question and "first" in question:
        assert asked != ASKED or found.turn_ids  # "the first N sessions" with N huge: all of them
    elif "December" not in question:
        # nothing inside the window; at most the nearest sessions, offered as such
        assert found.turn_ids == [] or (found.note.startswith("no turns") and set(found.scores) == {0.0})


def test_ordinary_offsets_still_work(retriever: TimeAwareRetriever) -> None:
    assert retriever.retrieve(Query("c", "what did we talk about 6 days ago", ASKED)).turn_ids == [
        "4", "5", "6", "7",
    ]


NUMBER = st.one_of(
    st.integers(min_value=0, max_value=10**40).map(str),
    st.sampled_from(["0", "1", "a", "an", "-3", "1e9", "٣", "²"]),
)
UNIT = st.sampled_from([
    "days ago", "weeks ago", "months ago", "years ago", "sessions ago", "hours", "days", "weeks",
    "months", "sessions", "th session", "session", "turns", "", "May", "of May, 2023", "/2023",
])
FRAME = st.sampled_from([
    "what did we talk about {} {}?", "the past {} {}", "in the last {} {}", "the first {} {}",
    "{} {} before yesterday", "between {} {} and {} {}", "since {} {}", "on the {} {}",
    "what did Ana say {} {} ago", "session {} {}", "{}{}",
])
QUESTION = st.one_of(
    st.builds(lambda f, a, u, b, v: f.format(a, u, b, v) if f.count("{}") == 4 else f.format(a, u),
              FRAME, NUMBER, UNIT, NUMBER, UNIT),
    st.text(max_size=80),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=40).map(lambda t: f"what did we say {t} days ago"),
)
MOMENT = st.one_of(
    st.just(ASKED),
    st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59, 59)),
)
EXAMPLES = 300


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(question=QUESTION, asked=MOMENT)
def test_any_question_grounds_plans_and_runs_or_raises_our_error(
    retriever: TimeAwareRetriever, question: str, asked: datetime
) -> None:
    try:
        found = retriever.retrieve(Query("c", question, asked))
    except ConvmemError:
        return
    assert all(isinstance(t, str) for t in found.turn_ids)


def test_the_cli_and_a_running_chat_survive_every_huge_offset(cli_env, tmp_path, capsys, monkeypatch) -> None:
    import io

    from tests.fixtures import run_cli

    log = write_json(tmp_path / "c.json", tmd_log(sessions=4, turns=4))
    assert run_cli(["ingest", str(log)], capsys)[0] == 0
    for question in HUGE:
        code, out, err = run_cli(["retrieve", question, "-c", "c", "--now", "2023-05-14T09:00"], capsys)
        assert code == 0 and "Traceback" not in err, (question, err)
    code, _, err = run_cli(["retrieve", "what did we discuss in December?", "-c", "c",
                            "--now", "9999-12-31T23:59:59"], capsys)
    assert code == 0 and err == ""
    script = "".join(q + "\n" for q in HUGE) + "what did we talk about in our second session?\n/quit\n"
    monkeypatch.setattr("sys.stdin", io.StringIO(script))
    code, out, err = run_cli(["chat", "-c", "c", "--as", "Ana", "--now", "2023-05-20T09:00"], capsys)
    assert code == 0 and "Traceback" not in out + err
    assert out.count("you>") == len(HUGE) + 2 and "Session 2" in out
