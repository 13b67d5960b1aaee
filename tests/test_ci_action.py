"""The GitHub Action (``action.yml``): the README's caller snippet, and the action's own steps.

The snippet is parsed and checked against the action's inputs (and by actionlint
when the lint extra is installed). The action's shell steps are run here as a
runner would run them, in order, with ``GITHUB_OUTPUT``, ``GITHUB_STEP_SUMMARY``
and ``RUNNER_TEMP`` files of the test's: on a user folder and a real
interpreter, then again with that run as the baseline (the gate). The steps
that are other actions (setup-python, upload-artifact) are GitHub's; the
install step is the packaging test's business (the tool here is this
environment's).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
ACTION = yaml.safe_load((REPO / "action.yml").read_text())
# What an interpreter input may hold: setup-python versions, "+gil" after a free-threaded one.
ID = re.compile(r"^(\d+\.\d+t?|\d+\.\d+t\+gil|pypy\d+\.\d+)$")


def readme_snippet() -> str:
    """The first YAML block of the README's "Your library's CI" section."""
    text = (REPO / "README.md").read_text()
    section = text[text.index("### Your library's CI"):]
    match = re.search(r"```yaml\n(.*?)```", section, re.S)
    assert match, "no ```yaml block in the README's 'Your library's CI'"
    return match.group(1)


def action_steps(workflow: dict[str, Any], uses: re.Pattern[str]) -> list[dict[str, Any]]:
    return [step for job in workflow["jobs"].values() for step in job["steps"]
            if uses.match(str(step.get("uses", "")))]


def check_inputs(given: dict[str, Any]) -> None:
    inputs = ACTION["inputs"]
    assert set(given) <= set(inputs), sorted(set(given) - set(inputs))
    required = {name for name, spec in inputs.items() if spec.get("required")}
    assert required <= set(given), sorted(required - set(given))
    for ident in str(given.get("interpreters", inputs["interpreters"]["default"])).split():
        assert ID.match(ident), ident
    assert str(given.get("profile", "default")) in ("fast", "default", "rigorous")


def test_the_readmes_snippet_calls_this_action_with_its_inputs() -> None:
    workflow = yaml.safe_load(readme_snippet())
    steps = action_steps(workflow, re.compile(r"^[\w.-]+/gil-harness@[\w.-]+$"))
    assert len(steps) == 1, "the snippet must use OWNER/gil-harness@REF once"
    check_inputs(steps[0]["with"])
    assert "actions/checkout" in str(workflow["jobs"]["threads"]["steps"][0]["uses"])
    assert len(readme_snippet().strip().splitlines()) <= 14  # a few lines, as promised


def test_this_repositorys_own_use_of_the_action_fits_its_inputs() -> None:
    workflow = yaml.safe_load((REPO / ".github" / "workflows" / "tests.yml").read_text())
    steps = action_steps(workflow, re.compile(r"^\./$"))
    assert len(steps) == 1
    check_inputs(steps[0]["with"])
    assert ACTION["runs"]["using"] == "composite"


