"""``gil-harness compare``: the steps, their order and options, and one real run."""

from __future__ import annotations

import argparse
import ast
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from harness import __main__ as cli
from harness.compare import cmd_compare
from harness.errors import UsageError

REPO = Path(__file__).resolve().parents[1]


class Steps:
    """Fake ``cmd_*`` functions: record each step's namespace, answer a chosen status."""

    def __init__(self, **status: int) -> None:
        self.status = status
        self.calls: list[tuple[str, argparse.Namespace]] = []

    def command(self, name: str) -> Callable[[argparse.Namespace], int]:
        def run(ns: argparse.Namespace) -> int:
            self.calls.append((name, ns))
            return self.status.get(name, 0)
        return run

    def mapping(self) -> dict[str, Callable[[argparse.Namespace], int]]:
        names = ("provision", "interpreters", "run", "report", "publish", "diff")
        return {n: self.command(n) for n in names}

    @property
    def names(self) -> list[str]:
        return [n for n, _ in self.calls]

    def of(self, name: str) -> argparse.Namespace:
        return next(ns for n, ns in self.calls if n == name)


def _compare(argv: list[str], steps: Steps) -> int:
    args = cli._parse(["compare", *argv])
    return cmd_compare(args, args.run_args, cli._parser().parse_args,
                       steps.mapping())


def test_compare_provisions_lists_runs_and_reports_in_that_order(tmp_path: Path) -> None:
    steps = Steps()
    against = tmp_path / "kept"
    against.mkdir()
    code = _compare(["--name", "n1", "--fast", "-i", "3.13t", "-w", "countdown",
                     "--against", str(against), "--threshold", "3", "--publish"], steps)
    assert code == 0
    assert steps.names == ["provision", "interpreters", "run", "report", "publish", "diff"]
    run = steps.of("run")
    assert (run.fast, run.interpreter, run.workload) == (True, ["3.13t"], ["countdown"])
    assert Path(run.output) == Path("results") / "n1"
    report = steps.of("report")
    assert (Path(report.results), Path(report.output)) == (Path("results/n1"), Path("reports/n1"))
    assert report.readme == "README.md"  # --publish: README.md's latest-report block
    diff = steps.of("diff")
    assert (diff.old, Path(diff.new), diff.fail_on_regression, diff.threshold) == (
        str(against), Path("results/n1"), True, 3.0)
    assert run.plans_from == str(against)  # measured with the plans it is gated against


@pytest.mark.parametrize("own", [["--recalibrate"], ["--plans-from", "elsewhere"]])
def test_the_runs_own_plan_option_wins_over_against(tmp_path: Path, own: list[str]) -> None:
    steps = Steps()
    _compare(["--no-provision", "--name", "n", "--against", str(tmp_path), *own], steps)
    run = steps.of("run")
    assert run.plans_from == ("elsewhere" if "--plans-from" in own else None)
    assert run.recalibrate == ("--recalibrate" in own)


def test_no_provision_skips_only_provisioning() -> None:
    steps = Steps()
    assert _compare(["--no-provision", "--name", "n"], steps) == 0
    assert steps.names == ["interpreters", "run", "report"]


def test_the_default_name_is_the_date_and_the_machine() -> None:
    steps = Steps()
    _compare(["--no-provision"], steps)
    name = Path(steps.of("run").output).name
    assert name.startswith(f"{__import__('datetime').date.today().isoformat()}-")
    assert f"-{os.cpu_count()}cpu-" in name


def test_failed_points_are_still_reported_then_exit_1(capsys: pytest.CaptureFixture[str]) -> None:
    steps = Steps(run=1)
    assert _compare(["--no-provision", "--name", "n"], steps) == 1
    assert steps.names == ["interpreters", "run", "report"]
    assert "some points failed" in capsys.readouterr().err


@pytest.mark.parametrize("step", ["provision", "run", "report"])
def test_any_other_failure_stops_there_with_its_status(step: str) -> None:
    steps = Steps(**{step: 2})
    assert _compare(["--name", "n", "--publish"], steps) == 2
    assert steps.names[-1] == step


@pytest.mark.parametrize("argv, words", [
    (["-o", "x"], "chooses the results folder itself"),
    (["--output=x"], "chooses the results folder itself"),
    (["--against", "/nonexistent/kept"], "no such folder"),
    (["--name", "a/b"], "not a folder name"),
    (["--threads", "x"], "not a positive integer"),
])
def test_bad_options_are_refused_before_any_step(argv: list[str], words: str) -> None:
    steps = Steps()
    with pytest.raises(UsageError, match=words):
        _compare(argv, steps)
    assert steps.calls == []


def test_run_options_mistyped_fail_at_once() -> None:
    """An unknown option is the run parser's one line (exit 2), before anything runs."""
    steps = Steps()
    with pytest.raises(SystemExit) as exc:
        _compare(["--fsat"], steps)
    assert exc.value.code == 2 and steps.calls == []


def test_other_commands_still_refuse_unknown_options(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        cli._parse(["run", "--bogus"])
    assert exc.value.code == 2
    assert "unrecognized arguments: --bogus" in capsys.readouterr().err


def test_the_nox_session_calls_compare() -> None:
    """``nox -s compare`` is a thin call of ``python -m harness compare`` with its posargs."""
    tree = ast.parse((REPO / "noxfile.py").read_text())
    session = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "compare")
    calls = [ast.unparse(c) for c in ast.walk(session) if isinstance(c, ast.Call)]
    assert ("session.run('python', '-m', 'harness', 'compare', *session.posargs)" in calls)


def test_version_says_where_the_builtin_workloads_are() -> None:
    done = subprocess.run([sys.executable, "-m", "harness", "--version"], capture_output=True,
                          text=True, check=True, timeout=60)
    from harness import __version__, paths

    assert done.stdout.startswith(f"gil-harness {__version__} ")
    folder = done.stdout.split("built-in workloads: ", 1)[1].rstrip(")\n")
    assert (Path(folder) / "MANIFEST").is_file()
    assert Path(folder) == paths.BUILTIN_WORKLOADS.resolve()


@pytest.mark.slow
def test_a_real_compare_writes_results_and_report_under_the_current_folder(
        tmp_path: Path) -> None:
    """The host interpreter, --fast, one workload: results/NAME and reports/NAME, nothing else."""
    env = {k: v for k, v in os.environ.items() if k != "HARNESS_WORKLOADS"}
    env["PYTHONPATH"] = str(REPO)
    host = json.loads(subprocess.run(
        [sys.executable, "-m", "harness", "interpreters", "--json", "--ready"],
        capture_output=True, text=True, check=True, env=env, timeout=300).stdout)
    local = [e["id"] for e in host if e["source"] != "container"
             and e["implementation"] == "cpython" and e["version"].startswith("3.")]
    if not local:
        pytest.skip("no local CPython 3 is ready (python -m harness interpreters)")
    mine = f"{sys.version_info[0]}.{sys.version_info[1]}"
    local.sort(key=lambda ident: ident != mine)  # this Python's own id first
    done = subprocess.run(
        [sys.executable, "-m", "harness", "compare", "--no-provision", "--fast", "-i", local[0],
         "-w", "countdown", "--name", "t"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900, check=False)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "results" / "t" / f"{local[0]}.json").is_file()
    assert (tmp_path / "reports" / "t" / "index.html").is_file()
    assert {p.name for p in tmp_path.iterdir()} == {"results", "reports"}
    assert f"compare: open {tmp_path / 'reports' / 't' / 'index.html'}" in done.stdout
