"""Command line: ``python -m harness {interpreters,provision,run,report}``.

Only argument parsing lives here; each command is a ``cmd_*`` function in the
module that owns it and returns an exit status.
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
from collections.abc import Sequence

from harness import procgroup
from harness.errors import HarnessError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m harness",
        description="Measure how Python interpreters handle threads; pyperf collects the results.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="show tracebacks")
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
    p.add_argument("--output", "-o", default="results", metavar="DIR")
    p.add_argument("--threads", metavar="N,N,...", help="thread counts (default: 1,2,4.. 2xCPUs)")
    group = p.add_mutually_exclusive_group()
    group.add_argument("--fast", action="store_true", help="quick smoke profile")
    group.add_argument("--rigorous", action="store_true", help="more processes and values")
    p.add_argument("--timeout", type=float, metavar="SECONDS", help="per worker process")

    p = sub.add_parser("report", help="render a report from result files")
    p.add_argument("results", metavar="RESULTS_DIR")
    p.add_argument("--output", "-o", metavar="DIR", help="default: RESULTS_DIR/report")
    p.add_argument("--baseline", metavar="ID", help="interpreter to compare against")
    p.add_argument(
        "--readme",
        metavar="FILE",
        help="also put the headline table and scaling chart in FILE's latest-report block",
    )

    p = sub.add_parser("diff", help="what changed between two runs; optionally a regression gate")
    p.add_argument("old", metavar="OLD", help="results folder or published report folder")
    p.add_argument("new", metavar="NEW", help="results folder or published report folder")
    p.add_argument("--output", "-o", metavar="DIR", help="write diff.md and diff.html here")
    p.add_argument("--fail-on-regression", action="store_true",
                   help="exit 1 when a change's whole 95%% interval lies beyond "
                   "--threshold in the bad direction")
    p.add_argument("--threshold", type=float, metavar="PCT", help="percent (default 5)")

    p = sub.add_parser("publish", help="rewrite reports/index.html and reports/README.md")
    p.add_argument("reports", nargs="?", default="reports", metavar="REPORTS_DIR")
    return parser


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
    args = _parser().parse_args(argv)
    # Each command's module is imported when chosen (no cycle to avoid): `interpreters`
    # should not pay for matplotlib, nor `report` for discovery.
    try:
        if args.command == "interpreters":
            from harness.interpreters import cmd_interpreters

            return cmd_interpreters(args)
        if args.command == "provision":
            from harness.provision import cmd_provision

            return cmd_provision(args)
        if args.command == "run":
            from harness.runner import cmd_run

            return cmd_run(args)
        if args.command == "report":
            from harness.report import cmd_report

            return cmd_report(args)
        if args.command == "diff":
            from harness.report.diff import cmd_diff

            return cmd_diff(args)
        if args.command == "publish":
            from harness.publish import cmd_publish

            return cmd_publish(args)
    except HarnessError as exc:
        if args.verbose:
            raise
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt as exc:  # Ctrl-C, SIGTERM, SIGHUP
        return _interrupted(exc, args.command)
    raise AssertionError(args.command)


if __name__ == "__main__":
    sys.exit(main())
