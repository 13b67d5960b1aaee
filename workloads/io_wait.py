"""T threads blocked waiting: every interpreter overlaps waits, GIL or not.

Each thread waits ``waits`` times for ``wait`` seconds (``time.sleep``, which
like a blocking read releases the GIL while the thread is parked), so the work
per thread is fixed (weak scaling): the time stays about ``waits * wait``
whatever T, on every interpreter. It is the notebook's point that the GIL
hurts CPU-bound threads, not threads that wait. ``time.sleep`` is used rather
than a socket pair or a pipe because it blocks the same way on every
interpreter, Jython included (no ``socket.socketpair`` there, and its
``select`` does not take pipes).
"""

import threading
import time

# What follows declares the workload contract as data (README.md, "Your own code").
PARAMS = {"waits": 5, "wait": 0.01}
KIND = "weak"
DESCRIPTION = "T threads each waiting in `time.sleep`: blocking calls release the GIL"
FAST_PARAMS = {"waits": 2}
ROLE = "waiting"
SCALES = "threads"
SIZED_BY = None


def wait_loop(waits, wait):
    """Block ``waits`` times for ``wait`` seconds."""
    for _ in range(waits):
        time.sleep(wait)


def points(thread_counts, params):
    """One point per thread count: ``threads=T``."""
    return [("threads=%d" % t, {"threads": t}) for t in thread_counts]


def supported():
    """Every interpreter with threads runs this."""
    return None


def run(point, params):
    """Start T waiting threads, then join them all."""
    args = (params["waits"], params["wait"])
    workers = [threading.Thread(target=wait_loop, args=args) for _ in range(point["threads"])]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
