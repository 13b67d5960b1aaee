"""The entry points users know: nox's session list and its answer to a bad name."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXPECTED = {"compare", "provision", "interpreters", "bench", "report", "tests", "lint"}


def _nox(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "nox", "-f", str(ROOT / "noxfile.py"), *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )


def test_every_session_has_a_one_line_docstring() -> None:
    tree = ast.parse((ROOT / "noxfile.py").read_text())
    sessions = {
        node.name: ast.get_docstring(node)
        for node in tree.body
        if isinstance(node, ast.FunctionDef)
        and any("session" in ast.unparse(d) for d in node.decorator_list)
    }
    assert set(sessions) == EXPECTED
    for name, doc in sessions.items():
        assert doc, f"session {name} has no docstring"
        assert "\n" not in doc.strip(), f"session {name}'s docstring is not one line"


def test_nox_list_shows_sessions_with_their_docstrings() -> None:
    result = _nox("-l")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for name in EXPECTED - {"bench"}:
        assert f"{name} -> " in out or f"* {name} ->" in out, out
    # The CI matrix: one bench session per interpreter id, with family tags.
    assert "bench(3.13t) [free-threaded]" in out
    assert "bench(3.13t+gil) [free-threaded]" in out
    assert "bench(pypy3) [pypy]" in out
    assert "bench(jython2.7) [jython]" in out
    # Tags select a family, as a CI job would.
    listing = _nox("-l", "-t", "free-threaded").stdout.splitlines()
    tagged = [line for line in listing if "* " in line]
    assert any("bench(3.13t)" in line for line in tagged)
    assert not any("bench(pypy3)" in line for line in tagged)


def test_unknown_session_is_one_clear_error() -> None:
    result = _nox("-s", "no-such-session")
    assert result.returncode != 0
    assert "no-such-session" in result.stderr + result.stdout


def test_nox_never_downloads_interpreters() -> None:
    source = (ROOT / "noxfile.py").read_text()
    assert 'nox.options.download_python = "never"' in source
    assert "nox.options.error_on_missing_interpreters = False" in source
