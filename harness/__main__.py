"""Command line: ``gil-harness`` or ``python -m harness {interpreters,provision,run,report,...}``.

Only argument parsing lives here; each command is a ``cmd_*`` function in the
module that owns it and returns an exit status.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import signal
import sys
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

from harness import __version__, paths, procgroup
from harness.errors import HarnessError, UsageError

# A worker process that may run for more than a day is a typo (and 1e300 s overflows
# the clock): --timeout must be finite, positive and at most this.
MAX_TIMEOUT = 86400.0
# --threshold is a percentage change; 1000% (11 times slower) is already beyond any gate.
MAX_THRESHOLD = 1000.0
# Commands that write into the cache folder: it is checked before they start.
WRITES_CACHE = ("run", "provision", "warmup", "compare")


class _Parser(argparse.ArgumentParser):
    """argparse, but a mistake is one line (``error: ...``) and exit status 2, no usage dump."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"error: {message} (see {self.prog} --help)\n")


def _bounded(name: str, low: float, high: float, example: str,
             zero_ok: bool = False) -> Callable[[str], float]:
    """An argparse type: a finite number above ``low`` (or equal, with ``zero_ok``), <= ``high``."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not (math.isfinite(value) and (value >= low if zero_ok else value > low)
                and value <= high):
            above = "at least" if zero_ok else "above"
            raise argparse.ArgumentTypeError(
                f"{text!r} is not a number of {name} {above} {low:g} and at most {high:g}, "
                f"e.g. {example}")
        return value

    return parse


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="python -m harness",
        description="Measure how Python interpreters handle threads; pyperf collects the results.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="show tracebacks")
    parser.add_argument("--version", action=_Version, nargs=0,
                        help="print the version and where the built-in workloads are")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("interpreters", help="list every known interpreter and its status")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.add_argument("--ready", action="store_true", help="only the ready ones")
    p.add_argument("--ids", action="store_true", help="print only the ids (one per line)")

    p = sub.add_parser("provision", help="install or build the interpreters that are missing")
    p.add_argument("ids", nargs="*", metavar="ID", help="interpreter ids (default: all)")
    p.add_argument(
        "--source",
        metavar="PATH_OR_URL",
        help="a CPython source tarball: build X.Yt and its GIL twin X.Y-twin from it",
    )
    p.add_argument(
        "--source-3.14",
        dest="source_314",
        metavar="PATH_OR_URL",
        help="alias of --source for 3.14 (also $HARNESS_PY314_SOURCE)",
    )

    p = sub.add_parser("run", help="run workloads under interpreters; write pyperf suites")
    p.add_argument("--interpreter", "-i", action="append", metavar="ID", help="repeatable")
    p.add_argument("--workload", "-w", action="append", metavar="NAME", help="repeatable")
    p.add_argument(
        "--workloads", action="append", metavar="DIR",
        help="your workloads folder (repeatable): runs its workloads, with their REQUIRES "
        "installed per interpreter; -w NAME chooses among them and the built-in ones",
    )
    p.add_argument("--output", "-o", default="results", metavar="DIR")
    p.add_argument("--threads", metavar="N,N,...", help="thread counts (default: 1,2,4.. 2xCPUs)")
    p.add_argument("--cpus", metavar="N,...,all",
                   help="core counts: each worker pinned to N cores, 'all' unpinned; e.g. "
                   "1,all measures everything twice (default: all)")
    group = p.add_mutually_exclusive_group()
    group.add_argument("--fast", action="store_true", help="quick smoke profile")
    group.add_argument("--rigorous", action="store_true", help="more processes and values")
    p.add_argument("--timeout", type=_bounded("seconds", 0.0, MAX_TIMEOUT, "--timeout 120"),
                   metavar="SECONDS", help=f"per worker process (at most {MAX_TIMEOUT:g})")
    p.add_argument("--seed", type=int, metavar="N",
                   help="the seed of the point and round orders (default: a random one; "
                   "recorded in the facts as environment.seed and run.round_seed)")
    p.add_argument("--recalibrate", action="store_true",
                   help="choose every job's loops and work scale afresh, not the ones an "
                   "earlier run on this machine chose (remembered in the cache either way)")
    p.add_argument("--plans-from", metavar="DIR",
                   help="take each job's loops and work scale from the run in DIR (a results "
                   "or published report folder) while the fresh calibration lies near them")

    _warmup_parser(sub)

    _report_parsers(sub)
    _add_compare(sub)

    p = sub.add_parser("publish", help="rewrite reports/index.html and reports/README.md")
    p.add_argument("reports", nargs="?", default="reports", metavar="REPORTS_DIR")
    return parser


def _report_parsers(sub: Any) -> None:
    """``report`` and ``diff``: the options of the two commands that read result files."""
    p = sub.add_parser("report", help="render a report from result files")
    p.add_argument("results", metavar="RESULTS_DIR")
    p.add_argument("--output", "-o", metavar="DIR", help="default: RESULTS_DIR/report")
    p.add_argument("--baseline", metavar="ID", help="interpreter to compare against")
    p.add_argument(
        "--readme",
        metavar="FILE",
        help="also put the headline table and scaling chart in FILE's latest-report block",
    )
    p.add_argument("--allow-partial", action="store_true",
                   help="exit 0 even when some result files are unreadable (they are skipped)")
    p.add_argument("--summary", metavar="FILE", help="also append the headline (verdicts and "
                   "table, Markdown) to FILE, e.g. \"$GITHUB_STEP_SUMMARY\"")
    p.add_argument("--warmup", metavar="DIR", help="the warm-up study's folder (`harness "
                   "warmup -o DIR`; default: RESULTS_DIR/warmup if there)")

    p = sub.add_parser("diff", help="what changed between two runs; optionally a regression gate")
    p.add_argument("old", metavar="OLD", help="results folder or published report folder")
    p.add_argument("new", metavar="NEW", nargs="?",
                   help="results folder or published report folder (not with --between)")
    p.add_argument("--between", nargs=2, metavar=("A", "B"),
                   help="compare two interpreters measured in the same run (OLD is that "
                   "run's results folder): B against A, paired by round")
    p.add_argument("--history", nargs="+", metavar="DIR", default=[],
                   help="earlier runs of OLD's code on the same machine: every interval "
                   "then includes the variation between runs (not with --between)")
    p.add_argument("--output", "-o", metavar="DIR", help="write diff.md and diff.html here")
    p.add_argument("--fail-on-regression", action="store_true",
                   help="exit 1 when a change's whole 95%% interval lies beyond "
                   "--threshold in the bad direction")
    p.add_argument("--threshold", metavar="PCT", help="percent (default 5)",
                   type=_bounded("percent", 0.0, MAX_THRESHOLD, "--threshold 5", zero_ok=True))


def _warmup_parser(sub: Any) -> None:
    """``warmup``: the warm-up study's options."""
    p = sub.add_parser("warmup", help="warm-up study: long in-process series, classified "
                       "(flat, warm-up, slowdown, no steady state)")
    p.add_argument("--interpreter", "-i", action="append", metavar="ID",
                   help="repeatable (default: pypy3.9, pypy3.11, jython2.7 and 3.13 if ready)")
    p.add_argument("--workload", "-w", action="append", metavar="NAME",
                   help="repeatable (default: countdown, counter_lock)")
    p.add_argument("--output", "-o", default="results/warmup", metavar="DIR",
                   help="default results/warmup: where the report looks for it")
    p.add_argument("--iterations", type=int, default=200, metavar="N",
                   help="iterations (pyperf values) per process (default 200)")
    p.add_argument("--processes", type=int, default=5, metavar="N", help="default 5")
    p.add_argument("--min-time", type=_bounded("seconds", 0.0, 10.0, "--min-time 0.01"),
                   default=0.01, metavar="SECONDS",
                   help="each iteration lasts at least this long, cold (default 0.01)")
    p.add_argument("--fast", action="store_true", help="the workloads' smoke sizes")
    p.add_argument("--timeout", type=_bounded("seconds", 0.0, MAX_TIMEOUT, "--timeout 300"),
                   metavar="SECONDS", help="per worker process (default 300)")


