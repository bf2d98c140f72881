"""Fidelity check: do our conventions reproduce the paper's gold turn sets?

The paper's eleven families are generated under the ``paper`` anchoring over the logs that
the test split covers.  Each dev item is read back into its parameters (which session, how
many days ago, which dates...), matched to the generated target with the same parameters
(in order, when a parameter repeats) and their gold sets compared.  Nothing is tuned to a
dev item: a dev item we cannot match counts as a disagreement.
"""

from __future__ import annotations

import random
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from convmem.embed.hashing import HashEmbedder
from convmem.storage.loaders import load_paths
from convmem.storage.memory import MemoryStore
from dataset_gen.anchoring import PAPER, Anchoring, load_timeline, queries
from dataset_gen.families import PAPER_FAMILIES, time_targets
from dataset_gen.tmd import AMBIGUOUS_DIR, TIME_DIR, TmdItem, read_tmd
from dataset_gen.words import MONTHS, WEEKDAYS, month_number, parse_number, parse_ordinal

_MONTH = "|".join(MONTHS)
_DATE = re.compile(rf"\b({_MONTH}) (\d+)(?:st|nd|rd|th)\b")
_ORD = r"(\d+(?:st|nd|rd|th)?|[a-z]+(?:-[a-z]+)?)"


def _dates(text: str) -> list[tuple[int, int]]:
    return [(month_number(m) or 0, int(d)) for m, d in _DATE.findall(text)]


def dev_key(family: str, text: str) -> tuple[Any, ...] | None:
    """The parameters a dev question names, or None when it names none we know."""
    t = " ".join(text.split())
    low = t.lower()
    if family == "session":
        for word in re.findall(rf"\b{_ORD} (?:session|discussion)\b", low):
            if parse_ordinal(word) is not None:
                return (parse_ordinal(word),)
        return None
    if family == "rel_session":
        if m := re.search(r"\b(\d+|[a-z]+) (?:sessions|discussions|conversations) ago", low):
            return (parse_number(m.group(1)),)
        if "before last" in low or "one before that" in low:
            return (2,)
        if re.search(r"last (session|discussion|time)|one session ago", low):
            return (1,)
        return None
    if family == "dates":
        found = _dates(t)
        return found[0] if found else None
    if family == "date_span":
        found = _dates(t)
        return (found[0], found[1]) if len(found) >= 2 else None
    if family == "rel_day":
        if m := re.search(r"\b(\d+) days? ago", low):
            return (int(m.group(1)),)
        return (0,) if "today" in low else (1,) if "yesterday" in low else None
    if family == "day_span":
        if m := re.search(r"last (\w+) days", low):
            return (parse_number(m.group(1)),)
        return (7,) if "week" in low else None
    if family == "session_span":
        if m := re.search(rf"\b{_ORD} (?:through|to) {_ORD}\b", low):
            first = parse_ordinal(m.group(1)) or parse_number(m.group(1))
            last = parse_ordinal(m.group(2)) or parse_number(m.group(2))
            return (first, last) if first and last else None
        return None
    if family == "month":
        month = re.search(rf"\b({_MONTH})\b", t)
        return (month_number(month.group(1)),) if month else None
    if family == "rel_month":
        if m := re.search(r"\b(\d+|[a-z]+) months ago", low):
            return (parse_number(m.group(1)),)
        return (
            (1,)
            if "last month" in low or "a month ago" in low
            else (0,)
            if "this month" in low
            else None
        )
    if family == "earlier_today":
        return ()
    if family == "last_named_day":
        weekdays = [i for i, w in enumerate(WEEKDAYS) if w in t]
        return (weekdays[0],) if weekdays else None
    return None


def generated_key(family: str, params: dict[str, Any]) -> tuple[Any, ...]:
    p = params
    if family == "session":
        return (p["n"],)
    if family in ("rel_session", "rel_day", "rel_month"):
        return (p["k"],)
    if family == "dates":
        return (p["day"].month, p["day"].day)
    if family == "date_span":
        return ((p["first"].month, p["first"].day), (p["last"].month, p["last"].day))
    if family == "day_span":
        return (p["n"],)
    if family == "session_span":
        return (p["first"], p["last"])
    if family == "month":
        return (p["month"],)
    if family == "last_named_day":
        return (p["weekday"],)
    return ()


