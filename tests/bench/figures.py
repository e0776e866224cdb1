"""The bench's figures: percentiles, pace per window, rates, how they print, and the results they fill."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field


def percentile(values: Sequence[float], fraction: float) -> float | None:
    """Linear interpolation between closest ranks; None when there is nothing to rank."""
    if not values:
        return None
    ordered = sorted(values)
    rank = (len(ordered) - 1) * fraction
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def buckets(times: Iterable[float], start: float | None, width: float = 10.0) -> list[int]:
    """How many of `times` fall in each `width`-second window from `start`."""
    if start is None:
        return []
    counts: list[int] = []
    for moment in times:
        index = max(0, int((moment - start) // width))
        counts.extend([0] * (index + 1 - len(counts)))
        counts[index] += 1
    return counts


def rate(count: int, seconds: float) -> float | None:
    return count / seconds if count and seconds > 0 else None


def ms(seconds: float | None) -> float | None:
    return None if seconds is None else seconds * 1000.0


def fmt(value: float | None, digits: int = 1) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def fmt_rate(value: float | None) -> str:
    if value is None:
        return "n/a"
    return f"{value:.0f}/s" if value >= 100 else f"{value:.1f}/s"


@dataclass
class Speed:
    """One run of N items: throughput over the whole run and per-item latency."""

    items: int
    arrived: int
    missing: int
    failed: int
    seconds: float | None
    throughput_per_s: float | None
    latency_p50_ms: float | None
    latency_p99_ms: float | None
    latency_max_ms: float | None

    @classmethod
    def of(
        cls,
        items: int,
        failed: int,
        first_start: float | None,
        latencies: Sequence[float],
        last_arrival: float | None,
    ) -> Speed:
        seconds = last_arrival - first_start if last_arrival is not None and first_start is not None else None
        arrived = len(latencies)
        return cls(
            items=items,
            arrived=arrived,
            missing=items - failed - arrived,
            failed=failed,
            seconds=seconds,
            throughput_per_s=rate(arrived, seconds) if seconds is not None else None,
            latency_p50_ms=ms(percentile(latencies, 0.50)),
            latency_p99_ms=ms(percentile(latencies, 0.99)),
            latency_max_ms=ms(max(latencies)) if latencies else None,
        )


@dataclass
class EndToEnd:
    speed: Speed
    accept_per_s: float | None
    accept_p50_ms: float | None
    accept_p99_ms: float | None
    # Where the time goes: 202 -> work order on <p>.workorders (intake) -> on the department topic (dispatch).
    intake_p50_ms: float | None
    intake_p99_ms: float | None
    dispatch_p50_ms: float | None
    dispatch_p99_ms: float | None
    failures: list[str] = field(default_factory=list)
    # CPU seconds each process spent while the measured contacts were posted and dispatched.
    cpu_seconds: dict[str, float] = field(default_factory=dict)
    # py-spy's view of each service over the same window (tests/bench/profile.py), or why there is none.
    profiles: dict[str, list[str]] = field(default_factory=dict)
    profiles_missing: str | None = None
    # Work orders reaching <p>.workorders and the department topic per 10 s since the first post:
    # shows whether the pace holds as the stores fill up.
    per_10s: dict[str, list[int]] = field(default_factory=dict)


@dataclass
class Memory:
    peak_rss_mib: dict[str, float | None]
