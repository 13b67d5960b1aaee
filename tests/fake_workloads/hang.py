"""A workload that never finishes: the runner's timeout must kill it.

It logs one line on stderr first, so that a test can see it started.
"""

import sys
import time

PARAMS = {}
KIND = "strong"


def points(thread_counts, params):
    """One point per thread count: ``threads=T``."""
    return [("threads=%d" % t, {"threads": t}) for t in thread_counts]


def supported():
    """Runs (and hangs) everywhere."""
    return None


def run(point, params):
    """Sleep forever."""
    sys.stderr.write("hang: started, sleeping forever\n")
    sys.stderr.flush()
    while True:
        time.sleep(3600)
