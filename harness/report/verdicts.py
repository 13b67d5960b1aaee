"""Words from intervals: a verdict is drawn only where the 95% interval supports it.

- Strong scaling (a fixed total split over T on ``ideal`` cores): "in parallel"
  needs the whole interval at or above a quarter of the ideal gain
  (``1 + stats.CLEAR_FRACTION * (ideal - 1)``: 1.25x for 2 threads on 2 cores); "in each
  other's way" needs it all below ``stats.SLOWER_THAN_ONE`` (0.75x); "take turns" needs it
  all below the parallel line; anything else (an interval across a line) gives no
  verdict. The lines lie far from where interpreters are, so two runs with an
  interval each say the same words; how much faster or slower is the figure's to
  say, not the words' ("a little slower than one thread" and "partly in parallel"
  flipped between runs of one build). One process gives no interval: no verdict.
- Weak scaling (fixed work per thread): the ideal is "time unchanged", which
  is what an interval including T x throughput means: it is never a failure.
- A speedup above the physical limit (the cores, or T when fewer) is always
  shown with a note: noise when the interval includes the limit, a measurement
  fault when it does not.
"""

from __future__ import annotations

from harness import stats
from harness.report.context import NOT_ENOUGH, beyond

THREAD_WORDS = {
    "parallel": "runs Python threads in parallel",
    "in the way": "threads get in each other's way: slower than one thread",
    "turns": "threads take turns: no speedup for CPU-bound Python",
}


def strong_verdict(est: stats.Estimate, ideal: float) -> str:
    """The headline verdict on threads from a strong-scaling speedup at ``ideal`` cores
    (the lines: ``stats.thread_side``)."""
    if est.bounds is None:
        return f"no verdict on threads: {NOT_ENOUGH}"
    side = stats.thread_side(est, ideal)
    return THREAD_WORDS[side] if side else \
        "no clear verdict on threads: the 95% interval is too wide"


def change_verdict(change: stats.Estimate, work: str, words: tuple[str, str],
                   judged: bool = True) -> str:
    """A change between two runs in words: ``words`` = (below 1, above 1), given only where
    the whole interval lies beyond the practical threshold; "no significant change",
    "not enough processes" (also when not ``judged``: too few processes on a side), or
    "other work" (the work per call differs: not judged)."""
    if work:
        return "other work"
    if not change.enough or not judged:
        return "not enough processes"
    side = beyond(change)
    if side:
        return words[1] if side > 0 else words[0]
    return "no significant change"


def change_word(est: stats.Estimate) -> str:
    """"" when the interval lies beyond the practical threshold, else why not ("n.s.": not
    significant; "no interval": not enough processes)."""
    if not est.enough:
        return "no interval"
    return "" if beyond(est) else "n.s."


def limit_note(est: stats.Estimate, limit: float) -> str | None:
    """The note a speedup above the physical ``limit`` must carry (None when not above)."""
    if not est.value > limit:
        return None
    if est.bounds is None:
        return (f"above the physical limit of {limit:g}x, with no interval "
                f"({NOT_ENOUGH}): not a result")
    if est.includes(limit):
        return (f"above the physical limit of {limit:g}x, but its interval includes "
                f"{limit:g}: noise")
    return (f"above the physical limit of {limit:g}x and its interval excludes it: a "
            "measurement fault (the one-thread point ran slower than it should, e.g. "
            "an outlier process on a busy machine)")


def weak_words(est: stats.Estimate, threads: int) -> str:
    """Weak scaling: ``est`` is T x time(1) / time(T); the ideal is T (time unchanged)."""
    if est.bounds is None:
        return f"time x{threads / est.value:.2f} ({NOT_ENOUGH})"
    if est.includes(threads):
        return "time unchanged (the ideal)"
    change = threads / est.value
    if change > 1.0:
        return f"time {change:.2f}x longer"
    return f"time {1.0 / change:.2f}x shorter"
