"""The entry points users know: nox's session list and its answer to a bad name."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

from harness import kinds

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


def _listing(*args: str) -> list[dict[str, object]]:
    """nox's own answer (``nox -l --json``) for the selected sessions."""
    result = _nox("-l", "--json", *args)
    assert result.returncode == 0, result.stderr
    listing = json.loads(result.stdout)
    assert isinstance(listing, list)
    return listing


def test_nox_lists_every_session_with_its_docstring() -> None:
    listing = _listing("-s", *sorted(EXPECTED))
    assert {s["name"] for s in listing} == EXPECTED
    for session in listing:
        doc = str(session["description"] or "")
        assert doc and "\n" not in doc.strip(), session


def test_bench_is_one_session_per_kinds_id_tagged_with_its_family() -> None:
    """The CI matrix is harness.kinds' bench ids, each tagged with its family."""
    bench = [s for s in _listing("-s", "bench") if s["name"] == "bench"]
    got = {}
    for session in bench:
        call_spec = session["call_spec"]
        assert isinstance(call_spec, dict)
        got[call_spec["interpreter"]] = session["tags"]
    assert got == {ident: [family] for ident, family in kinds.bench_ids().items()}
    assert {"3.13t", "3.13t+gil", "pypy3", "jython2.7"} <= set(got)
    # Tags select a family, as a CI job would.
    tagged = _listing("-t", "free-threaded")
    chosen = {s["call_spec"]["interpreter"] for s in tagged}  # type: ignore[index]
    assert chosen == {i for i, f in kinds.bench_ids().items() if f == "free-threaded"}
    assert "3.13t" in chosen and "pypy3" not in chosen


def test_unknown_session_is_one_clear_error() -> None:
    result = _nox("-s", "no-such-session")
    assert result.returncode != 0
    assert "no-such-session" in result.stderr + result.stdout


def test_nox_never_downloads_interpreters() -> None:
    """The options nox reads from the noxfile: no downloads, no error for a missing interpreter."""
    code = (
        "import runpy, nox\n"
        f"runpy.run_path({str(ROOT / 'noxfile.py')!r})\n"
        "print(nox.options.download_python, nox.options.error_on_missing_interpreters)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=ROOT, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["never", "False"]
