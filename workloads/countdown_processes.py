"""The same countdown over T processes: the notebook's way around the GIL.

``multiprocessing`` starts T processes, each counting down total // T, and
joins them: each process has its own interpreter (and GIL), so on two cores two
processes take about half the time of one, whatever the interpreter, plus the
cost of starting processes. Where an interpreter has no ``multiprocessing``
(Jython) the workload is recorded as unsupported, not failed.

The measured unit is "start T processes, each counts down total/T, join", as
in the notebook; no pool is kept between calls. ``start_method`` ("" = the
interpreter's default: fork on Linux before 3.14, forkserver from 3.14) can
select spawn/forkserver where ``multiprocessing.get_context`` exists; the
children then import this module by name, which the worker makes possible.
"""

# What follows declares the workload contract as data (README.md, "Your own code").
# 8 M: about 0.2 s for one thread on 3.x. With 2 M (50 ms) the 2-thread
# points of GIL-free interpreters spread by 15-25% on this 2-core VM (a thread
# that starts a few ms late weighs on a short run): more work per run, not more
# loops, is what makes those points stable.
PARAMS = {"total": 8000000, "start_method": ""}
KIND = "strong"
DESCRIPTION = "the same countdown over T processes (multiprocessing), the usual way around the GIL"
FAST_PARAMS = {"total": 200000}
ROLE = "processes"
SCALES = "processes"
SIZED_BY = "total"
# Calls that warm countdown up in each child (CPython 3.11 specializes after 8).
WARM_CALLS = 16


def countdown(n):
    """The notebook's CountDown, at module top level so that it pickles by reference."""
    while n > 0:
        n -= 1


def warm_countdown(n):
    """Call countdown a few times on nothing, then count down n: the child's target.

    A fresh child has never called ``countdown``: CPython 3.11 specializes a
    function's bytecode only after its 8th call (3.12+ within the first), so
    its children ran the loop unspecialized, 1.5x slower than the same loop in
    a thread of the warmed-up worker (170 ms against 115 ms here). Warming it
    first measures the same loop in both workloads, on every interpreter.
    """
    for _ in range(WARM_CALLS):
        countdown(1)
    countdown(n)


def points(thread_counts, params):
    """One point per count, named ``processes=T``."""
    return [("processes=%d" % t, {"processes": t}) for t in thread_counts]


def supported():
    """The reason this interpreter cannot start processes, or None."""
    try:
        import multiprocessing
        import multiprocessing.synchronize  # noqa: F401  (fails without sem_open)
    except ImportError as exc:
        return "no multiprocessing on this interpreter (%s)" % (exc,)
    return None


def point_supported(point, params):
    """A start method other than the default needs multiprocessing.get_context (3.4+)."""
    import multiprocessing

    method = params.get("start_method") or ""
    if method and not hasattr(multiprocessing, "get_context"):
        return "start_method %r needs multiprocessing.get_context (Python 3.4+)" % (method,)
    return None


def run(point, params):
    """Start T processes, each counting down total // T, then join them all."""
    import multiprocessing

    method = params.get("start_method") or ""
    context = multiprocessing.get_context(method) if method else multiprocessing
    count = point["processes"]
    share = params["total"] // count
    workers = [context.Process(target=warm_countdown, args=(share,)) for _ in range(count)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    failed = [w.exitcode for w in workers if w.exitcode != 0]
    if failed:
        raise RuntimeError("child process(es) exited with %s" % (failed,))
