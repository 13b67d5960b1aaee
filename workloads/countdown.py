"""CPU-bound pure Python over T threads: the GIL lets only one run at a time.

The notebook's ``CountDown(n)`` (``while n > 0: n -= 1``): a fixed total of
work split evenly over T threads (strong scaling, the notebook's ``n // 2``
per thread for two). Without a GIL (free-threaded CPython with the GIL off,
Jython) two threads on two cores take about half the time of one; with a GIL
they take as long or longer (CPython 2.7's old GIL fights itself).

Every point, T = 1 included, starts its threads then joins them, so each
point pays the same thread start cost.
"""

import threading

# What follows declares the workload contract as data (README.md, "Your own code").
# 8 M: about 0.2 s for one thread on 3.x. With 2 M (50 ms) the 2-thread
# points of GIL-free interpreters spread by 15-25% on this 2-core VM (a thread
# that starts a few ms late weighs on a short run): more work per run, not more
# loops, is what makes those points stable.
PARAMS = {"total": 8000000}
KIND = "strong"
DESCRIPTION = "a pure-Python loop counting down a fixed total, split over T threads"
FAST_PARAMS = {"total": 200000}
ROLE = "headline"
SCALES = "threads"
SIZED_BY = "total"
# Calls that warm countdown up before it is timed (CPython 3.11 specializes after 8).
WARM_CALLS = 16


def countdown(n):
    """The notebook's CountDown: a tight pure-Python loop on a local."""
    while n > 0:
        n -= 1


def points(thread_counts, params):
    """One point per thread count: ``threads=T``."""
    return [("threads=%d" % t, {"threads": t}) for t in thread_counts]


def supported():
    """Every interpreter with threads runs this."""
    return None


def run(point, params):
    """Start T threads, each counting down total // T, then join them all.

    ``countdown`` is first called a few times on nothing: CPython 3.11
    specializes a function only after its 8th call, so without this the first
    calls of each process (the 1-thread point's in some rounds, not in others,
    as the order is shuffled) ran the loop unspecialized, 1.5x slower.
    """
    for _ in range(WARM_CALLS):
        countdown(1)
    threads = point["threads"]
    share = params["total"] // threads
    workers = [threading.Thread(target=countdown, args=(share,)) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
