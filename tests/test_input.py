"""Bad input on the command line: one line saying what to do, the right exit status, no traceback.

Every case runs the real command (``python -m harness ...`` in a child process, or
``main`` in-process where the output is all that matters) and checks what the user
sees: exactly one line on stderr, starting ``error:``, with a hint in parentheses,
and that nothing was written where the command was stopped. Tests run as root, so
an unusable folder is one under a regular file, or under ``/proc``, never a
permission bit root would ignore.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from report_data import write_results

from harness import paths, profiles
from harness.__main__ import main, os_error_line
from harness.errors import UsageError


def harness(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """``python -m harness ARGS`` in ``cwd`` with ``env`` on top of this environment."""
    return subprocess.run(
        [sys.executable, "-m", "harness", *args], cwd=cwd, capture_output=True, text=True,
        timeout=300, check=False, env={**os.environ, **env},
    )


def one_line(err: str) -> str:
    """The single ``error:`` line of ``err`` (asserting there is exactly one, no traceback)."""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ") and "Traceback" not in err, err
    assert "(" in lines[0], err  # the hint: what to do
    return lines[0]


# ------------------------------------------------------------------ the cache folder


def _unusable_caches(tmp_path: Path) -> dict[str, dict[str, str]]:
    afile = tmp_path / "afile"
    afile.write_text("not a folder\n")
    return {
        "under-a-file": {"HARNESS_CACHE_DIR": str(afile / "cache")},
        "is-a-file": {"HARNESS_CACHE_DIR": str(afile)},
        "in-proc": {"HARNESS_CACHE_DIR": "/proc/gil-harness-cache"},
        "xdg-under-a-file": {"HARNESS_CACHE_DIR": "", "XDG_CACHE_HOME": str(afile)},
    }


@pytest.mark.parametrize("case", ["under-a-file", "is-a-file", "in-proc", "xdg-under-a-file"])
@pytest.mark.parametrize("command", [
    ["run", "-i", "3.13", "-w", "countdown", "--fast", "-o", "out"],
    ["provision", "3.13"],
])
def test_unusable_cache_stops_writing_commands_before_any_work(
    tmp_path: Path, case: str, command: list[str]
) -> None:
    env = _unusable_caches(tmp_path)[case]
    proc = harness(command, tmp_path, **env)
    assert proc.returncode == 2, proc.stderr
    line = one_line(proc.stderr)
    assert "cache folder" in line and "HARNESS_CACHE_DIR" in line and "XDG_CACHE_HOME" in line
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("case", ["under-a-file", "is-a-file", "in-proc", "xdg-under-a-file"])
def test_unusable_cache_interpreters_still_lists(tmp_path: Path, case: str) -> None:
    """Listing writes nothing it needs: podman's settings go to a private temporary folder,
    the image's contents are read again, and what lives in the cache is listed as missing."""
    env = _unusable_caches(tmp_path)[case]
    proc = harness(["interpreters"], tmp_path, **env)
    assert proc.returncode == 0, proc.stderr
    rows = {line.split()[0]: line for line in proc.stdout.splitlines()[1:] if line.strip()}
    assert "ready" in rows["3.11"]  # from pyenv, not the cache
    assert "missing" in rows["3.13t"]  # built into the cache, which cannot be read here


def test_folder_problem_says_why(tmp_path: Path) -> None:
    afile = tmp_path / "afile"
    afile.write_text("x")
    assert paths.folder_problem(afile) == "it is a file, not a folder"
    assert paths.folder_problem(afile / "a" / "b") == f"{afile} is a file, not a folder"
    assert "cannot" in str(paths.folder_problem(Path("/proc/gil-harness-test")))
    assert paths.folder_problem(tmp_path / "new" / "folder") is None
    assert (tmp_path / "new" / "folder").is_dir()
    assert list((tmp_path / "new" / "folder").iterdir()) == []  # the write test is gone


# ------------------------------------------------------------------ run's numbers


@pytest.mark.parametrize("value", ["inf", "-inf", "nan", "1e300", "0", "-1", "abc", "86401"])
def test_timeout_must_be_finite_positive_and_sane(tmp_path: Path, value: str) -> None:
    proc = harness(["run", "-i", "3.13", "-w", "countdown", "--fast", "-o", "out",
                    f"--timeout={value}"], tmp_path)
    assert proc.returncode == 2
    line = one_line(proc.stderr)
    assert "--timeout" in line and repr(value) in line and "86400" in line
    assert not (tmp_path / "out").exists()  # no empty facts file, no folder


