"""Check that the worker, the probe and every workload compile as Python 2.7.

They run inside Jython 2.7 and CPython 2.7, so a Python-3-only construct there
breaks a whole column of the comparison. ``python -m harness.lint27`` compiles
them with a real 2.7 interpreter (CPython 2.7 or Jython) found by discovery.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from harness import paths
from harness.errors import HarnessError
from harness.interpreters import discover

# Compile each file given on the command line; print "path: error" for each failure.
_CHECK = """
import sys
bad = 0
for path in sys.argv[1:]:
    try:
        compile(open(path).read(), path, "exec")
    except SyntaxError as exc:
        bad += 1
        sys.stderr.write("%s:%s: %s\\n" % (path, exc.lineno, exc.msg))
sys.exit(1 if bad else 0)
"""


def files_to_check() -> list[Path]:
    """The 2.7-compatible files: worker, probe, the workloads and the tests' fake workloads."""
    files = [paths.WORKER_SCRIPT, paths.PROBE_SCRIPT]
    files += sorted(paths.workloads_dir().glob("*.py"))
    checkout = paths.checkout_root()
    if checkout is not None:  # a clone: the tests' fake workloads too
        files += sorted((checkout / "tests" / "fake_workloads").glob("*.py"))
    return [f for f in files if f.exists()]


def python27_argv() -> list[str]:
    """argv of a ready 2.7 interpreter (CPython 2.7 preferred: Jython starts slowly)."""
    ready = {i.id: i for i in discover() if i.ready and i.container is None}
    for key in ("2.7", "jython2.7", "jython2.7-local"):
        if key in ready:
            return list(ready[key].argv)
    raise HarnessError(
        "no Python 2.7 interpreter to check 2.7 syntax with",
        "run 'python -m harness provision jython2.7' or install CPython 2.7",
    )


def main() -> int:
    """Compile every 2.7-compatible file with a 2.7 interpreter; exit 1 on any error."""
    try:
        argv = python27_argv()
    except HarnessError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    files = files_to_check()
    # compile() rather than py_compile: nothing (.pyc, $py.class) is written
    # next to the sources.
    result = subprocess.run([*argv, "-c", _CHECK, *map(str, files)])
    if result.returncode == 0:
        print(f"{len(files)} files compile as Python 2.7 ({argv[0]})")
    return result.returncode


if __name__ == "__main__":
    sys.exit(main())
