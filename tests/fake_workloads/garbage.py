"""A workload that writes non-JSON to the real stdout and exits 0 without a document.

It bypasses the worker's stdout guard (``sys.__stdout__``, the real stdout,
then ``os._exit(0)``), as a misbehaving interpreter or library could: the runner
must report an unreadable document, not crash.
"""

import os
import sys

PARAMS = {}
KIND = "strong"


def points(thread_counts, params):
    """One point per thread count: ``threads=T``."""
    return [("threads=%d" % t, {"threads": t}) for t in thread_counts]


def supported():
    """Runs everywhere."""
    return None


def run(point, params):
    """Garbage on the real stdout, then leave at once with status 0."""
    sys.__stdout__.write("this is not JSON {{{\n")
    sys.__stdout__.flush()
    os._exit(0)