@pytest.mark.parametrize("value", ["inf", "nan", "-5", "1001", "x"])
def test_threshold_must_be_a_sane_percentage(value: str, capsys: pytest.CaptureFixture[str],
                                             tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as stop:
        main(["diff", str(tmp_path), str(tmp_path), f"--threshold={value}"])
    assert stop.value.code == 2
    assert "--threshold" in one_line(capsys.readouterr().err)


def test_argparse_mistakes_are_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (["bogus"], ["run", "--fast", "--rigorous"], ["report"], ["run", "--nope"]):
        with pytest.raises(SystemExit) as stop:
            main(argv)
        assert stop.value.code == 2
        assert "--help" in one_line(capsys.readouterr().err)


def test_threads_above_the_limit_is_one_line_naming_the_limit(tmp_path: Path) -> None:
    proc = harness(["run", "-i", "3.13", "-w", "countdown", "--fast", "-o", "out",
                    "--threads", "1,100000"], tmp_path, HARNESS_MAX_THREADS="")
    assert proc.returncode == 2
    line = one_line(proc.stderr)
    limit = profiles.THREADS_PER_CPU * profiles.usable_cpus()
    assert f"limit of {limit} threads" in line and "HARNESS_MAX_THREADS" in line
    assert not (tmp_path / "out").exists()


def test_threads_limit_is_64_per_cpu_and_can_be_raised(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(profiles.MAX_THREADS_ENV, raising=False)
    limit = 64 * profiles.usable_cpus()
    assert profiles.parse_threads(f"1,{limit}") == [1, limit]
    with pytest.raises(UsageError, match=f"above the limit of {limit}"):
        profiles.parse_threads(str(limit + 1))
    with pytest.raises(UsageError, match="above the limit"):
        profiles.parse_threads("9" * 5000)  # int() would refuse it: no ValueError escapes
    monkeypatch.setenv(profiles.MAX_THREADS_ENV, str(limit + 10))
    assert profiles.parse_threads(str(limit + 10)) == [limit + 10]
    with pytest.raises(UsageError, match="set by HARNESS_MAX_THREADS"):
        profiles.parse_threads(str(limit + 11))
    monkeypatch.setenv(profiles.MAX_THREADS_ENV, "lots")
    with pytest.raises(UsageError, match="HARNESS_MAX_THREADS='lots'"):
        profiles.parse_threads("2")


# ------------------------------------------------------------------ report, diff, publish paths


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_results(tmp_path_factory.mktemp("input") / "results", ids=("3.13", "3.13t"))


@pytest.mark.parametrize("where", ["a-file", "under-a-file", "in-proc"])
def test_report_output_that_cannot_be_a_folder(results: Path, tmp_path: Path, where: str,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    afile = tmp_path / "afile"
    afile.write_text("precious\n")
    out = {"a-file": afile, "under-a-file": afile / "sub",
           "in-proc": Path("/proc/gil-harness-report")}[where]
    assert main(["report", str(results), "-o", str(out)]) == 2
    line = one_line(capsys.readouterr().err)
    assert str(out) in line and "--output" in line
    assert afile.read_text() == "precious\n"


@pytest.mark.parametrize("readme", ["missing.md", "."])
def test_report_readme_that_is_not_a_file(results: Path, tmp_path: Path, readme: str,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", str(results), "-o", str(tmp_path / "out"),
                 "--readme", str(tmp_path / readme)]) == 2
    assert "--readme" in one_line(capsys.readouterr().err)


def test_diff_output_that_is_a_file(results: Path, tmp_path: Path,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    afile = tmp_path / "afile"
    afile.write_text("precious\n")
    assert main(["diff", str(results), str(results), "-o", str(afile)]) == 2
    assert "--output" in one_line(capsys.readouterr().err)
    assert afile.read_text() == "precious\n"


def test_unexpected_os_error_is_one_line_and_a_traceback_with_v(results: Path,
                                                                tmp_path: Path) -> None:
    """A page the report must replace is a folder: an OSError nobody foresaw, one line."""
    out = tmp_path / "out"
    (out / "index.html").mkdir(parents=True)
    proc = harness(["report", str(results), "-o", str(out)], tmp_path)
    assert proc.returncode == 1
    line = one_line(proc.stderr)
    assert str(out / "index.html") in line and "-v" in line
    verbose = harness(["-v", "report", str(results), "-o", str(out)], tmp_path)
    assert verbose.returncode != 0 and "Traceback" in verbose.stderr


def test_os_error_under_the_cache_names_the_variables(monkeypatch: pytest.MonkeyPatch,
                                                      tmp_path: Path) -> None:
    monkeypatch.setenv("HARNESS_CACHE_DIR", str(tmp_path / "cache"))
    exc = PermissionError(13, "Permission denied", str(tmp_path / "cache" / "x.json"))
    line, code = os_error_line(exc)
    assert code == 2 and "HARNESS_CACHE_DIR" in line and "cache folder" in line
    line, code = os_error_line(PermissionError(13, "Permission denied", "/etc/x"))
    assert code == 1 and "/etc/x" in line


def test_publish_with_junk_is_one_line(results: Path, tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    reports = tmp_path / "reports"
    good, junk, empty = reports / "2026-01-01-good", reports / "2026-01-02-junk", reports / "e"
    for folder in (good, junk, empty):
        folder.mkdir(parents=True)
    for f in results.glob("*.json"):
        (good / f.name).write_bytes(f.read_bytes())
    (reports / "notes.txt").write_text("a stray file\n")
    assert main(["publish", str(reports)]) == 0  # an empty folder and a stray file: ignored
    capsys.readouterr()
    (junk / "3.13.json").write_text('{"benchmarks": [', encoding="utf-8")
    assert main(["publish", str(reports)]) == 2
    line = one_line(capsys.readouterr().err)
    assert str(junk / "3.13.json") in line
    for missing in (tmp_path / "nope", reports / "notes.txt"):
        assert main(["publish", str(missing)]) == 2
        assert str(missing) in one_line(capsys.readouterr().err)


@pytest.mark.parametrize("damage", ["truncated", "not-pyperf", "binary", "facts-version",
                                    "facts-too-deep"])
def test_diff_on_corrupt_or_missing_input(results: Path, tmp_path: Path, damage: str,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    new = tmp_path / "new"
    new.mkdir()
    for f in results.glob("*.json"):
        (new / f.name).write_bytes(f.read_bytes())
    target = new / ("3.13t.facts.json" if damage.startswith("facts") else "3.13t.json")
    target.write_bytes({
        "truncated": (results / "3.13t.json").read_bytes()[:500],
        "not-pyperf": b'{"hello": "world"}',
        "binary": b"\xff\xfe\x00",
        "facts-version": (results / "3.13t.facts.json").read_bytes().replace(
            b'"version": 1', b'"version": 99'),
        "facts-too-deep": b"[" * 100000,
    }[damage])
    assert main(["diff", str(results), str(new), "-o", str(tmp_path / "out")]) == 2
    assert str(target) in one_line(capsys.readouterr().err)
    assert not (tmp_path / "out").exists()
    assert main(["diff", str(results), str(tmp_path / "absent")]) == 2
    assert "absent" in one_line(capsys.readouterr().err)


def test_a_config_file_that_is_not_utf8_is_one_line(tmp_path: Path) -> None:
    config = tmp_path / "latin1.toml"
    config.write_bytes(b'[interpreters."x"]\ncommand = ["caf\xe9"]\n')
    proc = harness(["interpreters"], tmp_path, HARNESS_CONFIG=str(config))
    assert proc.returncode != 0
    line = one_line(proc.stderr)
    assert str(config) in line and "not UTF-8" in line and "save the file as UTF-8" in line


def test_a_dependency_missing_from_this_python_is_one_line(results: Path,
                                                           tmp_path: Path) -> None:
    """``python3 -m harness report`` under a Python without matplotlib (here: its import
    blocked): one line naming the module and how to install it, exit 2, no traceback;
    ``-v`` shows the traceback."""
    script = ("import sys; sys.modules['matplotlib'] = None; "
              "from harness.__main__ import main; sys.exit(main(sys.argv[1:]))")
    args = ["report", str(results), "--output", str(tmp_path / "out")]
    done = subprocess.run([sys.executable, "-c", script, *args], cwd=tmp_path,
                          capture_output=True, text=True, timeout=300, check=False,
                          env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])})
    assert done.returncode == 2
    line = one_line(done.stderr)
    assert "'matplotlib' is not installed" in line and "pip install" in line
    verbose = subprocess.run([sys.executable, "-c", script, "-v", *args], cwd=tmp_path,
                             capture_output=True, text=True, timeout=300, check=False,
                             env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])})
    assert verbose.returncode != 0 and "Traceback" in verbose.stderr
