"""latency_stats.py - the percentile rule the infusiond benchmarks share.

Imported by sse_latency.py, mqtt_latency.py and alarm_latency.py (same directory), so every
figure of docs/performance.md uses one rule, the same as infusiond's /metrics.
"""


def pct(sorted_vals, q):
    """The sample of rank ceil(q * n), 1-based, of an ascending list; None when it is empty."""
    if not sorted_vals:
        return None
    n = len(sorted_vals)
    rank = int(q * n)
    if rank < q * n:
        rank += 1
    return sorted_vals[max(rank, 1) - 1]


def summary(vals):
    """n, p50/p90/p99 and max (ms) of the samples."""
    s = sorted(vals)
    return {
        "n": len(s),
        "p50_ms": pct(s, 0.50),
        "p90_ms": pct(s, 0.90),
        "p99_ms": pct(s, 0.99),
        "max_ms": s[-1] if s else None,
    }
