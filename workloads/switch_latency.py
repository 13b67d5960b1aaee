"""How late a sleeping thread wakes up while another thread burns CPU.

One CPU-bound thread spins in pure Python while a second thread sleeps
``sleep`` seconds ``sleeps`` times and measures how late each wake-up is: with
a GIL the sleeper must wait for the spinner to give the GIL up, which CPython
3.2+ forces after the switch interval (``sys.getswitchinterval()``, 5 ms by
default; the notebook's "15 ms" is not what CPython reports: measure it).
The value is the workload's own measurement (``MEASURES = "own"``): the mean
lateness in seconds.

Points: ``interval=default`` (the interpreter as it comes) and
``interval=0.001`` (``sys.setswitchinterval(0.001)`` for the run, restored
after). Python 2.7 has no time-based switch interval (``sys.setcheckinterval``
counts bytecodes, not seconds, and is a no-op on Jython), and Jython has no GIL
to switch: there the 0.001 point is recorded as unsupported with that reason.
"""

import sys
import threading
import time

# What follows declares the workload contract as data (README.md, "Your own code").
MEASURES = "own"
PARAMS = {"sleeps": 50, "sleep": 0.001, "intervals": [0.001]}
KIND = "latency"
DESCRIPTION = "how late a sleeping thread wakes up while another spins"
FAST_PARAMS = {"sleeps": 10}
ROLE = "latency"
SCALES = None
SIZED_BY = None

try:
    _clock = time.perf_counter
except AttributeError:  # Python 2.7, Jython
    if sys.platform.startswith("java"):
        from java.lang import System  # type: ignore

        def _clock():
            return System.nanoTime() / 1e9

    else:
        _clock = time.time


def points(thread_counts, params):
    """``interval=default``, then ``interval=S`` for each S in params["intervals"]."""
    result = [("interval=default", {"interval": None})]
    for interval in params["intervals"]:
        result.append(("interval=%g" % interval, {"interval": interval}))
    return result


def supported():
    """Every interpreter with threads runs the default point."""
    return None


def point_supported(point, params):
    """Setting the interval needs sys.setswitchinterval (CPython/PyPy 3)."""
    if point["interval"] is None:
        return None
    if not hasattr(sys, "setswitchinterval"):
        if sys.platform.startswith("java"):
            return "Jython has no GIL and no sys.setswitchinterval"
        return (
            "Python %d.%d has no time-based switch interval "
            "(sys.setcheckinterval counts bytecodes)" % sys.version_info[:2]
        )
    return None


def spin(stop):
    """Pure-Python CPU work until told to stop (holds the GIL when there is one)."""
    n = 0
    while not stop[0]:
        n += 1


def sleeper(sleeps, sleep, lateness):
    """Sleep ``sleeps`` times; record how much later than asked each wake-up came."""
    for _ in range(sleeps):
        start = _clock()
        time.sleep(sleep)
        lateness.append(_clock() - start - sleep)


def run(point, params):
    """Spinner + sleeper; returns {"value": mean lateness in seconds}."""
    old = None
    if point["interval"] is not None:
        old = sys.getswitchinterval()
        sys.setswitchinterval(point["interval"])
    try:
        stop = [False]
        lateness = []
        spinner = threading.Thread(target=spin, args=(stop,))
        measurer = threading.Thread(
            target=sleeper, args=(params["sleeps"], params["sleep"], lateness)
        )
        spinner.start()
        measurer.start()
        measurer.join()
        stop[0] = True
        spinner.join()
    finally:
        if old is not None:
            sys.setswitchinterval(old)
    return {"value": sum(lateness) / len(lateness)}
