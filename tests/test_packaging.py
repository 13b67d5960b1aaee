"""The wheel as a user gets it: its contents, twine's check, and a run from an empty folder.

The wheel is installed in a fresh virtual environment in ``tmp_path``, outside
the checkout, with ``--no-deps``: its dependencies (pyperf, matplotlib, scipy)
come from this test's environment through a ``.pth`` line, so the test needs no
index, and the ``harness`` it imports can only be the wheel's (the checkout is
an editable install, whose finder that ``.pth`` line does not load).
"""

from __future__ import annotations

import os
import site
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from harness import __version__

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


def _run(argv: list[str], **kw: object) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(argv, capture_output=True, text=True, timeout=900, check=False,
                          **kw)  # type: ignore[call-overload]
    assert done.returncode == 0, f"{argv}: {done.stdout}\n{done.stderr}"
    return done


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sdist and the wheel, built from the checkout into a temporary folder."""
    out = tmp_path_factory.mktemp("dist")
    _run([sys.executable, "-m", "build", "--sdist", "--wheel", "--outdir", str(out), str(REPO)])
    return out


def _wheel(dist: Path) -> Path:
    return next(dist.glob(f"gil_harness-{__version__}-py3-none-any.whl"))


def test_the_wheel_holds_everything_a_run_reads(dist: Path) -> None:
    names = set(zipfile.ZipFile(_wheel(dist)).namelist())
    wanted = {"harness/worker.py", "harness/probe.py", "harness/report/report.css"}
    for top, inside in (("workloads", "harness/data/workloads"),
                        ("containers", "harness/data/containers")):
        for path in (REPO / top).rglob("*"):
            if path.is_file() and "__pycache__" not in path.parts:
                wanted.add(f"{inside}/{path.relative_to(REPO / top).as_posix()}")
    assert "harness/data/workloads/MANIFEST" in wanted
    assert wanted <= names, sorted(wanted - names)
    assert not [n for n in names if not n.startswith(("harness/", "gil_harness-"))]
    jython = zipfile.ZipFile(_wheel(dist)).getinfo("harness/data/containers/jython/jython")
    assert (jython.external_attr >> 16) & 0o111, "the jython launcher lost its executable bit"


def test_the_sdist_builds_the_same_package(dist: Path) -> None:
    sdist = next(dist.glob(f"gil_harness-{__version__}.tar.gz"))
    with tarfile.open(sdist) as archive:
        names = archive.getnames()
    assert f"gil_harness-{__version__}/harness/data/workloads/MANIFEST" in names
    assert f"gil_harness-{__version__}/harness/data/containers/sid/Containerfile" in names


def test_twine_check_passes(dist: Path) -> None:
    done = _run([sys.executable, "-m", "twine", "check", "--strict", *map(str, dist.iterdir())])
    assert done.stdout.count("PASSED") == 2, done.stdout


def _snapshot(folder: Path) -> dict[str, float]:
    return {str(p): p.stat().st_mtime for p in folder.rglob("*") if not p.is_symlink()}


def test_installed_tool_runs_from_an_empty_folder(dist: Path, tmp_path: Path) -> None:
    """interpreters, run --fast (built-in and a user folder), report, compare: all under the
    folder; outside it only the cache is written (an empty home and TMPDIR stay empty)."""
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", str(venv)])
    vpy = venv / "bin" / "python"
    _run([str(vpy), "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(_wheel(dist))])
    purelib = _run([str(vpy), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"])
    (Path(purelib.stdout.strip()) / "deps.pth").write_text(
        "\n".join(site.getsitepackages()) + "\n")
    user = tmp_path / "mine"
    user.mkdir()
    (user / "spin.py").write_text(
        '"""A user workload."""\nPARAMS = {"n": 20000}\nFAST_PARAMS = {"n": 2000}\n'
        "def points(thread_counts, params):\n    return [('threads=1', {})]\n"
        "def supported():\n    return None\n"
        "def run(point, params):\n    n = params['n']\n    while n:\n        n -= 1\n")
    work = tmp_path / "work"
    work.mkdir()
    # A home, a temporary folder and a cache of its own, empty: what the tool writes outside
    # the working folder must land in the cache (checked at the end), nowhere else.
    home, tmp, cache = tmp_path / "home", tmp_path / "tmp", tmp_path / "cache"
    for folder in (home, tmp, cache):
        folder.mkdir()
    env = {k: v for k, v in os.environ.items()
           if k not in ("HARNESS_WORKLOADS", "PYTHONPATH", "VIRTUAL_ENV", "XDG_CACHE_HOME",
                        "XDG_CONFIG_HOME", "XDG_DATA_HOME", "MPLCONFIGDIR")}
    env.update(HOME=str(home), TMPDIR=str(tmp), HARNESS_CACHE_DIR=str(cache),
               PYENV_ROOT=os.environ.get("PYENV_ROOT", str(Path.home() / ".pyenv")))
    tool = str(venv / "bin" / "gil-harness")
    version = _run([tool, "--version"], cwd=work, env=env).stdout
    assert f"gil-harness {__version__}" in version
    assert str(venv) in version and str(REPO) not in version  # the wheel's workloads
    ready = _run([tool, "interpreters", "--ready", "--ids"], cwd=work, env=env).stdout.split()
    mine = f"{sys.version_info[0]}.{sys.version_info[1]}"
    if mine not in ready:
        pytest.skip(f"this Python's id {mine} is not a ready interpreter here")
    before = _snapshot(venv), _snapshot(user), _snapshot(REPO / "harness")
    _run([tool, "run", "--fast", "-i", mine, "-w", "countdown"], cwd=work, env=env)
    _run([tool, "run", "--fast", "-i", mine, "--workloads", str(user), "-w", "spin",
          "-o", "mine"], cwd=work, env=env)
    _run([tool, "report", "results"], cwd=work, env=env)
    assert (work / "results" / f"{mine}.json").is_file()
    assert (work / "mine" / f"{mine}.json").is_file()
    assert (work / "results" / "report" / "index.html").is_file()
    # The whole path in one command: compare (nothing to provision: --no-provision).
    _run([tool, "compare", "--no-provision", "--fast", "-i", mine, "-w", "countdown",
          "--name", "one"], cwd=work, env=env)
    assert (work / "reports" / "one" / "index.html").is_file()
    assert {p.name for p in work.iterdir()} == {"results", "mine", "reports"}
    assert (_snapshot(venv), _snapshot(user), _snapshot(REPO / "harness")) == before
    assert not list(home.rglob("*")), sorted(map(str, home.rglob("*")))
    assert not list(tmp.iterdir()), sorted(map(str, tmp.iterdir()))
    facts = (work / "results" / f"{mine}.facts.json").read_text()
    assert f'"harness_version": "{__version__}"' in facts
