"""Discovery, resolution, user entries and the ``interpreters`` command.

Unit tests feed fake trees through the one seam (``Sources``); the ``slow`` ones
look at the real machine.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import FakePython, provisioned_machine, ready_by_id, skip_unless_provisioned

from harness import interpreters
from harness.__main__ import main
from harness.errors import InterpreterNotFound, UsageError
from harness.interpreters import Sources, discover, resolve
from harness.spec import MISSING, Interpreter
from harness.userconfig import ConfigError


def by_id(entries: list[Interpreter]) -> dict[str, Interpreter]:
    return {i.id: i for i in entries}


def pyenv_version(sources: Sources, fake_python: FakePython, name: str, impl: str,
                  version: str, free_threaded: bool = False) -> Path:
    assert sources.pyenv_root is not None
    return fake_python(sources.pyenv_root / "versions" / name / "bin" / "python", impl,
                       version, free_threaded)


# ---------------------------------------------------------------- fake trees


def test_pyenv_versions_become_nox_ids(fake_sources: Sources, fake_python: FakePython) -> None:
    pyenv_version(fake_sources, fake_python, "2.7.18", "cpython", "2.7.18")
    pyenv_version(fake_sources, fake_python, "3.9.18", "cpython", "3.9.18")
    pyenv_version(fake_sources, fake_python, "3.12.1", "cpython", "3.12.1")
    ft = pyenv_version(fake_sources, fake_python, "3.13.2t", "cpython", "3.13.2", True)
    found = by_id(discover(fake_sources))

    assert found["2.7"].default and found["2.7"].gil == "on"
    assert found["2.7"].source == "pyenv" and found["2.7"].ready
    assert not found["3.9"].default, "3.6-3.10 are listed but not in the default comparison"
    assert found["3.12"].default and found["3.12"].family == "cpython"
    assert found["3.13t"].gil == "off" and found["3.13t"].family == "free-threaded"
    twin = found["3.13t+gil"]
    assert twin.argv == found["3.13t"].argv == (str(ft),)
    assert twin.env == (("PYTHON_GIL", "1"),) and twin.gil == "on"
    assert twin.family == "free-threaded"
    assert "3.13" not in found, "a free-threaded binary is never a GIL 3.13"


def test_missing_rows_say_how_to_get_them(fake_sources: Sources) -> None:
    found = by_id(discover(fake_sources))
    for ident in ("3.13t", "3.13t+gil", "3.14t", "3.14t+gil", "pypy3", "jython2.7"):
        assert found[ident].status == MISSING, ident
        assert "python -m harness provision" in found[ident].hint, ident
    assert "apt-get install -y pypy3" in found["pypy3"].hint


def test_shims_are_never_used(tmp_path: Path, fake_python: FakePython) -> None:
    shims = tmp_path / "pyenv" / "shims"
    fake_python(shims / "python3", "cpython", "3.11.7")
    env = {"PATH": f"{shims}{os.pathsep}{tmp_path / 'bin'}", "HOME": str(tmp_path)}
    sources = Sources.from_environment(env)
    assert shims not in sources.path_dirs
    assert tmp_path / "bin" in sources.path_dirs
    assert sources.pyenv_root == tmp_path / ".pyenv"


def test_dedupe_by_real_path_and_first_wins(
    fake_sources: Sources, fake_python: FakePython
) -> None:
    real = pyenv_version(fake_sources, fake_python, "3.11.7", "cpython", "3.11.7")
    (fake_sources.path_dirs[0] / "python3.11").symlink_to(real)
    fake_python(fake_sources.path_dirs[0] / "python3", "cpython", "3.11.2")
    found = by_id(discover(fake_sources))
    assert found["3.11"].source == "pyenv"
    assert found["3.11"].version == "3.11.7"
    assert [i.id for i in discover(fake_sources)].count("3.11") == 1


def test_built_prefix_is_free_threaded_whatever_the_names(
    fake_sources: Sources, fake_python: FakePython
) -> None:
    prefix = fake_sources.cache / "cpython-3.13.5t"
    fake_python(prefix / "bin" / "python3.13t", "cpython", "3.13.5", True)
    # `make altinstall` also creates a free-threaded `python3.13`: put it on PATH too.
    fake_python(fake_sources.path_dirs[0] / "python3.13", "cpython", "3.13.5", True)
    found = by_id(discover(fake_sources))
    assert found["3.13t"].source == "built"
    assert found["3.13t"].argv == (str(prefix / "bin" / "python3.13t"),)
    assert found["3.13t"].ready and found["3.13t+gil"].ready
    assert "3.13" not in found


def test_pypy_named_by_python_version_and_alias(
    fake_sources: Sources, fake_python: FakePython
) -> None:
    fake_python(fake_sources.path_dirs[0] / "pypy3", "pypy", "3.9.16")
    found = by_id(discover(fake_sources))
    assert found["pypy3.9"].gil == "on" and found["pypy3.9"].family == "pypy"
    assert "pypy3" not in found
    assert [i.id for i in resolve(["pypy3"], sources=fake_sources)] == ["pypy3.9"]


def test_local_jython_without_container(fake_sources: Sources, fake_python: FakePython) -> None:
    fake_python(fake_sources.path_dirs[0] / "jython", "jython", "2.7.3")
    found = by_id(discover(fake_sources))
    assert found["jython2.7"].ready and found["jython2.7"].gil == "none"
    assert found["jython2.7"].family == "jython"
    assert "jython2.7-local" not in found


def _jython(ident: str, source: str, ready: bool) -> Interpreter:
    return Interpreter(
        id=ident, implementation="jython", version="2.7.3", gil="none", source=source,
        family="jython", argv=("jython",) if ready else (),
        status="ready" if ready else MISSING, hint="" if ready else "provision it",
        notes=() if ready else ("image not built",),
    )


def test_jython_merge_rule() -> None:
    local = _jython("jython2.7", "apt", True)
    boxed_ready = _jython("jython2.7", "container", True)
    boxed_missing = _jython("jython2.7", "container", False)

    merged = by_id(interpreters._merge_jython(local, boxed_ready, {}))
    assert merged["jython2.7"].source == "container"
    assert merged["jython2.7-local"].source == "apt"
    assert not merged["jython2.7-local"].default

    merged = by_id(interpreters._merge_jython(local, boxed_missing, {}))
    assert merged["jython2.7"].source == "apt" and merged["jython2.7"].ready
    assert "the local Jython, not the container image: image not built (provision it)" in (
        merged["jython2.7"].notes)  # fmt: skip
    assert merged["jython2.7-container"].status == MISSING
    assert merged["jython2.7-container"].hint == "provision it"

    merged = by_id(interpreters._merge_jython(None, None, {}))
    assert merged["jython2.7"].status == MISSING
    assert "apt-get install -y jython" in merged["jython2.7"].hint


def test_info_is_cached_by_real_path_and_mtime(
    fake_sources: Sources, fake_python: FakePython
) -> None:
    binary = pyenv_version(fake_sources, fake_python, "3.12.1", "cpython", "3.12.1")
    runs = Path(f"{binary}.runs")
    discover(fake_sources)
    discover(fake_sources)
    assert runs.read_text().count("run") == 1
    # A rebuilt binary (new mtime/size) is asked again.
    fake_python(binary, "cpython", "3.12.2")
    os.utime(binary, (1, 1))
    assert by_id(discover(fake_sources))["3.12"].version == "3.12.2"
    assert runs.read_text().count("run") == 2


def test_resolve(fake_sources: Sources, fake_python: FakePython) -> None:
    pyenv_version(fake_sources, fake_python, "3.9.18", "cpython", "3.9.18")
    pyenv_version(fake_sources, fake_python, "3.12.1", "cpython", "3.12.1")
    default = [i.id for i in resolve(None, sources=fake_sources)]
    assert default == ["3.12"], "the default set: ready and default only"
    assert [i.id for i in resolve(["3.9", "3.12", "3.9"], sources=fake_sources)] == [
        "3.9", "3.12"]
    with pytest.raises(UsageError) as err:
        resolve(["3.99"], sources=fake_sources)
    assert "'3.99'" in str(err.value) and "3.12" in str(err.value)
    assert err.value.exit_code == 2
    with pytest.raises(InterpreterNotFound) as missing:
        resolve(["3.13t"], ready_only=True, sources=fake_sources)
    assert "python -m harness provision 3.13t" in str(missing.value)


# ---------------------------------------------------------------- user entries


def with_config(sources: Sources, path: Path, keys: tuple[str, ...]) -> Sources:
    return dataclasses.replace(sources, config_files=((path, keys),))


def test_user_entries_appear_like_builtin_ones(
    tmp_path: Path, fake_sources: Sources, fake_python: FakePython
) -> None:
    exe = fake_python(tmp_path / "opt" / "graal" / "python", "graalpy", "3.11.7")
    config = tmp_path / "interpreters.toml"
    config.write_text(
        f'[interpreters.graal]\npath = "{exe}"\ngil = "on"\n'
        f'[interpreters.mine-gil]\ncommand = ["{exe}", "-X", "dev"]\n'
        f'implementation = "cpython"\nversion = "3.13.5"\nenv = {{PYTHON_GIL = "1"}}\n'
    )
    sources = with_config(fake_sources, config, ("interpreters",))
    found = by_id(discover(sources))
    graal = found["graal"]
    assert graal.ready and graal.source == "user" and graal.argv == (str(exe),)
    assert graal.implementation == "graalpy" and graal.version == "3.11.7"
    assert graal.gil == "on"
    mine = found["mine-gil"]
    assert mine.argv == (str(exe), "-X", "dev") and mine.env == (("PYTHON_GIL", "1"),)
    assert [i.id for i in resolve(["graal"], ready_only=True, sources=sources)] == ["graal"]


def test_pyproject_table_and_image_entry(tmp_path: Path, fake_sources: Sources) -> None:
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text(
        '[project]\nname = "x"\n'
        '[tool.gil-harness.interpreters."graalpy-box"]\n'
        'image = "localhost/graalpy:24"\ninterpreter = "graalpy"\nengine = "sh"\n'
        'implementation = "graalpy"\ngil = "on"\n'
    )
    sources = with_config(fake_sources, pyproject, ("tool", "gil-harness", "interpreters"))
    box = by_id(discover(sources))["graalpy-box"]
    assert box.ready and box.container is not None
    assert box.container.image == "localhost/graalpy:24"
    assert box.container.interpreter == ("graalpy",)
    cmd = box.command(Path("/x/probe.py"), ["--a"])
    assert cmd[1:3] == ["run", "--rm"] and "localhost/graalpy:24" in cmd


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ('implementation = "cpython"\n', "needs exactly one of path, command or image"),
        ('path = "/nonexistent/python"\n', "does not exist"),
        ('command = "no-such-command-xyz -E"\n', "not found"),
        ('pth = "/usr/bin/python3"\n', "unknown key(s) pth"),
        ('path = "/bin/sh"\ngil = "maybe"\n', "gil must be one of"),
    ],
)
def test_broken_user_entry_is_a_missing_row_with_the_reason(
    tmp_path: Path, fake_sources: Sources, body: str, reason: str
) -> None:
    config = tmp_path / "interpreters.toml"
    config.write_text("[interpreters.broken]\n" + body)
    sources = with_config(fake_sources, config, ("interpreters",))
    broken = by_id(discover(sources))["broken"]
    assert broken.status == MISSING
    assert reason in "; ".join(broken.notes)
    assert str(config) in broken.hint
    with pytest.raises(InterpreterNotFound) as err:
        resolve(["broken"], ready_only=True, sources=sources)
    assert reason in str(err.value)
    assert "\n" not in str(err.value)


def test_bad_toml_is_an_error(tmp_path: Path, fake_sources: Sources) -> None:
    config = tmp_path / "interpreters.toml"
    config.write_text("[interpreters.x\npath = 1\n")
    with pytest.raises(ConfigError) as err:
        discover(with_config(fake_sources, config, ("interpreters",)))
    assert str(config) in str(err.value) and "\n" not in str(err.value)


def test_config_files_from_the_environment(tmp_path: Path) -> None:
    config = tmp_path / "mine.toml"
    config.write_text("")
    xdg = tmp_path / "xdg"
    (xdg / "gil-harness").mkdir(parents=True)
    (xdg / "gil-harness" / "interpreters.toml").write_text("")
    sources = Sources.from_environment(
        {"PATH": "", "HOME": str(tmp_path), "HARNESS_CONFIG": str(config),
         "XDG_CONFIG_HOME": str(xdg)}
    )
    files = [path for path, _ in sources.config_files]
    assert files[0] == config, "$HARNESS_CONFIG comes first"
    assert files[-1] == xdg / "gil-harness" / "interpreters.toml"


# ---------------------------------------------------------------- the command


def test_unknown_id_exits_2_with_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["provision", "no-such-python"]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err
    assert "'no-such-python'" in err and "valid ids:" in err and "3.13t" in err


def test_bad_config_exits_1_with_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "bad.toml"
    config.write_text("[interpreters\n")
    monkeypatch.setenv("HARNESS_CONFIG", str(config))
    assert main(["interpreters"]) == 1
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "not valid TOML" in err


@pytest.mark.slow
def test_real_machine_table_and_json() -> None:
    cmd = [sys.executable, "-m", "harness", "interpreters"]
    table = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    assert table.splitlines()[0].split()[:4] == ["id", "implementation", "version", "gil"]
    data = json.loads(
        subprocess.run([*cmd, "--json"], capture_output=True, text=True, check=True).stdout
    )
    ids = [row["id"] for row in data]
    assert len(ids) == len(set(ids)) == len(table.splitlines()) - 1
    for row in data:
        assert row["gil"] in ("on", "off", "none", "unknown")
        assert row["status"] in ("ready", "missing")
        assert row["status"] == "ready" or row["hint"], row
    ready = subprocess.run([*cmd, "--ready", "--ids"], capture_output=True, text=True,
                           check=True).stdout.split()
    assert ready == [row["id"] for row in data if row["status"] == "ready"]
    # A CPython with the GIL is always there: the harness runs on one.
    assert any(row["family"] == "cpython" and row["status"] == "ready" for row in data)


@pytest.mark.slow
def test_real_free_threaded_build_has_its_gil_twin() -> None:
    ft = ready_by_id("3.13t")
    if ft is None:
        skip_unless_provisioned("3.13t is not built here (python -m harness provision 3.13t)")
    twin = ready_by_id("3.13t+gil")
    assert twin is not None and twin.argv == ft.argv
    assert twin.env == (("PYTHON_GIL", "1"),)
    # The build's GIL-sounding `python3.13` must not have become a GIL 3.13.
    gil_313 = ready_by_id("3.13")
    if gil_313 is not None:
        assert Path(gil_313.argv[0]).resolve() != Path(ft.argv[0]).resolve()


@pytest.mark.slow
def test_provisioned_machine_has_every_promised_interpreter() -> None:
    """After `.ci/run`'s provisioning: a CPython with the GIL, 3.13t, 3.13t+gil, PyPy, Jython.

    Parametrized tests only cover what discovery finds; this one makes a failed
    provision (which would otherwise just shrink those lists) fail CI.
    """
    if not provisioned_machine():
        pytest.skip("only a provisioned machine (CI=true, after .ci/run's provision) promises them")
    entries = {i.id: i for i in interpreters.discover()}
    ready = {ident for ident, i in entries.items() if i.ready}
    assert any(i.family == "cpython" and i.gil == "on" and i.ready for i in entries.values())
    assert {"3.13t", "3.13t+gil", "jython2.7"} <= ready, sorted(ready)
    assert any(ident.startswith("pypy3") for ident in ready), sorted(ready)
    assert entries["3.13t"].gil == "off" and entries["3.13t+gil"].gil == "on"
    # Where an engine exists (this kind of machine: podman), Jython runs in its container.
    assert entries["jython2.7"].source == "container", entries["jython2.7"]
