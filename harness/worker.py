"""Run one workload inside the target interpreter and print one JSON document.

This script runs under the interpreter being measured (CPython 2.7 and 3.x,
free-threaded CPython, PyPy, Jython 2.7), so it uses the standard library only
and the syntax common to Python 2.7 and 3.x. It knows nothing of pyperf: the
host side (``harness/runner.py``) turns its document into pyperf runs.

    worker.py --workload NAME --threads 1,2,4 [--params JSON] [--point KEY ...]
              (--calibrate --min-time SECONDS | --loops '{"KEY": N, ...}' --values N --warmups N)
              [--cpus 0,1] --workloads DIR

stdout carries the document only (``sort_keys``); logs and tracebacks go to
stderr. Exit status: 0 when the document was written (also when the workload
is unsupported here), 1 when the workload raised (traceback on stderr), 2 for
bad arguments.

The worker starts no threads of its own: the workload creates and joins its
threads inside ``run``, and the timer reads the clock around whole calls, so
nothing here serializes the threads being measured.
"""

from __future__ import print_function

import argparse
import json
import os
import random
import sys
import time
import traceback

# The probe lives beside this file (a container mounts the whole folder).
_HERE = os.path.dirname(os.path.abspath(__file__))
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)
import probe  # noqa: E402

FORMAT_VERSION = 1
EXIT_OK = 0
EXIT_WORKLOAD_FAILED = 1
EXIT_USAGE = 2

try:
    range = xrange  # noqa: F821  (Python 2: no list of ``loops`` ints in the timing loop)
except NameError:
    pass


def _java_nanotime_timer():
    """Jython has no perf_counter and a millisecond time.time: use System.nanoTime."""
    from java.lang import System  # type: ignore  # only on Jython

    def timer():
        return System.nanoTime() / 1e9

    return timer


if hasattr(time, "perf_counter"):
    timer = time.perf_counter
elif sys.platform.startswith("java"):
    timer = _java_nanotime_timer()
else:
    # CPython 2.7 on a POSIX system: gettimeofday, microsecond resolution.
    timer = time.time


class UsageFailure(Exception):
    """Bad arguments: reported on stderr with exit status 2."""


def log(message):
    """One line on stderr; stdout is reserved for the JSON document."""
    sys.stderr.write("worker: %s\n" % (message,))
    sys.stderr.flush()


def affinity():
    """The CPUs this process may run on, sorted; None where that cannot be read.

    ``os.sched_getaffinity`` where the interpreter has it (CPython 3.3+, PyPy 3);
    else the kernel's own line in ``/proc/self/status`` (CPython 2.7, Jython on
    Linux); else None.
    """
    getter = getattr(os, "sched_getaffinity", None)
    if getter is not None:
        try:
            return sorted(getter(0))
        except OSError:
            pass
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("Cpus_allowed_list:"):
                    return parse_cpu_list(line.split(":", 1)[1])
    except (IOError, OSError, ValueError):
        pass
    return None


def parse_cpu_list(text):
    """'0-2,5' -> [0, 1, 2, 5] (the kernel's and taskset's notation)."""
    cpus = []
    for part in text.strip().split(","):
        part = part.strip()
        if not part:
            continue
        low, _, high = part.partition("-")
        cpus.extend(range(int(low), int(high or low) + 1))
    return sorted(set(cpus))


def pin(cpus):
    """Pin this process to ``cpus`` where the interpreter can; return why not, or None.

    The host already started it under ``taskset`` (or a container's cpuset): this is
    the fallback where neither was there, and a check either way. The CPUs the
    process may then use are what ``affinity()`` reads back, and the document records.
    """
    setter = getattr(os, "sched_setaffinity", None)
    if setter is not None:
        try:
            setter(0, set(cpus))
        except (OSError, ValueError) as exc:
            return "sched_setaffinity(%s) failed: %s" % (cpus, exc)
    seen = affinity()
    if seen is None:
        return "cannot read this process's CPU affinity here, so the pinning cannot be checked"
    if seen != sorted(cpus):
        return "asked to run on CPUs %s, but the process may run on %s" % (
            ",".join(map(str, cpus)), ",".join(map(str, seen)))
    return None