def _version() -> str:
    """``--version``: the version, and where the built-in workloads are (inside the package)."""
    return f"gil-harness {__version__} (built-in workloads: {paths.BUILTIN_WORKLOADS.resolve()})"


class _Version(argparse.Action):
    """``--version`` printed as it is (argparse's version action wraps a long path)."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: object, option_string: str | None = None) -> None:
        print(_version())
        parser.exit(0)


def _add_compare(sub: argparse._SubParsersAction) -> None:
    """``compare``: its own options (harness.compare); every other option goes to ``run``."""
    from harness.compare import add_options

    p = sub.add_parser(
        "compare", help="provision what is missing, run, report (what nox -s compare does)",
        epilog="Other options go to the run command: e.g. -i 3.13t, --fast, --workloads DIR. "
        "Results go to results/NAME and the report to reports/NAME, under the current folder.",
    )
    add_options(p)


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    """The namespace of one command line; ``compare`` keeps what it does not know for ``run``."""
    parser = _parser()
    args, rest = parser.parse_known_args(argv)
    if rest and args.command != "compare":
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    args.run_args = rest
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Parse arguments, run one command, and map errors to one line and an exit status.

    SIGTERM and SIGHUP end a command as Ctrl-C does (``harness.procgroup``): the
    children's process groups are killed, containers removed, exit 128 + signal.
    """
    try:
        with procgroup.raise_on_signals():
            return _main(argv)
    except KeyboardInterrupt as exc:  # outside the command (parsing arguments, importing)
        return _interrupted(exc, None)


