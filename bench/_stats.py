"""Statistics shared by the benchmarks (imported by scripts run as `python bench/X.py`)."""

from __future__ import annotations

import math
import statistics


def median(xs: list[float]) -> float:
    return statistics.median(xs) if xs else math.nan


def percentile(xs: list[float], q: float) -> float:
    """Nearest-rank percentile, q in (0, 1]."""
    if not xs:
        return math.nan
    s = sorted(xs)
    return s[max(0, math.ceil(q * len(s)) - 1)]


def p90(xs: list[float]) -> float:
    return percentile(xs, 0.9)


def p99(xs: list[float]) -> float:
    return percentile(xs, 0.99)


def summary(xs: list[float]) -> dict:
    return {
        "n": len(xs),
        "median": median(xs),
        "p90": p90(xs),
        "min": min(xs) if xs else math.nan,
        "max": max(xs) if xs else math.nan,
    }


def rotated(i: int, names: list[str]) -> list[str]:
    """All names, the first one rotating with the round number (noise hits every side alike)."""
    k = i % len(names)
    return names[k:] + names[:k]