def test_the_snippet_and_the_workflows_pass_actionlint(tmp_path: Path) -> None:
    actionlint = shutil.which("actionlint") or shutil.which(
        "actionlint", path=str(Path(sys.executable).parent))
    if actionlint is None:
        pytest.skip("actionlint is not installed (pip install -e '.[test]' brings it)")
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "threads.yml").write_text(readme_snippet())
    done = subprocess.run([actionlint, "-no-color", str(workflows / "threads.yml")],
                          cwd=tmp_path, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    # The repository's own workflows: `uses: ./` makes actionlint check action.yml's inputs.
    done = subprocess.run([actionlint, "-no-color"], cwd=REPO, capture_output=True, text=True,
                          check=False)
    assert done.returncode == 0, done.stdout + done.stderr


# ---------------------------------------------------------------- the steps, run here

# How GitHub runs a composite action's ``shell: bash`` step.
GITHUB_BASH = ("bash", "--noprofile", "--norc", "-eo", "pipefail", "-c")
EXPR = re.compile(r"\$\{\{\s*([^}]*?)\s*\}\}")


class Runner:
    """Runs the action's ``run:`` steps as GitHub would: env from expressions, outputs kept."""

    def __init__(self, tmp: Path, inputs: dict[str, str], tool: str) -> None:
        defaults = {k: str(v.get("default", "")) for k, v in ACTION["inputs"].items()}
        self.inputs = {**defaults, **inputs}
        self.tmp = tmp
        self.summary = tmp / "summary.md"
        self.outputs: dict[str, dict[str, str]] = {
            "host": {"python-path": sys.executable}, "install": {"tool": tool}}
        self.failed = False

    def value(self, expr: str) -> str:
        if expr == "github.action_path":
            return str(REPO)
        kind, _, rest = expr.partition(".")
        if kind == "inputs":
            return self.inputs[rest]
        if kind == "steps":
            step, _, output = rest.partition(".outputs.")
            return self.outputs.get(step, {}).get(output, "")
        raise AssertionError(f"an expression this test does not know: {expr}")

    def condition(self, text: str) -> bool:
        if text in ("always()",):
            return True
        left, op, right = re.split(r"\s*(==|!=)\s*", text)
        same = self.value(left) == right.strip("'")
        return same if op == "==" else not same

    def run(self, cwd: Path) -> dict[str, int]:
        """Every ``run`` step in order; their exit statuses by id (or name)."""
        statuses: dict[str, int] = {}
        for step in ACTION["runs"]["steps"]:
            if "run" not in step or step.get("id") == "install":
                continue
            if "if" in step and not self.condition(step["if"]):
                continue
            if self.failed and step.get("if") != "always()":
                continue
            out = self.tmp / f"output-{len(statuses)}"
            out.write_text("")
            env = {k: v for k, v in os.environ.items()
                   if not k.startswith(("GITHUB_", "HARNESS_", "RUNNER_"))}
            env.update({"HARNESS_CACHE_DIR": str(self.tmp / "cache"),
                   "GITHUB_OUTPUT": str(out), "GITHUB_STEP_SUMMARY": str(self.summary),
                   "RUNNER_TEMP": str(self.tmp)})
            env.update({k: EXPR.sub(lambda m: self.value(m.group(1)), str(v))
                        for k, v in step.get("env", {}).items()})
            done = subprocess.run([*GITHUB_BASH, step["run"]], cwd=cwd, env=env,
                                  capture_output=True, text=True, timeout=600, check=False)
            key = step.get("id") or step["name"]
            statuses[key] = done.returncode
            self.outputs[key] = self._outputs(out.read_text())
            if done.returncode != 0:
                self.failed = True
                self.outputs[key]["stderr"] = done.stdout + done.stderr
        return statuses

    @staticmethod
    def _outputs(text: str) -> dict[str, str]:
        found: dict[str, str] = {}
        lines = iter(text.splitlines())
        for line in lines:
            name, sep, value = line.partition("=")
            if sep:
                found[name] = value
            elif "<<" in line:
                name, _, end = line.partition("<<")
                found[name] = "\n".join(iter(lambda: next(lines), end))
        return found


USER_WORKLOAD = (
    '"""A user workload."""\nPARAMS = {"n": 20000}\nFAST_PARAMS = {"n": 2000}\n'
    "def points(thread_counts, params):\n"
    "    return [('threads=%d' % t, {'threads': t}) for t in thread_counts]\n"
    "def supported():\n    return None\n"
    "def run(point, params):\n    n = params['n']\n    while n:\n        n -= 1\n")


@pytest.mark.slow
def test_the_actions_steps_run_report_summarise_and_gate(tmp_path: Path) -> None:
    tool = Path(sys.executable).parent / "gil-harness"
    mine = f"{sys.version_info[0]}.{sys.version_info[1]}"
    ready = subprocess.run([str(tool), "interpreters", "--ready", "--ids"], capture_output=True,
                           text=True, check=True).stdout.split()
    if mine not in ready:
        pytest.skip(f"this Python's id {mine} is not a ready interpreter here")
    work = tmp_path / "repo"
    (work / "bench").mkdir(parents=True)
    (work / "bench" / "spin.py").write_text(USER_WORKLOAD)
    first = Runner(tmp_path, {"workloads": "bench", "interpreters": mine, "profile": "fast",
                              "output": "out"}, str(tool))
    statuses = first.run(work)
    assert statuses == {"versions": 0, "run": 0}, first.outputs
    assert first.outputs["versions"]["list"] == mine
    assert first.outputs["run"]["report"] == "out/report"
    assert (work / "out" / "results" / f"{mine}.json").is_file()
    assert (work / "out" / "report" / "index.html").is_file()
    summary = first.summary.read_text()
    assert summary.startswith("### ") and "![" not in summary  # no chart: no files beside it
    table = [line for line in summary.splitlines() if line.startswith("|")]
    assert table, summary
    readme = (work / "out" / "report" / "README.md").read_text()
    assert "\n".join(table) in readme  # the report's own headline table

    # Again, with the first run kept as the baseline: the gate runs and says what it found.
    shutil.move(work / "out" / "results", work / "bench-baseline")
    shutil.rmtree(work / "out")
    second = Runner(tmp_path / "second", {"workloads": "bench", "interpreters": mine,
                                          "profile": "fast", "output": "out",
                                          "baseline": "bench-baseline"}, str(tool))
    (tmp_path / "second").mkdir()
    statuses = second.run(work)
    assert statuses["gate"] == 0, second.outputs
    facts = json.loads((work / "out" / "results" / f"{mine}.facts.json").read_text())
    plan = facts["work"]["spin"]["calibration"]  # the baseline's plan (run --plans-from)
    assert "bench-baseline" in (plan.get("from"), plan.get("replaced")), plan
    regressions = second.outputs["gate"]["regressions"]
    assert regressions in ("true", "false")
    assert ("Fail on a regression" in statuses) == (regressions == "true")
    assert (work / "out" / "report" / "diff" / "diff.md").is_file()
    assert second.summary.read_text().count("### ") >= 1
    assert len(second.summary.read_text()) > len(summary)  # the diff was appended


def test_an_unknown_profile_is_one_line_and_exit_2(tmp_path: Path) -> None:
    runner = Runner(tmp_path, {"workloads": "bench", "profile": "quick"}, "false")
    statuses = runner.run(tmp_path)
    assert statuses["run"] == 2
    assert "profile: 'quick' is not fast, default or rigorous" in runner.outputs["run"]["stderr"]