def _interrupted(exc: KeyboardInterrupt, command: str | None) -> int:
    """The one line of an interrupted command, and its exit status (128 + the signal)."""
    signame = getattr(exc, "signame", "SIGINT")
    kept = ": completed suites are kept" if command == "run" else ""
    with contextlib.suppress(OSError):  # SIGHUP: the terminal may be gone
        print(f"interrupted ({signame}){kept}", file=sys.stderr)
    return 128 + int(getattr(exc, "signum", signal.SIGINT))


def _main(argv: Sequence[str] | None) -> int:
    args = _parse(argv)
    try:
        return _dispatch(args)
    except HarnessError as exc:
        if args.verbose:
            raise
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except OSError as exc:  # a path the user gave or the environment names: no traceback
        if args.verbose:
            raise
        line, code = os_error_line(exc)
        print(f"error: {line}", file=sys.stderr)
        return code
    except KeyboardInterrupt as exc:  # Ctrl-C, SIGTERM, SIGHUP
        return _interrupted(exc, args.command)
    except ModuleNotFoundError as exc:  # a dependency missing from this Python
        if args.verbose or not exc.name or exc.name.split(".")[0] == "harness":
            raise
        print(f"error: {missing_dependency_line(exc.name)}", file=sys.stderr)
        return 2


def missing_dependency_line(module: str) -> str:
    """What to do when a module the project depends on is not installed for this Python."""
    return (f"the module {module.split('.')[0]!r} is not installed for {sys.executable}: "
            "install the project with its dependencies (python3 -m pip install . in the "
            "checkout, or pipx install it), or run it through python3 -m nox -s compare")


def os_error_line(exc: OSError) -> tuple[str, int]:
    """An unexpected ``OSError`` as one line (what, the path, what to do) and an exit status.

    One under the cache folder names the variables that move it (exit 2, as any
    usage error); others say which path and to check it (exit 1).
    """
    what = exc.strerror or str(exc) or type(exc).__name__
    # A rename names its source (a temporary file) first: the target is what was meant.
    target = exc.filename2 if exc.filename2 is not None else exc.filename
    where = str(target) if target is not None else ""
    cache = paths.cache_dir()
    if where and paths.is_inside(where, cache):
        return f"cache folder {cache} cannot be used: {what}: {where} ({paths.CACHE_HINT})", 2
    if where:
        return (f"{what}: {where} (check that path and its permissions; "
                "-v shows where it happened)"), 1
    return f"{what} (-v shows where it happened)", 1


def _check_cache() -> None:
    """``UsageError`` (exit 2) when the cache folder cannot be written: before any work."""
    cache = paths.cache_dir()
    problem = paths.folder_problem(cache)
    if problem:
        raise UsageError(f"cache folder {cache} cannot be used: {problem}", paths.CACHE_HINT)


def _dispatch(args: argparse.Namespace) -> int:
    if args.command in WRITES_CACHE:
        _check_cache()
    # matplotlib's font cache and config go into the harness's cache, not ~/.cache and
    # ~/.config: an installed tool writes only in the current folder and its cache.
    os.environ.setdefault("MPLCONFIGDIR", str(paths.cache_dir() / "matplotlib"))
    # Each command's module is imported when chosen (no cycle to avoid): `interpreters`
    # should not pay for matplotlib, nor `report` for discovery.
    if args.command == "interpreters":
        from harness.interpreters import cmd_interpreters

        return cmd_interpreters(args)
    if args.command == "provision":
        from harness.provision import cmd_provision

        return cmd_provision(args)
    if args.command == "run":
        from harness.runner import cmd_run

        return cmd_run(args)
    if args.command == "warmup":
        from harness.warmup import cmd_warmup

        return cmd_warmup(args)
    if args.command == "report":
        from harness.report import cmd_report

        return cmd_report(args)
    if args.command == "diff":
        from harness.report.diff import cmd_diff

        return cmd_diff(args)
    if args.command == "compare":
        return _compare(args)
    if args.command == "publish":
        from harness.publish import cmd_publish

        return cmd_publish(args)
    raise AssertionError(args.command)


def _compare(args: argparse.Namespace) -> int:
    """``compare``: each step is a command of this parser, run in this process."""
    from harness.compare import cmd_compare
    from harness.interpreters import cmd_interpreters
    from harness.provision import cmd_provision
    from harness.publish import cmd_publish
    from harness.report import cmd_report
    from harness.report.diff import cmd_diff
    from harness.runner import cmd_run

    commands = {"provision": cmd_provision, "interpreters": cmd_interpreters, "run": cmd_run,
                "report": cmd_report, "publish": cmd_publish, "diff": cmd_diff}
    return cmd_compare(args, args.run_args, _parser().parse_args, commands)


if __name__ == "__main__":
    sys.exit(main())
