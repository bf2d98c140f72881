"""Fusing rankings: reciprocal rank fusion (Cormack et al. 2009), which combines rankings
without comparing scores, and the helpers of normalised score fusion with per-question
weights (``convmem.retrieval.content``)."""

from __future__ import annotations

from collections.abc import Sequence

RRF_K = 60


def reciprocal_rank_fusion(
    rankings: Sequence[Sequence[str]],
    k: int = RRF_K,
    weights: Sequence[float] | None = None,
) -> list[tuple[str, float]]:
    """Fuse ranked id lists: each id scores ``sum(weight / (k + rank))`` with 1-based ranks.

    Returns ``(id, score)`` best first.  Equal scores keep the order in which ids were
    first met (the first list's order, then the second's...).  An id repeated within one
    list counts at its best rank only.
    """
    if weights is not None and len(weights) != len(rankings):
        raise ValueError("one weight per ranking")
    scores: dict[str, float] = {}
    for index, ranking in enumerate(rankings):
        weight = 1.0 if weights is None else float(weights[index])
        seen: set[str] = set()
        for rank, item in enumerate(ranking, start=1):
            if item in seen:
                continue
            seen.add(item)
            scores[item] = scores.get(item, 0.0) + weight / (k + rank)
    first_met = {item: position for position, item in enumerate(scores)}
    return sorted(scores.items(), key=lambda pair: (-pair[1], first_met[pair[0]]))


def minmax(scores: dict[str, float]) -> dict[str, float]:
    """Scores scaled to 0..1 over their own pool; a pool that separates nothing gives 0."""
    if not scores:
        return {}
    low, high = min(scores.values()), max(scores.values())
    if high - low <= 1e-9:
        return dict.fromkeys(scores, 0.0)
    return {key: (value - low) / (high - low) for key, value in scores.items()}


def by_best(scores: dict[str, float]) -> dict[str, float]:
    """Scores divided by the best (for scores whose 0 means "no evidence", like BM25)."""
    top = max(scores.values(), default=0.0)
    return {key: value / top for key, value in scores.items()} if top > 0 else {}


def separation(normalised: dict[str, float], head: int, pool: int) -> float:
    """How far a side's ``head`` best candidates stand above its whole candidate pool: the
    mean normalised score of the head minus the mean over ``pool`` candidates (a side that
    found fewer counts the rest as 0).  A side whose candidates all look alike (or that
    found nothing) has separation 0: it cannot tell this question's evidence from the rest."""
    if not normalised or head < 1 or pool < 1:
        return 0.0
    values = sorted(normalised.values(), reverse=True)[:pool]
    values += [0.0] * (pool - len(values))
    mean_head = sum(values[:head]) / head
    mean_pool = sum(values) / pool
    return max(mean_head - mean_pool, 0.0)


def side_weights(separations: Sequence[float], prior: Sequence[float], adapt: float) -> list[float]:
    """Per-question weights of the sides of a score fusion: ``adapt`` 0 gives ``prior``
    (fixed weights), 1 gives weights proportional to each side's ``separation`` for this
    question, values between mix the two.  When no side separates anything, the prior."""
    if len(separations) != len(prior):
        raise ValueError("one separation per side")
    total = sum(separations)
    if adapt <= 0 or total <= 1e-9:
        return list(prior)
    own = [s / total for s in separations]
    return [(1 - adapt) * p + adapt * o for p, o in zip(prior, own, strict=True)]
