"""A user's workloads folder (``run --workloads DIR``), their REQUIRES installed per interpreter.

Real interpreters, real pip (PyPI, or the index pip is configured with: the tests
marked ``network``), real virtual environments: one session-scoped folder holds them, so each
requirement set is installed once per interpreter in a test session. The
"GIL turned back on" case builds a tiny C extension without ``Py_mod_gil``
with gcc against the 3.13t build's headers and installs it as a wheel.
"""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import subprocess
import sys
import textwrap
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import ready_by_id, skip_unless_provisioned

from harness import results, runner, venvs
from harness import workloads as workloads_mod
from harness.errors import UsageError
from harness.report.build import build_document
from harness.report.markdown import render_markdown
from harness.report.model import load_results
from harness.spec import Interpreter
from harness.summary import RunSummary

REPO = Path(__file__).resolve().parents[1]  # the checkout: commands run from it

WORKLOAD = '''\
"""{doc}"""

import threading

{imports}

REQUIRES = {requires!r}
PARAMS = {{"total": 2000}}


def work(n):
    for _ in range(n):
        {call}


def points(thread_counts, params):
    return [("threads=%d" % t, {{"threads": t}}) for t in thread_counts]


def supported():
    return None


def run(point, params):
    t = point["threads"]
    workers = [threading.Thread(target=work, args=(params["total"] // t,)) for _ in range(t)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
'''


def write_workload(folder: Path, name: str, requires: list[str], imports: str = "",
                   call: str = "pass") -> Path:
    """A user workload file (no KIND: a user's default is "strong")."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.py"
    path.write_text(WORKLOAD.format(doc=f"{name}: a test workload.", imports=imports,
                                    requires=requires, call=call))
    return path


def need(ident: str) -> Interpreter:
    interp = ready_by_id(ident)
    if interp is None:
        skip_unless_provisioned(f"interpreter {ident} is not ready here")
    assert interp is not None
    return interp


@pytest.fixture(scope="session")
def venv_root(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One environments folder for the session (the real cache stays untouched)."""
    root = tmp_path_factory.mktemp("venvs")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(venvs, "venvs_root", lambda: root)
        yield root


def run_fast(interps: list[Interpreter], folder: Path, out: Path) -> RunSummary:
    found = workloads_mod.resolve_workloads(None, user_dirs=[folder])
    return runner.run(interps, found, out, threads=[1, 2], profile="fast", seed=1)


def work_of(out: Path, ident: str, name: str) -> dict:
    facts = results.Facts.load(results.facts_path(out, ident))
    assert facts.work is not None
    return facts.work[name]


def report_text(out: Path) -> str:
    document, _ = build_document(load_results(out))
    return render_markdown(document)


# ------------------------------------------------------------------ installs, reused


@pytest.mark.network
def test_requirement_installs_then_is_reused(venv_root: Path, tmp_path: Path) -> None:
    interp = need("3.11")
    folder = tmp_path / "mine"
    write_workload(folder, "uses_six", ["six>=1.10"], "import six", "six.ensure_str('x')")
    first = run_fast([interp], folder, tmp_path / "one")
    assert first.ok, first.lines()
    env = work_of(tmp_path / "one", "3.11", "uses_six")["environment"]
    assert env["reused"] is False and env["error"] is None
    assert set(env["installed"]) == {"six"}, env["installed"]
    assert Path(env["python"]).parent.parent.parent == venv_root
    second = run_fast([interp], folder, tmp_path / "two")
    assert second.ok, second.lines()
    again = work_of(tmp_path / "two", "3.11", "uses_six")
    assert again["environment"]["reused"] is True
    assert again["environment"]["installed"] == env["installed"]
    assert again["folder"] == str(folder.resolve())
    text = report_text(tmp_path / "two")
    assert "## Your workloads" in text
    assert f"six {env['installed']['six']}" in text
    # Beside the built-in ones: its strong-scaling series is in the scaling section.
    assert "`uses_six`: uses_six: a test workload." in text


@pytest.mark.network
def test_requirement_that_cannot_install_is_unsupported_there(
    venv_root: Path, tmp_path: Path
) -> None:
    """iniconfig 2.3 needs Python 3.10+: pip fails on PyPy 3.9, the run goes on elsewhere."""
    interps = [need("3.11"), need("pypy3.9")]
    folder = tmp_path / "mine"
    write_workload(folder, "new_only", ["iniconfig>=2.3"], "import iniconfig", "pass")
    summary = run_fast(interps, folder, tmp_path / "out")
    assert summary.ok, summary.lines()
    by_id = {r.interpreter.id: r.outcomes for r in summary.results}
    assert {o.status for o in by_id["3.11"]} == {"ok"}
    [outcome] = by_id["pypy3.9"]
    assert outcome.status == "unsupported"
    reason = outcome.reason.lower()
    assert reason.startswith("pip: "), outcome.reason
    assert "iniconfig" in reason or "requires a different python" in reason, outcome.reason
    assert "\n" not in outcome.reason
    env = work_of(tmp_path / "out", "pypy3.9", "new_only")["environment"]
    assert env["error"] == outcome.reason
    assert "unsupported: pip: " in report_text(tmp_path / "out")
    # The failure is kept: the next run says so, and how to try again, without calling pip.
    again = run_fast([interps[1]], folder, tmp_path / "again")
    [kept] = again.results[0].outcomes
    assert kept.status == "unsupported" and kept.reason.startswith(outcome.reason)
    assert kept.reason.endswith("to try again)")


