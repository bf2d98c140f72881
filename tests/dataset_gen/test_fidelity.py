"""Agreement with the TemporalMemoryDataset's dev split (runs when ../shared/data is present)."""

from __future__ import annotations

from pathlib import Path

import pytest

from dataset_gen.families import PAPER_FAMILIES
from dataset_gen.fidelity import check_fidelity_on_dataset, dev_key
from tests.conftest import shared_path

pytestmark = pytest.mark.shared_data


def test_paper_families_reproduce_the_dev_gold(tmp_path: Path) -> None:
    tmd = shared_path("tmd")
    shared_path("tmd", "TestData")
    report = check_fidelity_on_dataset(tmd, tmp_path / "store")
    assert set(report.families) == set(PAPER_FAMILIES)
    for family, agreement in report.families.items():
        assert agreement.items > 0
        assert agreement.rate >= 0.97, (
            family,
            [d for d in report.disagreements if d.family == family],
        )


def test_dev_questions_are_read_back_into_parameters() -> None:
    assert dev_key("session", "What did we discuss in our seventeenth session?") == (17,)
    assert dev_key(
        "rel_session", "What did we talk about, not the last discussion, but the one before that?"
    ) == (2,)
    assert dev_key("date_span", "What was talked about from May 8th to June 9th?") == (
        (5, 8),
        (6, 9),
    )
    assert dev_key("day_span", "What did we chat about over this last week?") == (7,)
    assert dev_key("session_span", "I remember that our 2nd through 4th discussions were fun.") == (
        2,
        4,
    )
    assert dev_key("rel_month", "What did we talk about last month?") == (1,)
    assert dev_key("last_named_day", "Last Friday, what did we chat about?") == (4,)
    assert dev_key("rel_day", "What did we talk about today?") == (0,)
