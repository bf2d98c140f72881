"""The LoCoMo parts of the reports: recall at k, the evidence audit, answer quality.

Pure functions of the ``results.json`` dict, in markdown and in HTML, so the two reports
say the same thing.  Sections are empty when the results hold no such data (a TMD run).
"""

from __future__ import annotations

from html import escape
from typing import Any

from eval.htmlkit import table
from eval.plots import bar_chart, line_chart, percent


def _pct(value: float) -> str:
    return f"{100.0 * value:.2f}"


def recall_at_k_rows(results: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    """``(header, rows)``: one row per retriever and category, recall@k in percent."""
    ks: list[str] = []
    for block in results["retrievers"].values():
        for row in block.get("recall_at_k", {}).values():
            ks += [k for k in row if k not in ks]
    header = ["retriever", "category", "n", *[f"recall@{k}" for k in ks], "mean list length"]
    rows = []
    for name, block in results["retrievers"].items():
        for category, row in block.get("recall_at_k", {}).items():
            n = block["categories"].get(category, {}).get("n", 0)
            rows.append([name, category, str(int(n)), *[_pct(row[k]) if k in row else "" for k in ks],
                         f"{block.get('mean_list_length', 0):.1f}"])
    return header, rows


def answer_rows(answers: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    header = ["system", "category", "n", "judge accuracy", "token F1", "LLM calls / q",
              "prompt tokens / q", "completion tokens / q", "p50 ms", "p95 ms", "skipped"]
    rows = []
    for system, block in answers.get("systems", {}).items():
        cost = block["per_question"]
        for category, scores in [*block["categories"].items(), ("all", block["overall"])]:
            rows.append([
                system, category, str(scores["n"]), _pct(scores["judge_accuracy"]), _pct(scores["token_f1"]),
                f"{cost['llm_calls']:.2f}", f"{cost['prompt_tokens']:.0f}", f"{cost['completion_tokens']:.0f}",
                f"{block['latency_ms']['p50']:.0f}", f"{block['latency_ms']['p95']:.0f}", str(block["skipped"]),
            ])
    return header, rows


def _md_table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    return lines + ["| " + " | ".join(row) + " |" for row in rows]


def _answers_note(answers: dict[str, Any]) -> str:
    if answers.get("status") != "run":
        return f"Answer quality was not run: {answers.get('reason', 'no LLM configured')}."
    return (
        f"{answers['questions']} questions answered by each system and judged by the configured LLM"
        f" (judge prompt {answers['judge_prompt_version']}, answer prompt"
        f" {answers['answer_prompt_version']}); {answers['excluded']}. Tokens count fresh calls"
        f" only: answers replayed from the cache ({answers.get('cache_dir')}) cost none."
        f" The full conversation is given only when it fits {answers['context_budget_tokens']} tokens."
    )


def _evidence_note(evidence: dict[str, Any]) -> str:
    return (
        f"{evidence['evidence_strings']} evidence strings: {evidence['matched_as_written']} matched as"
        f" written, {evidence['normalised']} matched after normalising, {evidence['unmatched']} id(s)"
        f" matched no turn; {evidence['questions_without_matched_evidence']} question(s) kept no"
        " evidence and were not asked."
    )


def event_date_lines(results: dict[str, Any]) -> list[str]:
    """Temporal questions: the resolved event date against the gold answer's date."""
    rows = [
        [name, str(b["event_dates"]["n"]), _pct(b["event_dates"]["parse_rate"]),
         _pct(b["event_dates"]["equal"]), _pct(b["event_dates"]["within"]),
         "; ".join(f"{c}: {_pct(p['equal'])} / {_pct(p['within'])} of {p['parsed']}"
                   for c, p in b["event_dates"].get("by_conversation", {}).items())]
        for name, b in results.get("retrievers", {}).items() if b.get("event_dates")
    ]
    if not rows:
        return []
    return [
        "## Event dates of temporal questions", "",
        "The date the answering turn gives (chosen among the first ranked turns by"
        " `convmem.retrieval.when`: its words' event time, else the day it was said) against"
        " the gold answer's date, over the temporal questions whose gold answer parses as a"
        " date (the parse rate); equal: same span, within: inside the gold span.", "",
        *_md_table(["retriever", "temporal n", "gold parsed", "equal", "within",
                    "per conversation (equal / within)"], rows),
    ]


def locomo_markdown(results: dict[str, Any]) -> str:
    """Recall at k, the evidence audit and answer quality (empty for other datasets)."""
    if results.get("dataset") != "locomo":
        return ""
    header, rows = recall_at_k_rows(results)
    evidence = results.get("evidence", {})
    lines = [
        "## Evidence recall at k (percent)", "",
        "Categories as LoCoMo defines them: 1 multi-hop, 2 temporal, 3 open-domain, 4 single-hop,"
        " 5 adversarial. Each retriever returns up to 20 turns; recall@k reads the first k of its"
        " ranked list (the agent's list may be shorter and is used as it is).",
        f"When a question is asked: {results.get('config', {}).get('anchoring', '')}.", "",
        *_md_table(header, rows), "",
        "## Evidence ids", "", _evidence_note(evidence) if evidence else "",
    ]
    for key, title in (("normalised_examples", "Normalised"), ("unmatched_examples", "Unmatched")):
        if evidence.get(key):
            lines += ["", f"{title}: " + "; ".join(evidence[key])]
    lines += ["", *event_date_lines(results)]
    answers = results.get("answers") or {}
    lines += ["", "## Answer quality", "", _answers_note(answers)]
    if answers.get("status") == "run":
        lines += ["", *_md_table(*answer_rows(answers))]
    return "\n".join(lines) + "\n"


def locomo_html(results: dict[str, Any]) -> list[str]:
    """Recall-at-k table and chart plus the evidence audit, for the HTML report."""
    if results.get("dataset") != "locomo":
        return []
    header, rows = recall_at_k_rows(results)
    evidence = results.get("evidence", {})
    parts = [
        "<h2>Evidence recall at k</h2>",
        '<p class="note">Categories as LoCoMo defines them: 1 multi-hop, 2 temporal, 3 open-domain,'
        " 4 single-hop, 5 adversarial. Each retriever returns up to 20 turns; recall@k reads the first"
        " k of its ranked list (the agent's list may be shorter and is used as it is). When a question"
        f" is asked: {escape(results.get('config', {}).get('anchoring', ''))}.</p>",
        table(header, rows, "table-recall-at-k"),
    ]
    retrievers = results["retrievers"]
    categories = list(dict.fromkeys(c for b in retrievers.values() for c in b.get("recall_at_k", {})))
    at_10 = {name: [b.get("recall_at_k", {}).get(c, {}).get("10") for c in categories] for name, b in retrievers.items()}
    parts.append(bar_chart("plot-recall-at-10", "Evidence recall@10 per LoCoMo category", categories, at_10, "recall@10"))
    curves = {
        name: [(float(k), sum(r[k] for r in b["recall_at_k"].values()) / len(b["recall_at_k"]))
               for k in next(iter(b["recall_at_k"].values()))]
        for name, b in retrievers.items() if b.get("recall_at_k")
    }
    if curves:
        parts.append(line_chart("plot-recall-at-k", "Evidence recall against k (mean of categories)", curves,
                                "k (turns read)", "recall", y_fmt=percent, y_range=(0.0, 1.0)))
    if evidence:
        parts += ["<h3>Evidence ids</h3>", f'<p class="note">{escape(_evidence_note(evidence))}</p>']
        for key, title in (("normalised_examples", "Normalised"), ("unmatched_examples", "Unmatched")):
            if evidence.get(key):
                parts.append(f'<p class="note">{title}: {escape("; ".join(evidence[key]))}</p>')
    return parts


def answers_html(results: dict[str, Any]) -> list[str]:
    answers = results.get("answers")
    if not answers:
        return []
    parts = ["<h2>Answer quality</h2>", f'<p id="answers-status" class="note">{escape(_answers_note(answers))}</p>']
    if answers.get("status") == "run":
        parts.append(table(*answer_rows(answers), "table-answers"))
        systems = answers["systems"]
        categories = list(dict.fromkeys(c for b in systems.values() for c in b["categories"]))
        series = {s: [b["categories"].get(c, {}).get("judge_accuracy") for c in categories] for s, b in systems.items()}
        parts.append(bar_chart("plot-answer-accuracy", "Judged answer accuracy per category", categories,
                               series, "judge accuracy"))
    return parts
