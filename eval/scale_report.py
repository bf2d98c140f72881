"""The scale benchmark's reports: ``scale.json``, ``scale.md`` and ``scale.html``.

The question a reader brings is "how does the cost grow with memory size?", so the page
leads with log-log charts of latency and disk against turns, and says plainly whether
the target (time-only p95 within 100 ms at a million turns) was met or not reached.
"""

from __future__ import annotations

import json
from html import escape
from pathlib import Path
from typing import Any

from eval.htmlkit import page, table
from eval.plots import color, line_chart, number
from eval.scale import KINDS

MB = 1024 * 1024


def _rows(results: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    header = ["turns", "conversations", "ingest turns/s", "ingest s (cumulative)", "disk MB (DuckDB + Chroma)"]
    for kind in KINDS:
        header += [f"{kind} p50 ms", f"{kind} p95 ms"]
    rows = []
    for p in results["points"]:
        disk = p["disk_bytes"]
        row = [f"{p['turns']:,}", f"{p['conversations']:,}", f"{p['ingest']['turns_per_s']:,.0f}",
               f"{p['ingest']['cumulative_seconds']:.1f}",
               f"{disk['total'] / MB:,.1f} ({disk['duckdb'] / MB:,.1f} + {disk['chroma'] / MB:,.1f})"]
        for kind in KINDS:
            r = p["retrieval_ms"][kind]
            row += [f"{r['p50']:.2f}", f"{r['p95']:.2f}"]
        rows.append(row)
    return header, rows


def _routes_rows(results: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    header = ["turns", "asked as", "n", "routes taken", "mean turns returned"]
    rows = []
    for p in results["points"]:
        for kind in KINDS:
            r = p["retrieval_ms"][kind]
            routes = ", ".join(f"{k} {v}" for k, v in sorted(r["routes"].items()))
            rows.append([f"{p['turns']:,}", kind, str(r["n"]), routes, f"{r['mean_turns_returned']:.1f}"])
    return header, rows


def target_line(results: dict[str, Any]) -> str:
    target, met = results["target"], results["target"]["met"]
    goal = f"time-only p95 <= {target['p95_ms']:g} ms at {target['turns']:,} turns"
    if met is None:
        largest = results["points"][-1]["turns"] if results["points"] else 0
        return f"Target ({goal}): not reached; the largest size measured was {largest:,} turns."
    at = next(p for p in results["points"] if p["turns"] >= target["turns"])
    return f"Target ({goal}): {'met' if met else 'MISSED'} (p95 {at['retrieval_ms']['time']['p95']:.2f} ms)."


def _notes(results: dict[str, Any]) -> list[str]:
    config = results["config"]
    return [
        f"Embedder: {config['embedder']} ({config['note']}). Retriever: {config['retriever']}"
        f" (planner {config['planner']}). {config['questions_per_kind']} questions per kind per size,"
        f" seed {config['seed']}; each conversation answers one untimed question first.",
        target_line(results),
    ]


def scale_markdown(results: dict[str, Any]) -> str:
    lines = ["# Scale benchmark", "", *[f"- {n}" for n in _notes(results)], ""]
    for header, rows in (_rows(results), _routes_rows(results)):
        lines += ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
        lines += ["| " + " | ".join(r) + " |" for r in rows] + [""]
    return "\n".join(lines)


def scale_html(results: dict[str, Any]) -> str:
    points = results["points"]
    turns = [float(p["turns"]) for p in points]
    latency = {
        f"{kind} {q}": [(t, max(p["retrieval_ms"][kind][q], 1e-3)) for t, p in zip(turns, points, strict=True)]
        for kind in KINDS for q in ("p50", "p95")
    }
    disk = {
        part: [(t, p["disk_bytes"][part] / MB) for t, p in zip(turns, points, strict=True)]
        for part in ("total", "duckdb", "chroma")
    }
    ingest = {"turns/s": [(t, p["ingest"]["turns_per_s"]) for t, p in zip(turns, points, strict=True)]}
    body = [f'<p id="scale-target" class="note">{escape(n)}</p>' for n in _notes(results)]
    body += ["<h2>Numbers</h2>", table(*_rows(results), "table-scale")]
    if len(points) > 1:
        body += [
            "<h2>How cost grows</h2>",
            line_chart("plot-scale-latency", "Retrieval latency against memory size (log-log; p95 dashed)",
                       latency, "turns in memory", "ms per retrieve()", log_x=True, log_y=True, y_fmt=number,
                       colors={name: color(KINDS.index(name.split()[0])) for name in latency},
                       dashed={name for name in latency if name.endswith("p95")}),
            line_chart("plot-scale-disk", "Store size on disk", disk, "turns in memory", "MB",
                       log_x=True, log_y=True),
            line_chart("plot-scale-ingest", "Ingest throughput", ingest, "turns in memory", "turns per second",
                       log_x=True),
        ]
    body += ["<h2>Routes taken</h2>", table(*_routes_rows(results), "table-scale-routes")]
    return page("Scale benchmark", body)


def write_scale_outputs(out_dir: Path, results: dict[str, Any]) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, body in (("scale.json", json.dumps(results, indent=2) + "\n"),
                       ("scale.md", scale_markdown(results)), ("scale.html", scale_html(results))):
        path = out_dir / name
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(body, encoding="utf-8")
        tmp.replace(path)
        written.append(path)
    return written
