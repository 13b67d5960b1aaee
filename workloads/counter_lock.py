"""The same shared counter under ``threading.Lock``: no lost updates, at what cost?

The notebook's fix for the ``n += 1`` race: every increment takes a lock.
``lost_updates`` must be 0 on every interpreter (it is returned beside
``expected_updates`` as in counter_race), and the time, compared with
counter_race's, is the lock's price (uncontended at T = 1, contended above).
"""

import threading

try:
    range = xrange  # noqa: F821  (Python 2)
except NameError:
    pass

# What follows declares the workload contract as data (README.md, "Your own code").
PARAMS = {"total": 200000, "notebook_threads": 100}
KIND = "strong"
DESCRIPTION = "the same counter, each `n += 1` under a `threading.Lock`"
FAST_PARAMS = {"total": 20000}
ROLE = "lock"
SCALES = "threads"
SIZED_BY = None

counter = 0
lock = threading.Lock()


def increment(k):
    """K increments of the module global, each under the lock."""
    global counter
    for _ in range(k):
        with lock:
            counter += 1


def points(thread_counts, params):
    """``threads=T,increments=total//T`` per thread count, then the notebook's 100 x 1."""
    result = []
    for t in thread_counts:
        k = params["total"] // t
        result.append(("threads=%d,increments=%d" % (t, k), {"threads": t, "increments": k}))
    many = params["notebook_threads"]
    if many:
        key = "threads=%d,increments=1" % many
        if key not in [k for k, _ in result]:
            result.append((key, {"threads": many, "increments": 1}))
    return result


def supported():
    """Every interpreter with threads runs this."""
    return None


def run(point, params):
    """Reset the counter, start T threads of K locked increments, join; report lost updates."""
    global counter
    counter = 0
    threads, k = point["threads"], point["increments"]
    workers = [threading.Thread(target=increment, args=(k,)) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    expected = threads * k
    return {"lost_updates": expected - counter, "expected_updates": expected}
