"""Start one thread that does nothing and join it: the fixed cost every threaded point pays.

The value is the time to create, start and join one ``threading.Thread``
whose target returns at once. Every point of the threaded workloads pays it
T times per call, so it says how much of a short call is thread management
rather than work (PyPy's 100-thread point of counter_lock implies about
0.2 ms per thread here). It is a fact about the interpreter, shown as is: no
scaling.
"""

import threading

# What follows declares the workload contract as data (README.md, "Your own code").
PARAMS = {}
KIND = "overhead"
DESCRIPTION = "start and join one thread that does nothing: the fixed cost of a thread"
# --fast: nothing to shrink (calibration keeps each value short).
FAST_PARAMS = {}
ROLE = "start_cost"
SCALES = None
SIZED_BY = None


def nothing():
    """The thread's target: return at once."""
    return None


def points(thread_counts, params):
    """One point, whatever the thread counts: ``start_join``."""
    return [("start_join", {})]


def supported():
    """Every interpreter with threads runs this."""
    return None


def run(point, params):
    """Create, start and join one thread."""
    worker = threading.Thread(target=nothing)
    worker.start()
    worker.join()
