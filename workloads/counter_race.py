"""``n += 1`` on a shared global from T threads: are increments lost?

The notebook's race: ``n += 1`` is several bytecodes (load, add, store), and a
thread switch between the load and the store loses an update. The notebook's
case is 100 threads x 1 increment (point ``threads=100,increments=1``), which
rarely shows anything because each thread finishes before the next starts; the
heavier points split a fixed total of increments over T threads
(``threads=2,increments=100000``) so that races can show. ``run`` returns
``lost_updates`` (expected minus observed) and ``expected_updates`` beside the
time: correctness, not only speed. How many are lost depends on where the
interpreter may switch threads (CPython 3.10+ rarely switches inside
``n += 1``; free-threaded CPython and Jython have no GIL to protect it).
"""

import threading

try:
    range = xrange  # noqa: F821  (Python 2: no list of K ints per thread)
except NameError:
    pass

# What follows declares the workload contract as data (README.md, "Your own code").
PARAMS = {"total": 200000, "notebook_threads": 100}
KIND = "strong"
DESCRIPTION = "`n += 1` on a shared global from T threads, without a lock"
FAST_PARAMS = {"total": 20000}
ROLE = "race"
SCALES = "threads"
SIZED_BY = None

counter = 0


def increment(k):
    """K unprotected increments of the module global."""
    global counter
    for _ in range(k):
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
    """Reset the counter, start T threads of K increments, join; report lost updates."""
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
