"""The I/O convoy: short blocking I/O beside CPU-bound threads (bpo-7946, gh-52194).

One I/O thread makes ``round_trips`` round trips through an echo process (one
byte written to ``cat``'s stdin, ``latency`` seconds of waiting for the reply,
the byte read back from its stdout: blocking calls, each of which releases the
GIL), alone (``cpu_threads=0``) and beside C CPU-bound pure-Python threads. The value is the I/O thread's own time for its round trips
(``MEASURES = "own"``), so the ratio of the ``cpu_threads=C`` point to the
``cpu_threads=0`` point of the same process is the convoy factor: how many
times slower the I/O thread runs beside C busy threads.

CPython's "new GIL" (3.2+) hands the GIL to a waiting thread only after the
switch interval (5 ms by default): each time the I/O thread's wait ends, it may
wait that long again to get the GIL back from the spinner, so it crawls. It was
reported in 2010 and never fixed. Without a GIL (free-threaded CPython, Jython)
the I/O thread keeps its pace while a core is left. The ``interval=0.001``
points set ``sys.setswitchinterval(0.001)`` for the call, where the
interpreter has one.

The far end is a process, not a thread of the same interpreter (which would
need the GIL too) and not a socket pair (Jython has no ``socketpair``): a pipe
to ``cat`` works the same way on every interpreter, in a container too. It is
started before the clock starts and ended after it stops. ``cat`` answers in
microseconds, sooner than a waiting thread wakes up, so without the latency a
round trip would often end before the CPU-bound thread took the GIL (no convoy,
by luck of scheduling); 0.2 ms, a short network round trip, leaves no doubt.
The wait is ``time.sleep`` (on Jython, whose ``time.sleep`` rounds to whole
milliseconds, Java's ``LockSupport.parkNanos``).
"""

import subprocess
import sys
import threading
import time


# What follows declares the workload contract as data (README.md, "Your own code").
MEASURES = "own"
# round_trips: each one may wait for the GIL (up to the switch interval, 5 ms): 10 keep
# a point under about 0.1 s beside one CPU-bound thread on CPython 3.x, cheap in the
# default run. latency: the far end's reply time (see the docstring), 0.2 ms.
# max_cpu_threads: the largest C of the --threads counts that gets a point. 1 by
# default: C = 2 on a 2-core machine also measures the cores being oversubscribed (the
# I/O thread, ``cat`` and two spinners on two cores), not only the GIL, and it
# tripled the workload's time per process (4.4 s against 1.4 s on CPython 3.13, 20 trips).
# intervals: the switch intervals tried beside the interpreter's own.
PARAMS = {"round_trips": 10, "latency": 0.0002, "max_cpu_threads": 1, "intervals": [0.001]}
KIND = "interference"
DESCRIPTION = "an I/O thread's short blocking round trips, alone and beside C CPU-bound threads"
FAST_PARAMS = {"round_trips": 3}
ROLE = "convoy"
SCALES = None
SIZED_BY = None

_wait = time.sleep
try:
    _clock = time.perf_counter
except AttributeError:  # Python 2.7, Jython
    if sys.platform.startswith("java"):
        from java.lang import System  # type: ignore
        from java.util.concurrent.locks import LockSupport  # type: ignore

        def _clock():
            return System.nanoTime() / 1e9

        def _wait(seconds):
            """Jython's time.sleep rounds to whole milliseconds (0.2 ms: no wait at all)."""
            deadline = System.nanoTime() + int(seconds * 1e9)
            left = deadline - System.nanoTime()
            while left > 0:  # parkNanos may return early
                LockSupport.parkNanos(left)
                left = deadline - System.nanoTime()

    else:
        _clock = time.time


def points(thread_counts, params):
    """``cpu_threads=C,interval=default`` for C in 0 and the counts up to max_cpu_threads,
    then the same for each interval of params["intervals"]."""
    counts = [0] + sorted(t for t in set(thread_counts) if 0 < t <= params["max_cpu_threads"])
    result = []
    for interval in [None] + list(params["intervals"]):
        label = "default" if interval is None else "%g" % interval
        for c in counts:
            key = "cpu_threads=%d,interval=%s" % (c, label)
            result.append((key, {"cpu_threads": c, "interval": interval}))
    return result


def supported():
    """Every interpreter that can start ``cat`` with pipes runs this."""
    try:
        echo = echo_process()
    except (OSError, IOError) as exc:
        return "cannot start the echo process `cat`: %s" % (exc,)
    _end(echo)
    return None


def point_supported(point, params):
    """Setting the interval needs sys.setswitchinterval (CPython/PyPy 3)."""
    if point["interval"] is None or hasattr(sys, "setswitchinterval"):
        return None
    if sys.platform.startswith("java"):
        return "Jython has no GIL and no sys.setswitchinterval"
    return (
        "Python %d.%d has no time-based switch interval "
        "(sys.setcheckinterval counts bytecodes)" % sys.version_info[:2]
    )


def echo_process():
    """``cat`` with its stdin and stdout as unbuffered pipes: the far end of a round trip."""
    return subprocess.Popen(["cat"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0)


def round_trip(echo, latency=0.0):
    """One byte to ``cat`` and back: a write, ``latency`` seconds of waiting for the reply
    (a blocking sleep), then the read of the echo."""
    echo.stdin.write(b"x")
    echo.stdin.flush()
    if latency:
        _wait(latency)
    if not echo.stdout.read(1):
        raise RuntimeError("the echo process closed its output during a round trip")


def io_loop(echo, round_trips, latency, took):
    """The I/O thread: ``round_trips`` round trips of one byte through ``echo``, timed."""
    start = _clock()
    for _ in range(round_trips):
        round_trip(echo, latency)
    took.append(_clock() - start)


def spin(stop, running):
    """Pure-Python CPU work until told to stop (holds the GIL when there is one)."""
    running.append(1)
    n = 0
    while not stop[0]:
        n += 1


def _measure(echo, cpu_threads, round_trips, latency):
    """The spinners first (the clock starts once every one of them runs), then the I/O thread."""
    stop = [False]
    running = []
    spinners = [threading.Thread(target=spin, args=(stop, running)) for _ in range(cpu_threads)]
    took = []
    io = threading.Thread(target=io_loop, args=(echo, round_trips, latency, took))
    try:
        for spinner in spinners:
            spinner.start()
        while len(running) < cpu_threads:
            time.sleep(0.0005)
        io.start()
        io.join()
    finally:
        stop[0] = True
        for spinner in spinners:
            spinner.join()
    if not took:
        raise RuntimeError("the I/O thread failed (see its traceback above)")
    return took[0]


def _end(echo):
    """Close ``cat``'s stdin (it exits on end of file) and reap it."""
    echo.stdin.close()
    echo.stdout.close()
    echo.wait()


def run(point, params):
    """Start ``cat``, C spinners and the I/O thread; returns {"value": the I/O thread's seconds}."""
    old = None
    if point["interval"] is not None:
        old = sys.getswitchinterval()
        sys.setswitchinterval(point["interval"])
    echo = echo_process()
    try:
        round_trip(echo)  # untimed: the first one waits for ``cat`` to start
        value = _measure(echo, point["cpu_threads"], params["round_trips"], params["latency"])
    finally:
        _end(echo)
        if old is not None:
            sys.setswitchinterval(old)
    return {"value": value}
