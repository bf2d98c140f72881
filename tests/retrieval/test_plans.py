"""Plans: validation against the schema, compilation to one parameterised query, and
execution on a real store — including plans crafted to inject SQL."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest

from convmem.errors import PlanError
from convmem.retrieval.compile import compile_plan
from convmem.retrieval.executor import PlanExecutor
from convmem.retrieval.plan import (
    KeepRows,
    Limit,
    Pick,
    Plan,
    Select,
    SemanticRank,
    Sort,
    plan_from_dict,
    validate_plan,
)
from convmem.storage.loaders import load_file
from convmem.storage.memory import MemoryStore
from tests.fixtures import tmd_log, write_json


@pytest.fixture
def executor(store: MemoryStore, tmp_path: Path) -> PlanExecutor:
    # sessions on Fri 5, Mon 8, Thu 11 and Sun 14 May 2023, four turns each
    store.ingest(load_file(write_json(tmp_path / "c.json", tmd_log(sessions=4, turns=4))))
    return PlanExecutor(store, store.embedder)


def ids(executor: PlanExecutor, *ops, fallback: Plan | None = None) -> list[str]:
    return executor.run(Plan("c", tuple(ops), fallback=fallback)).turn_ids


def test_select_by_day_weekday_and_session(executor: PlanExecutor) -> None:
    assert ids(executor, Select("day", "=", date(2023, 5, 8))) == ["4", "5", "6", "7"]
    assert ids(executor, Select("weekday", "in", ["Sunday", "Friday"])) == [
        "0", "1", "2", "3", "12", "13", "14", "15"]
    assert ids(executor, Select("session_index", "between", [2, 3]), Select("speaker", "=", "Ben")) == [
        "5", "7", "9", "11"]
    assert ids(executor, Select("spoken_at", ">=", datetime(2023, 5, 14, 9, 2))) == ["14", "15"]


def test_pick_groups_from_either_end(executor: PlanExecutor) -> None:
    assert ids(executor, Pick("session_index", 2)) == ["4", "5", "6", "7"]
    assert ids(executor, Pick("session_index", -1, count=2)) == [str(i) for i in range(8, 16)]
    assert ids(executor, Select("session_index", "<=", 3), Pick("session_index", -1)) == [
        "8", "9", "10", "11"]
    assert ids(executor, Pick("day", -3)) == ["4", "5", "6", "7"]


def test_keep_rows_sort_limit(executor: PlanExecutor) -> None:
    assert ids(executor, KeepRows("first", 1, per="session_index")) == ["0", "4", "8", "12"]
    assert ids(executor, Pick("session_index", -1), KeepRows("last", 2)) == ["14", "15"]
    assert ids(executor, Sort("turn_order", descending=True), Limit(3)) == ["15", "14", "13"]


def test_fallback_runs_when_the_plan_selects_nothing(executor: PlanExecutor) -> None:
    fallback = Plan("c", (Select("day", "=", date(2023, 5, 5)),))
    assert ids(executor, Select("day", "=", date(2020, 1, 1)), fallback=fallback) == ["0", "1", "2", "3"]


def test_semantic_rank_keeps_close_matches(executor: PlanExecutor) -> None:
    text = "Session 3 turn 2 about topic 32."
    found = executor.run(Plan("c", (Select("session_index", "=", 3), SemanticRank(text, k=3))))
    assert found.turn_ids[0] == "10" and len(found.turn_ids) == 3
    assert found.scores == sorted(found.scores, reverse=True)
    strict = executor.run(Plan("c", (SemanticRank(text, k=10, relative_cutoff=0.0),)))
    assert strict.turn_ids == ["10"]


def test_compiled_query_binds_every_value() -> None:
    plan = validate_plan(Plan("c", (Select("speaker", "=", "x' OR 1=1 --"), Pick("session_index", -2))))
    compiled = compile_plan(plan)
    assert "OR 1=1" not in compiled.sql and compiled.sql.count("?") == len(compiled.params)
    assert compiled.params[:4] == ["c", "c", "said", "x' OR 1=1 --"]  # said: the turns plans see


@pytest.mark.parametrize(
    "raw",
    [
        {"operations": [{"op": "select", "column": "text; DROP TABLE turns", "operator": "=", "value": 1}]},
        {"operations": [{"op": "select", "column": "speaker", "operator": "= 1 OR", "value": "a"}]},
        {"operations": [{"op": "select", "column": "day", "operator": "=", "value": "not a date"}]},
        {"operations": [{"op": "select", "column": "session_index", "operator": "in", "value": list(range(100))}]},
        {"operations": [{"op": "pick", "by": "speaker", "position": 1}]},
        {"operations": [{"op": "pick", "by": "session_index", "position": 0}]},
        {"operations": [{"op": "keep_rows", "which": "middle", "n": 3}]},
        {"operations": [{"op": "limit", "n": -1}]},
        {"operations": [{"op": "sort", "column": "1; SELECT 1"}]},
        {"operations": [{"op": "semantic_rank", "text": "x", "k": 3}, {"op": "limit", "n": 2}]},
        {"operations": [{"op": "drop_table"}]},
        {"operations": [{"op": "select", "column": "speaker", "operator": "=", "value": "a", "extra": 1}]},
        {"operations": "everything"},
    ],
)
def test_invalid_or_hostile_plans_are_refused(raw: dict, executor: PlanExecutor) -> None:
    with pytest.raises(PlanError):
        executor.run(plan_from_dict(raw, "c"))
    assert executor.store.stats().turns == 16


def test_plan_to_dict_round_trips(executor: PlanExecutor) -> None:
    plan = Plan("c", (Select("day", "between", (date(2023, 5, 8), date(2023, 5, 11))), Pick("session_index", -1)))
    again = plan_from_dict(plan.to_dict(), "c")
    assert ids(executor, *again.operations) == ids(executor, *plan.operations) == ["8", "9", "10", "11"]
