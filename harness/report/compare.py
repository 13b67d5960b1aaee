"""compare.md: pyperf's own ``compare_to --table`` of the copied suite files, run for real."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pyperf

from harness.report.markdown import md_escape, md_fence
from harness.report.model import InterpreterResults
from harness.results import SUITE_SUFFIX


def compare_command(baseline: str, others: Sequence[str]) -> list[str]:
    """The pyperf command (relative file names: run it inside the report folder)."""
    return ["python", "-m", "pyperf", "compare_to", "--table",
            f"{baseline}{SUITE_SUFFIX}", *(f"{o}{SUITE_SUFFIX}" for o in others)]


def _run_compare(cmd: list[str], cwd: Path) -> tuple[int, str, str]:
    proc = subprocess.run(
        [sys.executable, *cmd[1:]], cwd=cwd, capture_output=True, text=True, timeout=120,
        check=False,
    )
    return proc.returncode, proc.stdout, proc.stderr


def render_compare(
    out_dir: Path, baseline: InterpreterResults | None, others: Sequence[InterpreterResults]
) -> str:
    """compare.md: pyperf compare_to's table, with the exact command above it.

    When pyperf refuses the whole set (no benchmark in common), each interpreter
    is compared with the baseline on its own, one command each.
    """
    head = ["# pyperf compare_to", ""]
    if baseline is None or not others:
        why = ("no interpreter has measurements" if baseline is None else
               f"only {md_escape(baseline.id, False)} was measured: pyperf compare_to needs "
               "two suites")
        return "\n".join(head + [f"Nothing to compare: {why}.", ""])
    head += [
        f"pyperf {pyperf.__version__}'s own comparison of the suite files in this folder, "
        f"against {md_escape(baseline.id, False)}. Run the command below in this folder to "
        "check it (`python` is any interpreter with pyperf installed). pyperf hides rows it "
        "does not find significant, and lists benchmarks not common to every file "
        "as ignored.",
        "",
    ]
    attempts = [[o.id for o in others]]
    body: list[str] = []
    code, stdout, stderr = _run_compare(compare_command(baseline.id, attempts[0]), out_dir)
    if code == 0:
        body += _compare_block(compare_command(baseline.id, attempts[0]), stdout, stderr)
    else:
        body += [
            "The comparison of all files at once failed:", "",
            *_compare_block(compare_command(baseline.id, attempts[0]), stdout, stderr, code),
            "Each interpreter against the baseline instead:", "",
        ]
        for o in others:
            cmd = compare_command(baseline.id, [o.id])
            code, stdout, stderr = _run_compare(cmd, out_dir)
            body += [f"## {md_escape(' '.join(o.id.split()))}", ""]
            body += _compare_block(cmd, stdout, stderr, code)
    return "\n".join(head + body)


def _compare_block(cmd: list[str], stdout: str, stderr: str, code: int = 0) -> list[str]:
    # Fences longer than any run of backticks inside: names from outside stay in the block.
    lines = [*md_fence(" ".join(cmd)), ""]
    if stdout.strip():
        # pyperf's table is reStructuredText-like: a fence keeps it aligned on a code host.
        lines += [*md_fence(stdout.rstrip("\n"), "text"), ""]
    if code != 0:
        lines += [f"(exit status {code})", ""]
    if stderr.strip():
        lines += [*md_fence(stderr.rstrip("\n")), ""]
    return lines