@dataclass
class Agreement:
    items: int = 0
    agree: int = 0

    @property
    def rate(self) -> float:
        return self.agree / self.items if self.items else 1.0


@dataclass(frozen=True)
class Disagreement:
    conversation_id: str
    category: str
    family: str
    question: str
    dev_gold: tuple[str, ...]
    our_gold: tuple[str, ...] | None  # None: no generated question had these parameters


@dataclass
class FidelityReport:
    families: dict[str, Agreement] = field(default_factory=dict)  # both categories together
    by_category: dict[tuple[str, str], Agreement] = field(default_factory=dict)
    disagreements: list[Disagreement] = field(default_factory=list)
    unasked: dict[str, int] = field(default_factory=dict)  # generated, with no dev item

    @property
    def worst(self) -> float:
        return min((a.rate for a in self.families.values()), default=1.0)


def _generated(
    store: MemoryStore, conversations: Iterable[str], anchoring: Anchoring
) -> dict[tuple[str, str, tuple[Any, ...]], list[tuple[str, ...]]]:
    con = store.tables.con
    out: dict[tuple[str, str, tuple[Any, ...]], list[tuple[str, ...]]] = defaultdict(list)
    for conversation_id in conversations:
        tl = load_timeline(con, conversation_id, anchoring)
        with queries(con, tl) as q:
            for family in PAPER_FAMILIES:
                for target in time_targets(family, tl, anchoring, q, random.Random(0)):
                    key = (conversation_id, family, generated_key(family, target.params))
                    out[key].append(q.turn_ids(target.scope))
    return out


def check_fidelity(
    store: MemoryStore, test_dir: Path, anchoring: Anchoring = PAPER
) -> FidelityReport:
    """Compare the generated gold with the dev split's for the paper's eleven families."""
    dev = [
        i
        for i in read_tmd(test_dir)
        if i.category in (TIME_DIR, AMBIGUOUS_DIR) and i.family in PAPER_FAMILIES
    ]
    conversations = sorted({i.conversation_id for i in dev})
    generated = _generated(store, conversations, anchoring)
    report = FidelityReport()
    used: dict[tuple[str, str, str, tuple[Any, ...]], int] = defaultdict(int)
    for item in dev:
        _score(report, item, generated, used)
    for (conversation_id, family, key), golds in generated.items():
        asked = max(
            (used[(c, conversation_id, family, key)] for c in (TIME_DIR, AMBIGUOUS_DIR)), default=0
        )
        report.unasked[family] = report.unasked.get(family, 0) + max(0, len(golds) - asked)
    return report


def _score(
    report: FidelityReport,
    item: TmdItem,
    generated: dict[Any, list[tuple[str, ...]]],
    used: dict[Any, int],
) -> None:
    key = dev_key(item.family, item.first_text)
    ours: tuple[str, ...] | None = None
    if key is not None:
        candidates = generated.get((item.conversation_id, item.family, key), [])
        slot = (item.category, item.conversation_id, item.family, key)
        if used[slot] < len(candidates):
            ours = candidates[used[slot]]
        elif candidates:
            ours = candidates[-1]
        used[slot] += 1
    same = ours is not None and set(ours) == set(item.relevant_docs)
    for agreement in (
        report.families.setdefault(item.family, Agreement()),
        report.by_category.setdefault((item.category, item.family), Agreement()),
    ):
        agreement.items += 1
        agreement.agree += int(same)
    if not same:
        report.disagreements.append(
            Disagreement(
                item.conversation_id,
                item.category,
                item.family,
                item.first_text,
                item.relevant_docs,
                ours,
            )
        )


def check_fidelity_on_dataset(tmd_root: Path, work_dir: Path) -> FidelityReport:
    """Ingest the logs the split covers (``tmd_root/ConversationData``) into a store under
    ``work_dir`` with the hash embedder, then run ``check_fidelity`` on ``tmd_root/TestData``."""
    test_dir = tmd_root / "TestData"
    wanted = sorted({i.conversation_id for i in read_tmd(test_dir)})
    logs = [tmd_root / "ConversationData" / f"{c}.json" for c in wanted]
    with MemoryStore(work_dir, HashEmbedder(64)) as store:
        store.ingest(load_paths(logs, "tmd"))
        return check_fidelity(store, test_dir)
