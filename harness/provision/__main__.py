"""One provisioning step as a child process: ``python -m harness.provision TARGET``.

``harness provision`` starts one per target when it has several, side by side
(``harness.provision.schedule``); this process's output is that step's log,
its last line says how it ended, and its exit status is the outcome: 0 ready,
1 failed, ``schedule.SKIPPED_EXIT`` when what it provides cannot be had here.
SIGTERM (the parent interrupted) is raised as ``Interrupted``, so the step
removes what it started before it ends.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from harness import procgroup
from harness.errors import Interrupted
from harness.progress import Progress
from harness.provision import TARGETS, run_target
from harness.provision.schedule import SKIPPED_EXIT


def main(argv: Sequence[str] | None = None) -> int:
    """Run one target; its outcome as the exit status."""
    parser = argparse.ArgumentParser(prog="python -m harness.provision")
    parser.add_argument("target", choices=sorted(TARGETS))
    parser.add_argument("--source", metavar="PATH_OR_URL")
    parser.add_argument("--source-3.14", dest="source_314", metavar="PATH_OR_URL")
    parser.add_argument("--explicit", action="store_true",
                        help="asked for by id: what cannot be had here fails")
    args = parser.parse_args(argv)
    try:
        with procgroup.raise_on_signals():
            status, _ = run_target(args.target, args, args.explicit, Progress())
    except Interrupted as exc:
        print(f"{args.target}: interrupted", file=sys.stderr)
        return 128 + exc.signum
    return {"ready": 0, "skipped": SKIPPED_EXIT}.get(status, 1)


if __name__ == "__main__":
    sys.exit(main())
