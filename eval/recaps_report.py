"""The recap evaluation's report: markdown and the HTML page, from ``results.json`` alone."""

from __future__ import annotations

from html import escape
from typing import Any

from eval.htmlkit import page, table
from eval.report import pct

RECAP_COLUMNS = ("coverage@3", "coverage@5", "coverage@10", "words", "reaction_first", "retrieved_share")


def _recap_cells(block: dict[str, Any]) -> list[str]:
    return [f"{block[c]:.1f}" if c == "words" else pct(block[c]) for c in RECAP_COLUMNS]


def recap_rows(results: dict[str, Any], group: str = "all") -> tuple[list[str], list[list[str]]]:
    """One row per answerer (and per phrasing or conversation when ``group`` names one)."""
    header = ["answerer", *([group[:-1]] if group != "all" else []), "n",
              "coverage@3", "coverage@5", "coverage@10", "words", "reaction first", "retrieved"]
    rows = []
    for name, block in results["answerers"].items():
        recaps = block["recaps"]
        if group == "all":
            rows.append([name, str(recaps["all"]["n"]), *_recap_cells(recaps["all"])])
        else:
            rows += [[name, key, str(b["n"]), *_recap_cells(b)] for key, b in recaps[group].items()]
    return header, rows


def qa_rows(results: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    names = list(results["answerers"])
    categories = list(next(iter(results["answerers"].values()))["qa"]) if names else []
    header = ["category", "n", *[f"{n}: first line has answer" for n in names]]
    rows = []
    for category in categories:
        first = results["answerers"][names[0]]["qa"][category]
        rows.append([category, str(first["n"]),
                     *[pct(results["answerers"][n]["qa"][category]["first_line_has_answer"]) for n in names]])
    return header, rows


def _notes(results: dict[str, Any]) -> list[str]:
    config = results["config"]
    return [
        f"dataset: {config['dataset_path']}; {config['sessions']} sessions, {config['qa_items']} QA items;"
        f" embedder {config['embedder']}, planner {config['planner']}",
        "phrasings: " + "; ".join(f"{k}: \"{v}\"" for k, v in config["phrasings"].items()),
        f"coverage@N: share of the session's observation turns cited among the first N lines ({config['lines']})",
        f"reaction first: share of recaps whose first line is a reaction or greeting alone ({config['reaction_test']})",
        "retrieved: share of the observation turns in the evidence every answerer was given (a ceiling)",
        f"anchoring: {config['anchoring']}",
    ]


def _md_table(header: list[str], rows: list[list[str]]) -> list[str]:
    return ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|",
            *["| " + " | ".join(r) + " |" for r in rows]]


def recaps_markdown(results: dict[str, Any]) -> str:
    lines = ["# Recap evaluation: LoCoMo session observations", "", *[f"- {n}" for n in _notes(results)], ""]
    for title, group in (("Recaps", "all"), ("Per conversation", "conversations"), ("Per phrasing", "phrasings")):
        lines += [f"## {title}", "", *_md_table(*recap_rows(results, group)), ""]
    header, rows = qa_rows(results)
    if rows:
        lines += ["## QA items: first line contains the gold answer (normalised)", "", *_md_table(header, rows), ""]
    examples = results.get("examples") or []
    if examples:
        names = list(results["answerers"])
        lines += ["## First lines (session-number phrasing)", ""]
        for ex in examples:
            lines.append(f"- {ex['conversation']} session {ex['session']}")
            lines += [f"  - {name}: {ex[name] or '(none)'}" for name in names]
        lines.append("")
    return "\n".join(lines)


def recaps_html(results: dict[str, Any]) -> str:
    body = ["<h2>What ran</h2>", *[f'<p class="note">{escape(n)}</p>' for n in _notes(results)]]
    for title, group in (("Recaps", "all"), ("Per conversation", "conversations"), ("Per phrasing", "phrasings")):
        body += [f"<h2>{title}</h2>", table(*recap_rows(results, group), f"table-recaps-{group}")]
    header, rows = qa_rows(results)
    if rows:
        body += ["<h2>QA items: first line contains the gold answer</h2>", table(header, rows, "table-recaps-qa")]
    examples = results.get("examples") or []
    if examples:
        names = list(results["answerers"])
        body += ["<h2>First lines (session-number phrasing)</h2>",
                 table(["conversation", "session", *names],
                       [[ex["conversation"], str(ex["session"]), *[ex[n] for n in names]] for ex in examples],
                       "table-recaps-examples")]
    return page("Recap evaluation: LoCoMo session observations", body)
