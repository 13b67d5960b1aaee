"""The 2.7-syntax check of the lint session: the worker, the probe and the workloads."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from harness import lint27

ROOT = Path(__file__).resolve().parents[1]


def _has_27() -> bool:
    try:
        lint27.python27_argv()
    except Exception:
        return False
    return True


# CI provisions Jython (a 2.7) and this machine's pyenv has CPython 2.7: the
# skip only applies where neither exists, and says so.
pytestmark = pytest.mark.skipif(
    not _has_27(), reason="no Python 2.7 (CPython 2.7 or jython) to compile with"
)


def _lint(env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "harness.lint27"],
        capture_output=True, text=True, cwd=ROOT, env=env, timeout=120,
    )


def test_sources_compile_as_python27() -> None:
    result = _lint()
    assert result.returncode == 0, result.stderr
    files = lint27.files_to_check()
    assert f"{len(files)} files compile as Python 2.7" in result.stdout
    names = {f.name for f in files}
    assert {"worker.py", "probe.py", "countdown.py", "switch_latency.py"} <= names


def test_python3_only_syntax_fails_with_the_file_named(tmp_path: Path) -> None:
    shutil.copy(ROOT / "workloads" / "countdown.py", tmp_path / "countdown.py")
    (tmp_path / "modern.py").write_text("def f(x):\n    return f'{x}'\n")
    env = {**os.environ, "HARNESS_WORKLOADS": str(tmp_path)}
    result = _lint(env)
    assert result.returncode == 1
    assert "modern.py:2" in result.stderr
    assert "countdown.py" not in result.stderr
    # Nothing is written beside the sources (no .pyc, no $py.class).
    assert sorted(p.name for p in tmp_path.iterdir()) == ["countdown.py", "modern.py"]