def facts():
    """What the document records about the interpreter, read at the end of the run.

    The probe's own functions (``probe.py`` beside this file), so the worker and
    the probe never disagree. ``gil_enabled`` is read after the workload ran: on
    a free-threaded build an extension module imported by the workload may have
    turned the GIL back on; it is null where there is no GIL at all (Jython).
    """
    return {
        "implementation": probe.implementation(),
        "python_version": probe.python_version(),
        "gil_disabled_build": probe.gil_disabled_build(),
        "gil_enabled": probe.gil_enabled(),
        "switch_interval": probe.switch_interval(),
        "check_interval": probe.check_interval(),
        "cpu_count": probe.cpu_count(),
        "affinity": affinity(),
        "platform": sys.platform,
    }


def parse_threads(text):
    """'1,2,4' -> [1, 2, 4]; every count a positive integer."""
    counts = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        try:
            value = int(part)
        except ValueError:
            raise UsageFailure("--threads: %r is not an integer" % (part,))
        if value < 1:
            raise UsageFailure("--threads: %d is not a positive count" % (value,))
        counts.append(value)
    if not counts:
        raise UsageFailure("--threads: no thread counts in %r" % (text,))
    return counts


def parse_loops(text):
    """'{"threads=1": 8, "threads=2": 4}' -> the loops of each point, by its key.

    A JSON object, so a point's key (which holds '=' and ',') is never parsed here.
    """
    try:
        loops = json.loads(text)
    except ValueError as exc:
        raise UsageFailure("--loops is not JSON: %s" % (exc,))
    if not isinstance(loops, dict):
        raise UsageFailure("--loops must be a JSON object of point keys and loops")
    for key, value in loops.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise UsageFailure("--loops: %r: %r is not a count >= 1" % (key, value))
    return loops


def parse_args(argv):
    """The command line; errors become UsageFailure (argparse would exit by itself)."""
    parser = argparse.ArgumentParser(prog="worker.py", description=__doc__.splitlines()[0])
    parser.add_argument("--workload", required=True)
    parser.add_argument("--workloads", required=True, help="folder holding <workload>.py")
    parser.add_argument("--threads", default="1,2", help="thread counts, e.g. 1,2,4")
    parser.add_argument("--params", default="{}", help="JSON object overriding PARAMS")
    parser.add_argument("--point", action="append", default=[], help="only this point key")
    parser.add_argument("--calibrate", action="store_true")
    parser.add_argument("--min-time", type=float, default=0.1, dest="min_time")
    parser.add_argument("--loops", default=None, help='JSON: {"KEY": N, ...}')
    parser.add_argument("--values", type=int, default=3)
    parser.add_argument("--warmups", type=int, default=1)
    parser.add_argument("--seed", type=int, default=None, help="shuffle the points of each round")
    parser.add_argument("--cpus", default=None, help="pin to these CPU ids, e.g. 0 or 0-1")
    args = parser.parse_args(argv)
    if args.calibrate and args.loops is not None:
        raise UsageFailure("--calibrate and --loops exclude each other")
    if not args.calibrate and args.loops is None:
        raise UsageFailure("give --calibrate --min-time S, or --loops '{\"KEY\": N}' --values N")
    if args.values < 1 or args.warmups < 0 or args.min_time <= 0:
        raise UsageFailure("--values must be >= 1, --warmups >= 0, --min-time > 0")
    args.thread_counts = parse_threads(args.threads)
    try:
        args.param_overrides = json.loads(args.params)
    except ValueError as exc:
        raise UsageFailure("--params is not JSON: %s" % (exc,))
    if not isinstance(args.param_overrides, dict):
        raise UsageFailure("--params must be a JSON object")
    args.loop_counts = parse_loops(args.loops) if args.loops is not None else None
    args.cpu_ids = None
    if args.cpus is not None:
        try:
            args.cpu_ids = parse_cpu_list(args.cpus)
        except ValueError:
            raise UsageFailure("--cpus: %r is not a list of CPU ids (e.g. 0 or 0-1,3)" % args.cpus)
        if not args.cpu_ids:
            raise UsageFailure("--cpus: no CPU id in %r" % (args.cpus,))
    return args


def import_workload(name, directory):
    """Import workloads/<name>.py as a top-level module named <name>.

    The folder goes on sys.path (first) and the module is imported by its own
    name, so its top-level functions pickle by reference: a multiprocessing
    child started with spawn or forkserver imports it the same way.
    """
    directory = os.path.abspath(directory)
    if not os.path.isfile(os.path.join(directory, name + ".py")):
        raise UsageFailure("no workload %r in %s" % (name, directory))
    if directory not in sys.path:
        sys.path.insert(0, directory)
    __import__(name)
    return sys.modules[name]


