"""A workload that no interpreter supports: the worker prints a document with ``unsupported`` set."""

PARAMS = {}
KIND = "strong"


def points(thread_counts, params):
    """One point per thread count: ``threads=T``."""
    return [("threads=%d" % t, {"threads": t}) for t in thread_counts]


def supported():
    """Always the same reason."""
    return "the fake workload is never supported"


def run(point, params):
    """Never called."""
    raise AssertionError("run() of an unsupported workload was called")
