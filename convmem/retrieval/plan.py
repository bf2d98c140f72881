"""Typed chains of table operations over the turns table, in the spirit of chain-of-table.

A ``Plan`` is a conversation id plus an ordered chain of operations.  Each operation
narrows or orders the rows the previous one left; the chain compiles to one parameterised
DuckDB query (``convmem.retrieval.compile``).  Plans come from the rules planner or from
an LLM; either way ``validate_plan`` checks every operation, column and value against the
live schema before anything runs.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any, Literal

from convmem.errors import PlanError

# Columns of the ``turns_t`` view a plan may filter, group or sort on, with their kinds.
COLUMN_KINDS: dict[str, str] = {
    "session_index": "int",
    "turn_order": "int",
    "index_in_session": "int",
    "speaker": "str",
    "spoken_at": "timestamp",
    "session_start": "timestamp",
    "day": "date",
    "weekday": "str",
    "weekday_num": "int",
    "hour": "int",
    "part_of_day": "str",
    "iso_week": "int",
    "iso_year": "int",
    "month": "int",
    "year": "int",
}
GROUP_COLUMNS = ("session_index", "day", "iso_week", "month", "year")
OPERATORS = ("=", "!=", "<", "<=", ">", ">=", "between", "in")
MAX_LIST = 64
MAX_N = 10_000


@dataclass(frozen=True)
class Select:
    """Keep rows whose ``column`` satisfies ``operator`` ``value``."""

    column: str
    operator: str
    value: Any
    op: Literal["select"] = "select"


@dataclass(frozen=True)
class Pick:
    """Keep whole groups by position: the groups (sessions, days, weeks...) among the
    surviving rows, ordered in time; ``position`` is 1-based from the start, or negative
    from the end (-1 = the last); ``count`` groups from there on, towards the past when
    counting from the end."""

    by: str
    position: int
    count: int = 1
    op: Literal["pick"] = "pick"


@dataclass(frozen=True)
class KeepRows:
    """Keep the first or last ``n`` rows, overall or within each group."""

    which: Literal["first", "last"]
    n: int
    per: str | None = None
    op: Literal["keep_rows"] = "keep_rows"


@dataclass(frozen=True)
class Sort:
    column: str
    descending: bool = False
    op: Literal["sort"] = "sort"


@dataclass(frozen=True)
class Limit:
    n: int
    op: Literal["limit"] = "limit"


@dataclass(frozen=True)
class SemanticRank:
    """Rank the surviving rows by relevance to ``text``: keyword overlap (with
    ``keywords``, else the text's words) plus embedding similarity; keep at most ``k`` and,
    with a ``relative_cutoff``, only rows whose score is that close to the best one."""

    text: str
    k: int = 10
    relative_cutoff: float | None = None
    keywords: tuple[str, ...] = ()
    op: Literal["semantic_rank"] = "semantic_rank"


Operation = Select | Pick | KeepRows | Sort | Limit | SemanticRank
OP_TYPES: dict[str, type] = {
    "select": Select,
    "pick": Pick,
    "keep_rows": KeepRows,
    "sort": Sort,
    "limit": Limit,
    "semantic_rank": SemanticRank,
}


@dataclass(frozen=True)
class Plan:
    conversation_id: str
    operations: tuple[Operation, ...] = ()
    row_limit: int = 5_000
    notes: tuple[str, ...] = field(default=())
    fallback: Plan | None = None  # run when this plan selects nothing

    @property
    def semantic(self) -> SemanticRank | None:
        last = self.operations[-1] if self.operations else None
        return last if isinstance(last, SemanticRank) else None

    @property
    def table_operations(self) -> tuple[Operation, ...]:
        return tuple(op for op in self.operations if not isinstance(op, SemanticRank))

    def describe(self) -> list[str]:
        return [describe_operation(op) for op in self.operations]

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "conversation_id": self.conversation_id,
            "operations": [_jsonable(asdict(op)) for op in self.operations],
        }
        if self.fallback is not None:
            data["fallback"] = self.fallback.to_dict()
        return data


def describe_operation(op: Operation) -> str:
    if isinstance(op, Select):
        return f"f_select({op.column} {op.operator} {_show(op.value)})"
    if isinstance(op, Pick):
        where = f"#{op.position}" if op.position > 0 else f"{-op.position} from the end"
        return f"f_pick({op.by}, {where}, count={op.count})"
    if isinstance(op, KeepRows):
        per = f" per {op.per}" if op.per else ""
        return f"f_keep_rows({op.which} {op.n}{per})"
    if isinstance(op, Sort):
        return f"f_sort({op.column}{' desc' if op.descending else ''})"
    if isinstance(op, Limit):
        return f"f_limit({op.n})"
    cut = f", within {op.relative_cutoff} of best" if op.relative_cutoff is not None else ""
    return f"f_semantic_rank({op.text!r}, k={op.k}{cut})"


def _show(value: Any) -> str:
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    if isinstance(value, datetime | date):
        return value.isoformat()
    return repr(value)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


# ---- validation ---------------------------------------------------------------------------


def validate_plan(plan: Plan, live_columns: set[str] | None = None) -> Plan:
    """Check every operation against the schema; coerce values to their column's type.

    Returns a plan whose values are safe to bind as parameters.  Raises PlanError.
    """
    allowed = set(COLUMN_KINDS) if live_columns is None else set(COLUMN_KINDS) & live_columns
    if not isinstance(plan.conversation_id, str) or not plan.conversation_id:
        raise PlanError("a plan needs a conversation id")
    checked: list[Operation] = []
    for index, op in enumerate(plan.operations):
        where = f"operation {index + 1}"
        if isinstance(op, SemanticRank) and index != len(plan.operations) - 1:
            raise PlanError(f"{where}: semantic_rank must be the last operation")
        checked.append(_validate_op(op, allowed, where))
    if not 1 <= plan.row_limit <= 100_000:
        raise PlanError("row_limit must be between 1 and 100000")
    fallback = None if plan.fallback is None else validate_plan(plan.fallback, live_columns)
    return Plan(plan.conversation_id, tuple(checked), plan.row_limit, plan.notes, fallback)


def _column(name: Any, allowed: set[str], where: str) -> str:
    if not isinstance(name, str) or name not in allowed:
        raise PlanError(f"{where}: unknown column {name!r}; use one of {', '.join(sorted(allowed))}")
    return name


def _count(value: Any, where: str, name: str, low: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= MAX_N:
        raise PlanError(f"{where}: {name} must be an integer between {low} and {MAX_N}")
    return value


def _validate_op(op: Any, allowed: set[str], where: str) -> Operation:
    if isinstance(op, Select):
        column = _column(op.column, allowed, where)
        if op.operator not in OPERATORS:
            raise PlanError(f"{where}: unknown operator {op.operator!r}")
        kind = COLUMN_KINDS[column]
        if op.operator == "between":
            if not isinstance(op.value, list | tuple) or len(op.value) != 2:
                raise PlanError(f"{where}: between needs [low, high]")
            value: Any = tuple(coerce_value(v, kind, where) for v in op.value)
        elif op.operator == "in":
            if not isinstance(op.value, list | tuple) or not 1 <= len(op.value) <= MAX_LIST:
                raise PlanError(f"{where}: in needs a list of 1 to {MAX_LIST} values")
            value = tuple(coerce_value(v, kind, where) for v in op.value)
        else:
            value = coerce_value(op.value, kind, where)
        return Select(column, op.operator, value)
    if isinstance(op, Pick):
        by = _column(op.by, set(GROUP_COLUMNS) & allowed, where)
        if isinstance(op.position, bool) or not isinstance(op.position, int) or op.position == 0 \
                or abs(op.position) > MAX_N:
            raise PlanError(f"{where}: position must be a non-zero integer (negative counts from the end)")
        return Pick(by, op.position, _count(op.count, where, "count"))
    if isinstance(op, KeepRows):
        if op.which not in ("first", "last"):
            raise PlanError(f"{where}: which must be first or last")
        per = None if op.per is None else _column(op.per, set(GROUP_COLUMNS) & allowed, where)
        return KeepRows(op.which, _count(op.n, where, "n"), per)
    if isinstance(op, Sort):
        return Sort(_column(op.column, allowed, where), bool(op.descending))
    if isinstance(op, Limit):
        return Limit(_count(op.n, where, "n"))
    if isinstance(op, SemanticRank):
        if not isinstance(op.text, str) or not op.text.strip() or len(op.text) > 2000:
            raise PlanError(f"{where}: semantic_rank needs a text of 1 to 2000 characters")
        cutoff = op.relative_cutoff
        if cutoff is not None and (not isinstance(cutoff, int | float) or not 0 <= cutoff <= 2):
            raise PlanError(f"{where}: relative_cutoff must be between 0 and 2")
        keywords = tuple(op.keywords or ())
        if len(keywords) > 32 or not all(isinstance(w, str) and len(w) <= 64 for w in keywords):
            raise PlanError(f"{where}: keywords must be at most 32 words")
        return SemanticRank(op.text, _count(op.k, where, "k"), cutoff, keywords)
    raise PlanError(f"{where}: unknown operation {op!r}")


def coerce_value(value: Any, kind: str, where: str) -> Any:
    try:
        if kind == "int":
            if isinstance(value, bool):
                raise ValueError
            return int(value)
        if kind == "str":
            if not isinstance(value, str) or len(value) > 200:
                raise ValueError
            return value
        if kind == "date":
            if isinstance(value, datetime):
                return value.date()
            if isinstance(value, date):
                return value
            return date.fromisoformat(str(value))
        if kind == "timestamp":
            if isinstance(value, datetime):
                return value
            if isinstance(value, date):
                return datetime(value.year, value.month, value.day)
            return datetime.fromisoformat(str(value))
    except (TypeError, ValueError):
        raise PlanError(f"{where}: {value!r} is not a valid {kind}") from None
    raise PlanError(f"{where}: unsupported column kind {kind}")


def plan_from_dict(data: Any, conversation_id: str) -> Plan:
    """Build a plan from JSON (e.g. an LLM's answer); validation happens separately."""
    if not isinstance(data, dict) or not isinstance(data.get("operations"), list):
        raise PlanError("a plan is an object with a list of operations")
    if len(data["operations"]) > 12:
        raise PlanError("a plan may have at most 12 operations")
    operations: list[Operation] = []
    for index, raw in enumerate(data["operations"]):
        if not isinstance(raw, dict) or raw.get("op") not in OP_TYPES:
            raise PlanError(f"operation {index + 1}: unknown op {raw.get('op') if isinstance(raw, dict) else raw!r}")
        cls = OP_TYPES[raw["op"]]
        fields = {k: v for k, v in raw.items() if k != "op"}
        try:
            operations.append(cls(**fields))
        except TypeError as exc:
            raise PlanError(f"operation {index + 1}: {exc}") from None
    return Plan(conversation_id, tuple(operations))
