"""Page and table markup shared by the HTML reports (evaluation and scale).

Kept apart from the report contents so that every report looks the same and carries the
same inline style: nothing is fetched when a page opens.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from html import escape
from typing import Any

STYLE = """
body { font-family: system-ui, sans-serif; margin: 24px auto; max-width: 1180px; color: #222; }
h1 { font-size: 24px; } h2 { font-size: 19px; margin-top: 32px; border-bottom: 1px solid #ddd; }
h3 { font-size: 15px; }
table { border-collapse: collapse; margin: 8px 0 16px; font-size: 13px; }
th, td { border: 1px solid #ccc; padding: 3px 8px; text-align: left; vertical-align: top; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
th { background: #f3f3f3; } tr.quoted td { background: #fbf7e9; }
.neg { color: #b00020; font-weight: bold; } .pos { color: #137333; }
.note { color: #555; font-size: 13px; } .verdict { font-size: 15px; padding: 6px 10px; }
.fail { background: #fde7e9; } .pass { background: #e6f4ea; }
svg.chart { display: block; margin: 8px 0 20px; max-width: 100%; height: auto; }
code { font-size: 12px; }
"""
_NUMERIC = re.compile(r"^[+-]?[0-9][0-9,.]*%?$")


def page(title: str, body: Sequence[str]) -> str:
    return "\n".join([
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{escape(title)}</title>",
        f"<style>{STYLE}</style></head><body>",
        f"<h1>{escape(title)}</h1>",
        *body,
        "</body></html>",
        "",
    ])


def table(
    header: Sequence[str], rows: Sequence[Sequence[Any]], table_id: str = "", row_classes: Sequence[str] = ()
) -> str:
    """An HTML table; cells that look numeric are right-aligned, ``-0.03`` deltas coloured."""
    attr = f' id="{escape(table_id)}"' if table_id else ""
    lines = [f"<table{attr}>", "<tr>" + "".join(f"<th>{escape(h)}</th>" for h in header) + "</tr>"]
    for i, row in enumerate(rows):
        cls = f' class="{row_classes[i]}"' if i < len(row_classes) and row_classes[i] else ""
        lines.append(f"<tr{cls}>" + "".join(_cell(c) for c in row) + "</tr>")
    lines.append("</table>")
    return "\n".join(lines)


def _cell(value: Any) -> str:
    text = str(value)
    if not _NUMERIC.match(text):
        return f"<td>{escape(text)}</td>"
    cls = "num"
    if text.startswith("-") and text.strip("-0.%"):
        cls += " neg"
    elif text.startswith("+") and text.strip("+0.%"):
        cls += " pos"
    return f'<td class="{cls}">{escape(text)}</td>'