def merged_params(module, overrides):
    """The workload's PARAMS with --params on top; unknown keys are an error (typos)."""
    params = dict(getattr(module, "PARAMS", {}))
    unknown = sorted(key for key in overrides if key not in params)
    if unknown:
        raise UsageFailure(
            "--params: unknown key(s) %s for this workload (known: %s)"
            % (", ".join(unknown), ", ".join(sorted(params)) or "none")
        )
    params.update(overrides)
    return params


def time_value(run, point, params, loops, own):
    """One value: ``loops`` calls of run(); seconds per call, or the workload's own number.

    Extras (numbers in the returned dict other than "value") are summed over
    the loops of the value, so lost/expected updates keep their ratio.
    """
    extra = {}
    own_total = 0.0
    start = timer()
    for _ in range(loops):
        result = run(point, params)
        if result:
            for key, number in result.items():
                if key == "value":
                    own_total += number
                else:
                    extra[key] = extra.get(key, 0) + number
    elapsed = timer() - start
    if own:
        if result is None or "value" not in result:
            raise RuntimeError("MEASURES = 'own' but run() returned no 'value'")
        return own_total / loops, extra
    return elapsed / loops, extra


def add_extra(point_doc, extra):
    """Keep extras per value: one list per key, aligned with ``values``."""
    for key, number in extra.items():
        point_doc["extra"].setdefault(key, []).append(number)


def calibrate_point(run, point, params, min_time, own):
    """Loops (a power of 2) so that one value lasts >= min_time; pyperf-style doubling.

    Returns (loops, timings, extra): timings are seconds per loop of each
    attempt, the last one at the chosen loops; extra is the last attempt's.
    """
    if own:
        value, extra = time_value(run, point, params, 1, own)
        return 1, [value], extra
    loops = 1
    timings = []
    while True:
        start = timer()
        per_loop, extra = time_value(run, point, params, loops, own)
        elapsed = timer() - start
        timings.append(per_loop)
        if elapsed >= min_time or loops >= 2 ** 30:
            return loops, timings, extra
        # Jump towards the target instead of doubling one step at a time,
        # staying on powers of 2 (at most x16 per step: the first call is often slow).
        factor = 2
        if elapsed > 0:
            while factor < 16 and loops * factor * per_loop < min_time:
                factor *= 2
        loops *= factor


def _round(measured, shuffle):
    """The points of one round: in plan order, or shuffled when a seed was given."""
    order = list(measured)
    if shuffle is not None:
        shuffle(order)
    return order


def selected_points(args, module, params):
    """The workload's points for these thread counts, only those of --point when given."""
    points = list(module.points(args.thread_counts, params))
    if args.cpu_ids:
        # A pinned process's points are other points: "threads=2,cpus=1" (the axis in
        # the benchmark name, so the unpinned names of older files keep their meaning).
        points = [("%s,cpus=%d" % (key, len(args.cpu_ids)), p) for key, p in points]
    keys = [key for key, _ in points]
    if args.point:
        missing = [key for key in args.point if key not in keys]
        if missing:
            raise UsageFailure(
                "--point: no point %s (points: %s)" % (", ".join(missing), ", ".join(keys))
            )
        points = [(key, p) for key, p in points if key in args.point]
    return points


def plan_points(args, module, points, params, own):
    """(key, point, unsupported reason, loops) per point; loops None when calibrating."""
    point_supported = getattr(module, "point_supported", None)
    plan = []
    for key, point in points:
        reason = point_supported(point, params) if point_supported is not None else None
        loops = None
        if not reason and not args.calibrate:
            if own:
                loops = 1
            elif key not in args.loop_counts:
                raise UsageFailure(
                    "--loops has no count for point %r (give loops for: %s)"
                    % (key, ", ".join(k for k, _ in points))
                )
            else:
                loops = args.loop_counts[key]
        plan.append((key, point, reason, loops))
    return plan


