"""Entry points: ``nox -s compare`` (the main job), the CI matrix's ``bench``, tests and lint.

Every session runs on the interpreter that runs nox (3.10+); the interpreters
being compared are not nox's business: the harness finds and provisions them,
so nox never looks for, nor downloads, another Python.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import nox

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))

from harness import kinds  # noqa: E402  (the checkout's, whatever runs nox)

nox.options.sessions = ["compare"]
# The compared interpreters are provisioned by the harness, never by nox: a
# missing one is the harness's to report, and nox must not download Pythons.
nox.options.error_on_missing_interpreters = False
nox.options.download_python = "never"
nox.options.reuse_venv = "yes"

# One CI matrix job per id: ``nox -s "bench(3.13t)"``, or a family: ``nox -t free-threaded``.
# The ids and their families are rows of harness.kinds (stdlib only, read from the checkout).
BENCH_IDS = kinds.bench_ids()

# Debian packages the tests need beyond the interpreters (the browser test).
TEST_APT_PACKAGES = ["chromium", "chromium-driver"]


def _install(session: nox.Session, *extras: str) -> None:
    """Install the harness (editable: the worker and workloads stay in the checkout)."""
    spec = f".[{','.join(extras)}]" if extras else "."
    session.install("-e", spec)


# The harness's own apt step (checks first, root and Debian only); elsewhere a
# warning that says what to install, and the browser test skips with its reason.
_APT_INSTALL = """
import sys
from harness.errors import Unavailable
from harness.provision.apt import apt_install
try:
    apt_install(sys.argv[1:], "the browser test", print)
except Unavailable as exc:
    print(f"warning: {exc}")
"""


def _apt_install(session: nox.Session, packages: list[str]) -> None:
    """Install the Debian packages that are missing, through the installed harness."""
    session.run("python", "-c", _APT_INSTALL, *packages)


@nox.session
def compare(session: nox.Session) -> None:
    """Provision, run every ready interpreter over the default workloads, render reports/."""
    # `gil-harness compare` (harness/compare.py) does it all; its --help lists the options.
    _install(session)
    session.run("python", "-m", "harness", "compare", *session.posargs)


@nox.session
def provision(session: nox.Session) -> None:
    """Install or build the interpreters that are missing (ids as arguments; default all)."""
    _install(session)
    session.run("python", "-m", "harness", "provision", *session.posargs)


@nox.session
def interpreters(session: nox.Session) -> None:
    """List every interpreter the harness knows, with its GIL state and status."""
    _install(session)
    session.run("python", "-m", "harness", "interpreters", *session.posargs)


@nox.session
@nox.parametrize(
    "interpreter",
    [nox.param(i, id=i, tags=[family]) for i, family in BENCH_IDS.items()],
)
def bench(session: nox.Session, interpreter: str) -> None:
    """Run one interpreter over the workloads into results/ci (one CI matrix job)."""
    _install(session)
    if "--no-provision" not in session.posargs:
        session.run("python", "-m", "harness", "provision", interpreter)
    args = [a for a in session.posargs if a != "--no-provision"]
    session.run(
        "python", "-m", "harness", "run", "--interpreter", interpreter,
        "--output", str(Path("results") / "ci"), *args,
    )


@nox.session
def report(session: nox.Session) -> None:
    """Render a report from existing result files: RESULTS_DIR [--output DIR]."""
    _install(session)
    args = session.posargs or [str(Path("results") / "ci"), "--output", "report"]
    session.run("python", "-m", "harness", "report", *args)


@nox.session
def tests(session: nox.Session) -> None:
    """Provision the interpreters and the browser, then run the test suite."""
    _install(session, "test")
    _apt_install(session, TEST_APT_PACKAGES)
    if os.environ.get("HARNESS_NO_PROVISION") != "1":
        session.run("python", "-m", "harness", "provision")
    session.run("python", "-m", "harness", "interpreters")
    session.run("python", "-m", "pytest", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff, mypy and the import map on host code, a 2.7-syntax check of the workers, actionlint."""
    _install(session, "lint")
    session.run("ruff", "check", ".")
    session.run("mypy")
    session.run("lint-imports")
    session.run("python", "-m", "harness.lint27")
    session.run("actionlint")
