"""The same countdown over N sub-interpreters, each with its own GIL: the third way around the GIL.

PEP 684 (CPython 3.12) gave each sub-interpreter its own GIL; PEP 734
(3.14) made them public as ``concurrent.interpreters``. N interpreters in one
process count down total // N each, from N threads of the main interpreter:
like processes they run in parallel, unlike processes they share the process
(no fork, no pickling of the work). 3.14+ uses ``concurrent.interpreters``;
3.13 and 3.12 the private ``_interpreters`` / ``_xxsubinterpreters`` module
with the "isolated" config (own GIL). CPython before 3.12, PyPy and Jython
are recorded as unsupported with the reason.

The measured unit of ``interpreters=N`` is "create N interpreters, run the
countdown in each from its own thread, join, close them", as the processes
workload starts its processes in every call. ``start=N`` is the same unit
without the countdown (the interpreters run ``pass``): what the N
interpreters cost to start and close, to read beside the speedup.

The countdown runs as source text executed in each interpreter's
``__main__``: nothing is pickled and nothing has to be importable there
(a new interpreter does not see the worker's ``sys.path``).
"""

import platform
import sys
import threading

# What follows declares the workload contract as data (README.md, "Your own code").
KIND = "strong"
DESCRIPTION = (
    "the same countdown over T sub-interpreters, each with its own GIL (CPython 3.12+)"
)
# 8 M as countdown and countdown_processes: the speedups read side by side.
PARAMS = {"total": 8000000}
FAST_PARAMS = {"total": 200000}
ROLE = "interpreters"
SCALES = "interpreters"
SIZED_BY = "total"

# The countdown of workloads/countdown.py, as a function: ``n`` is a local,
# as in the threads' version (a module-level ``n`` would be a dict lookup).
# countdown is called WARM_CALLS times on nothing first, as countdown_processes
# does in each child: a fresh interpreter has never run it (CPython 3.12+
# specializes at once; the calls cost microseconds and keep the workloads alike).
WARM_CALLS = 16
COUNTDOWN_SOURCE = """
def countdown(n):
    while n > 0:
        n -= 1
for _ in range(%d):
    countdown(1)
countdown(%d)
"""
START_SOURCE = "pass\n"


def points(thread_counts, params):
    """``interpreters=N`` per count, then ``start=N`` for the largest count."""
    out = [("interpreters=%d" % n, {"interpreters": n}) for n in thread_counts]
    largest = max(thread_counts)
    out.append(("start=%d" % largest, {"start": largest}))
    return out


def _backend():
    """(name, module) of the sub-interpreter API here, or (None, reason)."""
    name = platform.python_implementation()
    if name != "CPython":
        return None, "%s has no sub-interpreters (a CPython 3.12+ feature, PEP 684)" % (name,)
    if sys.version_info < (3, 12):
        return None, (
            "CPython %d.%d has no sub-interpreters with their own GIL (3.12+, PEP 684)"
            % sys.version_info[:2]
        )
    for module_name in ("concurrent.interpreters", "_interpreters", "_xxsubinterpreters"):
        try:
            __import__(module_name)
        except ImportError:
            continue
        return module_name, sys.modules[module_name]
    return None, "no concurrent.interpreters, _interpreters or _xxsubinterpreters module"


class _Public(object):
    """3.14+: ``concurrent.interpreters``; exec raises ExecutionFailed."""

    def __init__(self, module):
        self.module = module

    def create(self):
        return self.module.create()

    def execute(self, interp, source):
        getattr(interp, "exec")(source)  # ``interp.exec`` is a syntax error in 2.7

    def close(self, interp):
        interp.close()

    def own_gil(self, interp):
        return None  # always isolated (own GIL) by PEP 734


class _Private(object):
    """3.12 ``_xxsubinterpreters`` / 3.13 ``_interpreters``: ids and functions."""

    def __init__(self, module):
        self.module = module

    def create(self):
        try:
            return self.module.create("isolated")  # 3.13: a named config
        except TypeError:
            return self.module.create(isolated=True)  # 3.12: own GIL is isolated=True

    def execute(self, interp, source):
        run = getattr(self.module, "exec", None)
        if run is None:
            self.module.run_string(interp, source)  # 3.12: raises RunFailedError
            return
        failure = run(interp, source)  # 3.13: returns the exception's snapshot
        if failure is not None:
            raise RuntimeError(getattr(failure, "formatted", None) or str(failure))

    def close(self, interp):
        self.module.destroy(interp)

    def own_gil(self, interp):
        get_config = getattr(self.module, "get_config", None)
        if get_config is None:
            return None  # 3.12: "isolated" is the own-GIL config; nothing to read back
        return getattr(get_config(interp), "gil", None) == "own"


def _api():
    """The adapter for this interpreter (only called when supported() is None)."""
    name, module = _backend()
    return _Public(module) if name == "concurrent.interpreters" else _Private(module)


def supported():
    """None where sub-interpreters with their own GIL run, else why not."""
    name, module = _backend()
    if name is None:
        return module
    try:
        api = _api()
        interp = api.create()
        try:
            api.execute(interp, START_SOURCE)
            own = api.own_gil(interp)
        finally:
            api.close(interp)
    except Exception as exc:  # a module that exists but cannot create one
        return "%s cannot run an isolated sub-interpreter: %s" % (name, exc)
    if own is False:
        return "%s creates sub-interpreters that share the main GIL" % (name,)
    return None


def run_in_interpreters(count, source):
    """Create ``count`` interpreters, exec ``source`` in each from its own thread, close them."""
    api = _api()
    failures = []

    def execute(interp):
        try:
            api.execute(interp, source)
        except Exception as exc:  # re-raised below, in the caller's thread
            failures.append(exc)

    interps = []
    try:
        for _ in range(count):
            interps.append(api.create())
        threads = [threading.Thread(target=execute, args=(i,)) for i in interps]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        for interp in interps:
            api.close(interp)
    if failures:
        raise RuntimeError("a sub-interpreter failed: %s" % (failures[0],))


def run(point, params):
    """interpreters=N: N interpreters count down total // N each; start=N: they run ``pass``."""
    if "start" in point:
        run_in_interpreters(point["start"], START_SOURCE)
        return
    count = point["interpreters"]
    run_in_interpreters(count, COUNTDOWN_SOURCE % (WARM_CALLS, params["total"] // count))