def test_no_environment_for_27_jython_or_containers() -> None:
    base = dict(implementation="cpython", gil="on", source="pyenv", family="cpython",
                argv=("/x/python",))
    py27 = Interpreter(id="2.7", version="2.7.18", **base)  # type: ignore[arg-type]
    assert "Python 2.7" in (venvs.unsupported_reason(py27, ["six"]) or "")
    assert venvs.unsupported_reason(py27, []) is None
    for ident in ("jython2.7", "3.14"):
        interp = ready_by_id(ident)
        if interp is not None:
            assert venvs.unsupported_reason(interp, ["six"])


# ------------------------------------------------------------------ the GIL turned back on

EXTENSION = """
#include <Python.h>
static struct PyModuleDef mod = {PyModuleDef_HEAD_INIT, "gilgrab", NULL, -1, NULL};
PyMODINIT_FUNC PyInit_gilgrab(void) { return PyModule_Create(&mod); }
"""


def build_wheel(interp: Interpreter, where: Path) -> Path:
    """gilgrab 1.0: one single-phase C module that declares no Py_mod_gil, as a wheel."""
    if shutil.which("gcc") is None:
        skip_unless_provisioned("gcc is not installed (needed to build the test extension)")
    query = ("import sysconfig, json; print(json.dumps([sysconfig.get_paths()['include'], "
             "sysconfig.get_config_var('EXT_SUFFIX'), sysconfig.get_platform()]))")
    include, suffix, plat = json.loads(subprocess.run(
        [*interp.argv, "-c", query], capture_output=True, text=True, check=True).stdout)
    where.mkdir(parents=True)
    (where / "gilgrab.c").write_text(EXTENSION)
    so = f"gilgrab{suffix}"
    subprocess.run(["gcc", "-shared", "-fPIC", f"-I{include}", "gilgrab.c", "-o", so],
                   cwd=where, check=True)
    tag = "cp" + "".join(interp.version.split(".")[:2])
    wheel = where / f"gilgrab-1.0-{tag}-{tag}t-{plat.replace('-', '_').replace('.', '_')}.whl"
    files = {
        so: (where / so).read_bytes(),
        "gilgrab-1.0.dist-info/METADATA": b"Metadata-Version: 2.1\nName: gilgrab\nVersion: 1.0\n",
        "gilgrab-1.0.dist-info/WHEEL": (
            f"Wheel-Version: 1.0\nRoot-Is-Purelib: false\nTag: {tag}-{tag}t-"
            f"{plat.replace('-', '_').replace('.', '_')}\n").encode(),
        "gilgrab-1.0.dist-info/top_level.txt": b"gilgrab\n",
    }
    record = [f"{name},sha256={_digest(data)},{len(data)}" for name, data in files.items()]
    files["gilgrab-1.0.dist-info/RECORD"] = ("\n".join(
        [*record, "gilgrab-1.0.dist-info/RECORD,,"]) + "\n").encode()
    with zipfile.ZipFile(wheel, "w") as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return wheel


def _digest(data: bytes) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


@pytest.mark.network
def test_import_that_turns_the_gil_back_on_is_named(venv_root: Path, tmp_path: Path) -> None:
    interp = need("3.13t")
    wheel = build_wheel(interp, tmp_path / "build")
    folder = tmp_path / "mine"
    write_workload(folder, "grabs_gil", [f"gilgrab @ {wheel.as_uri()}"], "import gilgrab")
    twin = ready_by_id("3.13t+gil")
    interps = [interp] + ([twin] if twin is not None else [])
    summary = run_fast(interps, folder, tmp_path / "out")
    assert summary.ok, summary.lines()
    work = work_of(tmp_path / "out", "3.13t", "grabs_gil")
    assert work["environment"]["installed"] == {"gilgrab": "1.0"}
    assert work["gil_reenabled"] == {"by": [{"import": "gilgrab", "module": "gilgrab"}]}
    if twin is not None:  # PYTHON_GIL=1 asked for the GIL: nothing to explain
        assert "gil_reenabled" not in work_of(tmp_path / "out", "3.13t+gil", "grabs_gil")
    text = report_text(tmp_path / "out")
    sentence = ("3.13t: importing `gilgrab` turned the GIL back on for workload `grabs_gil`")
    headline = text.split("## Headline", 1)[1].split("\n## ", 1)[0]
    assert sentence in headline
    assert "3.13t+gil: importing" not in text


def test_probe_names_the_extension_module(tmp_path: Path) -> None:
    interp = need("3.13t")
    wheel = build_wheel(interp, tmp_path / "build")
    with zipfile.ZipFile(wheel) as zf:
        zf.extractall(tmp_path / "site")
    data = venvs.gil_import(interp, "gilgrab", tmp_path / "site")
    assert data["gil_before"] is False and data["gil_after"] is True
    assert "'gilgrab'" in data["warnings"][0]
    plain = venvs.gil_import(interp, "json")
    assert plain["gil_after"] is False and plain["warnings"] == []


