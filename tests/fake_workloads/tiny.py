"""A workload that does almost nothing, quickly: for tests of the plumbing.

One point per thread count; ``run`` returns an extra (``calls``) so that the
per-value extras can be checked.
"""

PARAMS = {"spin": 10}
KIND = "strong"


def points(thread_counts, params):
    """One point per thread count: ``threads=T``."""
    return [("threads=%d" % t, {"threads": t}) for t in thread_counts]


def supported():
    """Runs everywhere."""
    return None


def run(point, params):
    """A few additions; one call counted."""
    n = 0
    for i in range(params["spin"]):
        n += i
    return {"calls": 1}