def measure_rounds(doc, measured, args, module, params, own):
    """Warmups, then values, each round visiting every measured point once.

    Points are interleaved (round robin), not measured one after the other:
    whatever drifts inside one process (3.11's specializing interpreter was
    seen speeding up by 15% over a second, a JIT, caches, another job) then
    spreads over every point instead of favouring the points measured last.
    With --seed each round visits the points in its own shuffled order, so no
    point always runs right after the same other one.
    """
    shuffle = random.Random(args.seed).shuffle if args.seed is not None else None
    doc["seed"] = args.seed
    doc["rounds"] = []
    for _ in range(args.warmups):
        for key, point, loops, point_doc in _round(measured, shuffle):
            value, _extra = time_value(module.run, point, params, loops, own)
            point_doc["warmups"].append(value)
    for _ in range(args.values):
        order = _round(measured, shuffle)
        doc["rounds"].append([item[0] for item in order])
        for key, point, loops, point_doc in order:
            value, extra = time_value(module.run, point, params, loops, own)
            point_doc["values"].append(value)
            add_extra(point_doc, extra)
    for key, point, loops, point_doc in measured:
        shown = ", ".join("%.6g" % v for v in point_doc["values"])
        log("%s: loops=%d values=%s" % (key, loops, shown))


def run_workload(args, module):
    """Build the document for one workload: calibration or measurement of each point."""
    params = merged_params(module, args.param_overrides)
    doc = {
        "version": FORMAT_VERSION,
        "workload": args.workload,
        "mode": "calibrate" if args.calibrate else "measure",
        "params": params,
        "thread_counts": args.thread_counts,
        "measures": getattr(module, "MEASURES", "time"),
        "unsupported": None,
        "points": [],
        "facts": None,
    }
    supported = getattr(module, "supported", None)
    reason = pin(args.cpu_ids) if args.cpu_ids else None
    if not reason:
        reason = supported() if supported is not None else None
    if reason:
        log("unsupported: %s" % (reason,))
        doc["unsupported"] = str(reason)
        doc["facts"] = facts()
        return doc

    own = getattr(module, "MEASURES", "time") == "own"
    points = selected_points(args, module, params)
    measured = []
    for key, point, reason, loops in plan_points(args, module, points, params, own):
        point_doc = {
            "key": key,
            "params": dict(point, cpus=len(args.cpu_ids)) if args.cpu_ids else point,
            "loops": loops,
            "unsupported": str(reason) if reason else None,
            "warmups": [],
            "values": [],
            "extra": {},
        }
        doc["points"].append(point_doc)
        if reason:
            log("%s: unsupported: %s" % (key, reason))
            continue
        if args.calibrate:
            loops, timings, extra = calibrate_point(
                module.run, point, params, args.min_time, own
            )
            add_extra(point_doc, extra)
            point_doc["loops"] = loops
            point_doc["warmups"] = timings[:-1]
            point_doc["values"] = timings[-1:]
            log("%s: calibrated loops=%d (%.6g s per loop)" % (key, loops, timings[-1]))
            continue
        measured.append((key, point, loops, point_doc))

    measure_rounds(doc, measured, args, module, params, own)
    doc["facts"] = facts()
    return doc


def main(argv=None):
    """Entry point; returns the exit status instead of exiting (the caller exits)."""
    if argv is None:
        argv = sys.argv[1:]
    try:
        args = parse_args(argv)
    except UsageFailure as exc:
        log("usage: %s" % (exc,))
        return EXIT_USAGE
    except SystemExit as exc:  # argparse on --help or a bad option
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE

    # Anything the workload prints must not corrupt the document on stdout.
    real_stdout = sys.stdout
    sys.stdout = sys.stderr
    try:
        module = import_workload(args.workload, args.workloads)
        doc = run_workload(args, module)
    except UsageFailure as exc:
        log("usage: %s" % (exc,))
        return EXIT_USAGE
    except BaseException:  # the workload raised (or was interrupted): the runner keeps the tail
        traceback.print_exc(file=sys.stderr)
        # Last on stderr, so the runner's one line says why (MemoryError, a RuntimeError...).
        kind, value = sys.exc_info()[:2]
        why = traceback.format_exception_only(kind, value)[-1].strip()
        log("workload %r failed: %s" % (args.workload, why))
        return EXIT_WORKLOAD_FAILED
    finally:
        sys.stdout = real_stdout
    real_stdout.write(json.dumps(doc, sort_keys=True))
    real_stdout.write("\n")
    real_stdout.flush()
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
