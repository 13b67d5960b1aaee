"""``gil-harness compare``: provision what is missing, run, render the report, in one command.

What ``nox -s compare`` does, without nox, so that ``pipx install gil-harness &&
gil-harness compare`` is a complete path (the nox session calls this). The
folders are relative to the current folder: ``results/<name>`` and
``reports/<name>``, ``<name>`` being the date and the machine by default.
Each step is the command of the same name, parsed by the one command-line
parser (``harness.__main__`` passes its ``parse``), so every ``run`` option
works here and a mistake in one is found before anything is provisioned.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from harness import affinity
from harness.errors import UsageError
from harness.profiles import parse_threads

# Parses one harness command line ("run", "--fast", ...) into its namespace.
Parse = Callable[[Sequence[str]], argparse.Namespace]
# The options compare chooses itself: the run's are its own to name.
OWN_OUTPUT = ("-o", "--output")


def add_options(parser: argparse.ArgumentParser) -> None:
    """The options of ``compare`` (``nox -s compare --`` takes the same ones)."""
    parser.add_argument("--no-provision", action="store_true", help="use only what is ready")
    parser.add_argument("--name", help="folder name under results/ and reports/ "
                        "(default: the date and the machine)")
    parser.add_argument(
        "--publish", action="store_true",
        help="also put the headline table and chart in README.md's latest-report block, "
        "and rewrite reports/index.html and reports/README.md (the publish command)",
    )
    parser.add_argument(
        "--against", metavar="DIR",
        help="measure with the plans (loops, work scale) of the run in DIR, then diff against "
        "it (e.g. reports/<name>); fail on a regression",
    )
    parser.add_argument("--threshold", metavar="PCT", help="the diff's threshold (default 5)")


def machine_name() -> str:
    """A folder name that says where a report was measured: OS, CPU count, architecture."""
    osname = "linux"
    try:
        fields = dict(
            line.split("=", 1)
            for line in Path("/etc/os-release").read_text().splitlines()
            if "=" in line
        )
        osname = fields.get("ID", "linux").strip('"') + fields.get("VERSION_ID", "").strip('"')
    except OSError:
        osname = platform.system().lower()
    return f"{osname}-{os.cpu_count()}cpu-{platform.machine()}"


def _plans(args: argparse.Namespace, run_args: Sequence[str]) -> list[str]:
    """``--against DIR``: the run measures with DIR's plans (loops, work scale), unless the
    run's own options say otherwise (``--plans-from``, ``--recalibrate``)."""
    own = any(a in ("--recalibrate", "--plans-from") or a.startswith("--plans-from=")
              for a in run_args)
    return ["--plans-from", args.against] if args.against and not own else []


def _steps(args: argparse.Namespace, run_args: Sequence[str],
           parse: Parse) -> dict[str, argparse.Namespace]:
    """Every step's namespace, parsed before any of them runs (a typo costs nothing)."""
    given = [a for a in run_args if a in OWN_OUTPUT or a.startswith("--output=")]
    if given:
        raise UsageError(f"compare chooses the results folder itself ({given[0]} given)",
                         "use --name NAME: results/NAME and reports/NAME")
    if args.against and not Path(args.against).is_dir():
        raise UsageError(f"--against {args.against}: no such folder",
                         "give a results folder or a published report folder")
    name = args.name or f"{datetime.date.today().isoformat()}-{machine_name()}"
    if not name or "/" in name or name in (".", ".."):
        raise UsageError(f"--name {name!r} is not a folder name", "e.g. --name my-laptop")
    # Relative to the current folder: the command recorded in the results, which
    # the report shows as the way to reproduce them, stays portable.
    results, report = Path("results") / name, Path("reports") / name
    readme = ["--readme", "README.md"] if args.publish else []
    steps = {
        "provision": parse(["provision"]),
        "interpreters": parse(["interpreters"]),
        "run": parse(["run", *run_args, *_plans(args, run_args), "--output", str(results)]),
        "report": parse(["report", str(results), "--output", str(report), *readme]),
    }
    parse_threads(steps["run"].threads)  # checked by run itself too, but only after provisioning
    affinity.parse_cpus(steps["run"].cpus)
    if args.publish:
        steps["publish"] = parse(["publish", "reports"])
    if args.against:
        threshold = ["--threshold", args.threshold] if args.threshold else []
        steps["diff"] = parse(["diff", args.against, str(results), "--output",
                               str(results / "diff"), "--fail-on-regression", *threshold])
    return steps


def cmd_compare(args: argparse.Namespace, run_args: Sequence[str], parse: Parse,
                commands: Mapping[str, Callable[[argparse.Namespace], int]]) -> int:
    """Provision (unless ``--no-provision``), list, run, report, then publish and diff if asked.

    ``commands`` maps a step's name to its ``cmd_*`` function. A run where some
    points failed (exit 1) is still reported, and the command then exits 1; any
    other failing step stops here with its status.
    """
    steps = _steps(args, run_args, parse)
    order = ["interpreters", "run", "report", "publish", "diff"]
    if not args.no_provision:
        order.insert(0, "provision")
    failed_points = False
    for step in order:
        if step not in steps:
            continue
        print(f"== compare: {step}", file=sys.stderr, flush=True)
        status = commands[step](steps[step])
        if step == "run" and status == 1:
            failed_points = True  # the rest are kept: render them
        elif status != 0:
            return status
        if step == "report":
            report = Path(steps["report"].output).resolve()
            print(f"compare: open {report / 'index.html'} (README.md beside it)")
    if failed_points:
        print("error: some points failed; the report's last section says which and why",
              file=sys.stderr)
        return 1
    return 0
