"""Compile a validated ``Plan`` to one parameterised DuckDB query.

Every identifier comes from the plan's validated column names (a fixed whitelist); every
value is a bound parameter.  Each operation becomes one CTE over the previous one, so the
SQL reads like the chain it came from.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from convmem.retrieval.plan import (
    COLUMN_KINDS,
    GROUP_COLUMNS,
    KeepRows,
    Limit,
    Pick,
    Plan,
    Select,
    SemanticRank,
    Sort,
)
from convmem.storage.tables import role_filter
from convmem.types import SAID

OUTPUT_COLUMNS = (
    "turn_id, turn_order, session_index, index_in_session, speaker, text, spoken_at"
)


@dataclass(frozen=True)
class CompiledQuery:
    sql: str
    params: list[Any]


def _ident(name: str, allowed: tuple[str, ...] | dict[str, str]) -> str:
    if name not in allowed:  # validate_plan already checked; this guards direct use
        raise ValueError(f"column {name!r} is not allowed")
    return name


def compile_plan(
    plan: Plan, roles: Sequence[str] = (SAID,), exclude: Iterable[str] = ()
) -> CompiledQuery:
    """The plan as SQL over the turns of ``roles`` (by default only what was said),
    never those in ``exclude``."""
    params: list[Any] = [plan.conversation_id]
    roles_sql, role_params = role_filter(plan.conversation_id, roles, exclude)
    params.extend(role_params)
    ctes = [f"s0 AS (SELECT * FROM turns_t WHERE conversation_id = ? AND {roles_sql})"]
    order_by = "turn_order"
    limit: int | None = None
    for op in plan.operations:
        prev = f"s{len(ctes) - 1}"
        name = f"s{len(ctes)}"
        if isinstance(op, Select):
            column = _ident(op.column, COLUMN_KINDS)
            if op.operator == "between":
                cond = f"{column} BETWEEN ? AND ?"
                params.extend(op.value)
            elif op.operator == "in":
                cond = f"{column} IN ({', '.join('?' for _ in op.value)})"
                params.extend(op.value)
            else:
                cond = f"{column} {op.operator} ?"
                params.append(op.value)
            ctes.append(f"{name} AS (SELECT * FROM {prev} WHERE {cond})")
        elif isinstance(op, Pick):
            by = _ident(op.by, GROUP_COLUMNS)
            if op.position > 0:
                rank, low = "dense_rank() OVER (ORDER BY {by})", op.position
            else:
                rank, low = "dense_rank() OVER (ORDER BY {by} DESC)", -op.position
            ctes.append(
                f"{name} AS (SELECT * EXCLUDE (_g) FROM (SELECT *, {rank.format(by=by)} AS _g"
                f" FROM {prev}) WHERE _g BETWEEN ? AND ?)"
            )
            params.extend([low, low + op.count - 1])
        elif isinstance(op, KeepRows):
            partition = f"PARTITION BY {_ident(op.per, GROUP_COLUMNS)} " if op.per else ""
            direction = "" if op.which == "first" else " DESC"
            ctes.append(
                f"{name} AS (SELECT * EXCLUDE (_r) FROM (SELECT *, row_number() OVER"
                f" ({partition}ORDER BY turn_order{direction}) AS _r FROM {prev}) WHERE _r <= ?)"
            )
            params.append(op.n)
        elif isinstance(op, Sort):
            order_by = f"{_ident(op.column, COLUMN_KINDS)}{' DESC' if op.descending else ''}, turn_order"
        elif isinstance(op, Limit):
            limit = op.n if limit is None else min(limit, op.n)
        elif isinstance(op, SemanticRank):
            continue
    final = f"s{len(ctes) - 1}"
    row_limit = plan.row_limit if limit is None else min(limit, plan.row_limit)
    sql = (
        "WITH " + ",\n     ".join(ctes)
        + f"\nSELECT {OUTPUT_COLUMNS} FROM {final} ORDER BY {order_by} LIMIT ?"
    )
    params.append(row_limit)
    return CompiledQuery(sql, params)
