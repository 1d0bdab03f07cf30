"""Small statistics: percentiles, median/min/max summaries, pairwise ratios.

No numpy: the bench handles a few thousand samples at most.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Sequence


def percentile(samples: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100) with linear interpolation between closest ranks."""
    if not samples:
        return math.nan
    ordered = sorted(samples)
    if len(ordered) == 1:
        return ordered[0]
    position = (len(ordered) - 1) * q / 100.0
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def latency_summary(seconds: Sequence[float]) -> dict[str, float]:
    """p50/p95/p99/max of latencies given in seconds, in milliseconds."""
    ms = [s * 1000.0 for s in seconds]
    return {
        "p50": percentile(ms, 50),
        "p95": percentile(ms, 95),
        "p99": percentile(ms, 99),
        "max": max(ms) if ms else math.nan,
        "n": len(ms),
    }


def summary(values: Iterable[float]) -> dict:
    """Median, min and max over repeated runs (NaN-free values only)."""
    kept = [v for v in values if v is not None and not math.isnan(v)]
    if not kept:
        return {"median": math.nan, "min": math.nan, "max": math.nan, "runs": []}
    return {"median": statistics.median(kept), "min": min(kept), "max": max(kept), "runs": kept}


def ratio(numerator: float, denominator: float) -> float:
    if not denominator or math.isnan(numerator) or math.isnan(denominator):
        return math.nan
    return numerator / denominator
