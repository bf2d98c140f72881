"""A latency distribution small enough to keep in ``results.json``.

p50 and p95 say little about the shape (a bimodal retriever, a long tail); every single
latency would bloat the file.  Twenty-one quantiles (every 5%) are enough to draw a
distribution curve and to read any percentile off it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

QUANTILE_STEPS = 20  # 0%, 5%, ..., 100%


def quantiles(values: Sequence[float], steps: int = QUANTILE_STEPS) -> list[float]:
    """``steps + 1`` evenly spaced quantiles (linear interpolation), rounded to 0.001;
    an empty list when nothing was measured."""
    if not len(values):
        return []
    points = np.linspace(0.0, 100.0, steps + 1)
    return [round(float(v), 3) for v in np.percentile(np.asarray(values, dtype=np.float64), points)]


def quantile_levels(count: int) -> list[float]:
    """The levels (0-1) that ``count`` evenly spaced quantiles stand for."""
    return [i / (count - 1) for i in range(count)] if count > 1 else [0.5] * count
