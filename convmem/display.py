"""Stored and model text made safe for a terminal.

A turn, an LLM answer or a file name can hold anything: escape sequences that set the
window title or clear the screen, a carriage return that overwrites the line, bidi
overrides that reorder what is shown, or a lone surrogate that a terminal encoder refuses.
``visible`` shows each such character as its escape (``\\x1b``, ``\\u202e``) and keeps
newlines and tabs, so what was stored is what is seen.  (Rich markup is the renderer's
concern: the CLI prints this text as plain ``Text``, never as markup.)
"""

from __future__ import annotations

import re

# C0 controls but tab and newline, DEL, C1 controls, bidi marks/overrides/isolates,
# the line/paragraph separators, and lone surrogates.
_UNSAFE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ud800-\udfff]"
)


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group(0))
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: str) -> str:
    """``text`` with every control or invisible-reordering character shown as its escape."""
    return _UNSAFE.sub(_escape, text)