# ------------------------------------------------------------------ the folder itself


def harness_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "harness", *args], capture_output=True,
                          text=True, cwd=REPO, timeout=300)


def test_name_clash_is_one_line_exit_2(tmp_path: Path) -> None:
    write_workload(tmp_path / "mine", "countdown", [])
    done = harness_cli("run", "--workloads", str(tmp_path / "mine"), "-o", str(tmp_path / "o"))
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert "'countdown'" in done.stderr and "built-in workload" in done.stderr


def test_standard_library_name_is_refused(tmp_path: Path) -> None:
    write_workload(tmp_path / "mine", "json", [])
    with pytest.raises(UsageError, match="'json'.*standard library"):
        workloads_mod.resolve_workloads(None, user_dirs=[tmp_path / "mine"])


def test_folder_without_workloads_is_one_line_exit_2(tmp_path: Path) -> None:
    folder = tmp_path / "empty"
    folder.mkdir()
    (folder / "helpers.py").write_text("def helper():\n    return 1\n")
    for target in (folder, tmp_path / "absent"):
        done = harness_cli("run", "--workloads", str(target), "-o", str(tmp_path / "o"))
        assert done.returncode == 2, done.stderr
        assert done.stderr.count("\n") == 1 and done.stderr.startswith("error: ")


def test_cli_runs_only_the_folder_and_records_it(tmp_path: Path) -> None:
    """No REQUIRES: the worker imports it from the user's folder; -w adds a built-in one."""
    need("3.11")
    folder = tmp_path / "mine"
    write_workload(folder, "plain_loop", [])
    out = tmp_path / "out"
    done = harness_cli("run", "--workloads", str(folder), "-w", "plain_loop", "-w",
                       "thread_start", "-i", "3.11", "--fast", "--threads", "1,2", "-o", str(out))
    assert done.returncode == 0, done.stderr
    facts = results.Facts.load(results.facts_path(out, "3.11"))
    assert facts.run["workloads"] == ["thread_start", "plain_loop"]
    assert f"--workloads {folder.resolve()}" in facts.run["command"]
    assert facts.work is not None and facts.work["plain_loop"]["folder"] == str(folder.resolve())
    assert "folder" not in facts.work["thread_start"]


def test_discovery_without_manifest(tmp_path: Path) -> None:
    folder = tmp_path / "lib_bench"
    write_workload(folder, "b_second", ["six"])
    write_workload(folder, "a_first", [])
    (folder / "_private.py").write_text("def run(point, params):\n    pass\n")
    (folder / "notes.py").write_text("X = 1\n")
    found = workloads_mod.user_workloads(folder)
    assert [w.name for w in found] == ["a_first", "b_second"]
    assert {w.group for w in found} == {"lib_bench"} and all(w.user for w in found)
    assert found[1].requires == ("six",) and found[0].kind == "strong"
    assert found[0].folder == folder.resolve()
    # -w picks among built-in and user workloads; the folder's name is a group.
    both = workloads_mod.resolve_workloads(["countdown", "lib_bench"], user_dirs=[folder])
    assert [w.name for w in both] == ["countdown", "a_first", "b_second"]
    with pytest.raises(UsageError):
        workloads_mod.resolve_workloads(None, user_dirs=[folder, tmp_path / "none"])


def test_bad_requires_names_the_file(tmp_path: Path) -> None:
    folder = tmp_path / "mine"
    path = write_workload(folder, "bad", [])
    path.write_text(path.read_text().replace("REQUIRES = []", 'REQUIRES = "six"'))
    with pytest.raises(Exception, match="REQUIRES in bad.py"):
        workloads_mod.user_workloads(folder)


def test_pip_reason_is_its_last_error_line() -> None:
    out = textwrap.dedent("""\
        Collecting x
        ERROR: Could not find a version that satisfies the requirement x>=9 (from versions: 1)
        ERROR: No matching distribution found for x>=9
    """)
    assert venvs.pip_reason(out) == "No matching distribution found for x>=9"
    assert venvs.pip_reason("") == "no output"


def test_environment_interpreter_keeps_options_not_wrappers() -> None:
    env = venvs.Environment(("six",), python=Path("/v/bin/python"))
    common = dict(id="x", implementation="cpython", version="3.13.5", gil="on", source="user",
                  family="cpython", env=(("PYTHON_GIL", "1"),))
    cases = {("/usr/bin/pypy3",): ("/v/bin/python",),
             ("/b/python3.13t", "-X", "gil=1"): ("/v/bin/python", "-X", "gil=1"),
             ("uv", "run", "python"): ("/v/bin/python",)}
    for argv, expected in cases.items():
        derived = env.interpreter(Interpreter(argv=argv, **common))  # type: ignore[arg-type]
        assert derived.argv == expected and derived.env == (("PYTHON_GIL", "1"),)
