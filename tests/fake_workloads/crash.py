"""A workload whose run() raises: the worker must exit non-zero with the traceback on stderr."""

PARAMS = {}
KIND = "strong"


def points(thread_counts, params):
    """One point per thread count: ``threads=T``."""
    return [("threads=%d" % t, {"threads": t}) for t in thread_counts]


def supported():
    """Runs (and crashes) everywhere."""
    return None


def run(point, params):
    """Raise a recognisable error."""
    raise RuntimeError("deliberate crash in the fake workload")
