"""``n += 1`` where ``+`` is a Python method: a race that the GIL does not hide.

counter_race's ``n += 1`` on an int loses no update on CPython 3.10+ with the
GIL, although it is several bytecodes: those interpreters switch threads only
where they check for a pending switch (a backward jump, the start of a Python
function's frame, some calls), and the load, the add and the store of
``n += 1`` on an int contain none of those places. Here the counter is an
object whose ``__add__`` is Python code, so ``n += 1`` enters a Python frame
between loading ``n`` and storing the result: a thread switch can happen there,
and the other thread's increments in the meantime are overwritten. The point of
the notebook stands, under the GIL too: ``+=`` is not atomic, and only a lock
makes it so.

Points: ``threads=T,increments=total//T``, like counter_race; ``run`` returns
``lost_updates`` and ``expected_updates``.
"""

import threading

try:
    range = xrange  # noqa: F821  (Python 2)
except NameError:
    pass

# What follows declares the workload contract as data (README.md, "Your own code").
PARAMS = {"total": 50000}
KIND = "strong"
DESCRIPTION = "`n += 1` from T threads without a lock, where `n`'s `__add__` is Python code"
FAST_PARAMS = {"total": 10000}
ROLE = "race_method"
SCALES = "threads"
SIZED_BY = None


class Count(object):
    """An immutable count whose ``+`` runs in a Python frame (where threads may switch)."""

    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value

    def __add__(self, other):
        return Count(self.value + other)


counter = Count(0)


def increment(k):
    """K unprotected ``counter += 1`` of the module global."""
    global counter
    for _ in range(k):
        counter += 1


def points(thread_counts, params):
    """``threads=T,increments=total//T`` per thread count."""
    result = []
    for t in thread_counts:
        k = params["total"] // t
        result.append(("threads=%d,increments=%d" % (t, k), {"threads": t, "increments": k}))
    return result


def supported():
    """Every interpreter with threads runs this."""
    return None


def run(point, params):
    """Reset the counter, start T threads of K increments, join; report lost updates."""
    global counter
    counter = Count(0)
    threads, k = point["threads"], point["increments"]
    workers = [threading.Thread(target=increment, args=(k,)) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    expected = threads * k
    return {"lost_updates": expected - counter.value, "expected_updates": expected}
