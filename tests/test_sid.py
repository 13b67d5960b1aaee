"""Debian unstable's image: CPython 3.14, 3.15 and PyPy 3.11 built, reused and run for real.

The slow tests build ``localhost/harness-sid:latest`` when it is missing (about
a minute, offline: debootstrap, import, apt), then run the probe and the worker
inside it with no network and read-only mounts, and check that a sid day whose
packages do not install leaves the previous image in use.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import skip_unless_provisioned
from test_container import HARDENING_CHECK, ISOLATION_CHECK, check_confinement

from harness import interpreters, kinds, paths, sid
from harness.container import find_engine, image_id_of
from harness.errors import ProvisionError
from harness.provision import sid as build
from harness.spec import Interpreter, base_environ

PACKAGES = """\
libc6 2.43-7
python3.14 3.14.10-1
pypy3 8.0.1+dfsg-1
sid-release-date Fri, 30 Oct 2026 08:08:01 UTC
"""
BINARIES = "python3.14 3.14.10 cpython\npython3.15 3.15.2 cpython\npypy3.11 3.11.17 pypy\n"

def test_contents_are_parsed() -> None:
    """The image's two files: package versions, the sid Release date, what each binary is."""
    found = sid.Contents.parse("abc", PACKAGES, BINARIES)
    assert found.packages == {
        "libc6": "2.43-7", "python3.14": "3.14.10-1", "pypy3": "8.0.1+dfsg-1"
    }
    assert found.release_date == "Fri, 30 Oct 2026 08:08:01 UTC"
    assert found.version_of("pypy3.11") == "3.11.17"
    assert found.version_of("python3.99") == ""


def test_an_image_lacking_a_package_is_refused() -> None:
    """python3.15 absent (a sid day without it): the check names what is lacking."""
    found = sid.Contents.parse("abc", PACKAGES, BINARIES)
    with pytest.raises(ProvisionError, match="lacks python3.15"):
        build._check(found)


def test_kinds_rows() -> None:
    """3.14, 3.15 and pypy3.11 come from the sid target, part of the default comparison."""
    for ident in ("3.14", "3.15", "pypy3.11"):
        assert kinds.target_of(ident) == "sid"
        assert kinds.is_default(ident)
        assert ident in kinds.provisionable_ids()
    assert kinds.default_targets().count("sid") == 1
    assert kinds.kind_of("3.14t").target != "sid"
    assert kinds.kind_of("3.13").target == ""
    assert kinds.has_jit("pypy3.11")


def _engine_or_skip() -> None:
    if shutil.which(os.environ.get("HARNESS_CONTAINER_ENGINE", "podman")) is None:
        skip_unless_provisioned("no container engine (podman) here")


@pytest.fixture(scope="module")
def sid_entries() -> dict[str, Interpreter]:
    """The image's entries, the image built here when it is missing (never a skip once built)."""
    _engine_or_skip()
    lines: list[str] = []
    build.provision_sid(lines.append)
    entries = {e.id: e for e in sid.discover()}
    assert sorted(entries) == ["3.14", "3.15", "pypy3.11"], lines
    return entries


def _run(entry: Interpreter, script: Path, args: list[str], workloads: Path) -> str:
    done = subprocess.run(
        entry.command(script, args, workloads), capture_output=True, text=True, timeout=300,
        env=entry.environ(base_environ()), check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


@pytest.mark.slow
@pytest.mark.container
def test_provision_again_reuses_the_image(sid_entries: dict[str, Interpreter]) -> None:
    """A second provision finds the image (same Containerfile) and builds nothing."""
    lines: list[str] = []
    build.provision_sid(lines.append)
    assert any("present" in line and "reused" in line for line in lines), lines
    assert not any("build" in line for line in lines if "reused" not in line), lines


@pytest.mark.slow
@pytest.mark.container
def test_discovery_lists_them_ready_as_container_entries(
    sid_entries: dict[str, Interpreter],
) -> None:
    """Where no host interpreter has the id, discovery's entry is the image's."""
    found = {i.id: i for i in interpreters.discover()}
    for ident, entry in sid_entries.items():
        assert found[ident].ready
        if found[ident].source == "container":
            assert found[ident].container == entry.container
    assert sid_entries["3.14"].version.startswith("3.14.")
    assert sid_entries["3.15"].version.startswith("3.15.")
    assert sid_entries["pypy3.11"].version.startswith("3.11.")
    assert sid_entries["pypy3.11"].implementation == "pypy"


@pytest.mark.slow
@pytest.mark.container
def test_the_probe_runs_inside(sid_entries: dict[str, Interpreter]) -> None:
    """The probe in the image: CPython with the GIL on; PyPy for 3.11."""
    for ident, entry in sid_entries.items():
        facts = interpreters.probe(entry, timeout=120)
        assert facts["python_version"] == entry.version, ident
        assert facts["implementation"] == entry.implementation


@pytest.mark.slow
@pytest.mark.container
def test_no_network_and_read_only_mounts(
    sid_entries: dict[str, Interpreter], tmp_path: Path
) -> None:
    """Inside: no route out, and neither the scripts nor the workloads can be written."""
    tmp_path.chmod(0o755)  # run as root, the container's user is nobody: it must read the script
    script = tmp_path / "check.py"
    script.write_text(ISOLATION_CHECK)
    workloads = tmp_path / "workloads"
    workloads.mkdir()
    seen = json.loads(_run(sid_entries["3.15"], script, [], workloads).splitlines()[-1])
    assert seen["network"].startswith("refused"), seen
    assert seen["writes"] == {"/workloads/written": "refused", "/harness/check.py": "refused"}


@pytest.mark.slow
@pytest.mark.container
@pytest.mark.parametrize("ident", ["3.14", "3.15", "pypy3.11"])
def test_each_interpreter_runs_confined(
    sid_entries: dict[str, Interpreter], tmp_path: Path, ident: str
) -> None:
    """Read-only root but /tmp, no capabilities, no privilege gain, not root, a pids limit."""
    tmp_path.chmod(0o755)
    script = tmp_path / "check.py"
    script.write_text(HARDENING_CHECK)
    check_confinement(json.loads(_run(sid_entries[ident], script, [], tmp_path).splitlines()[-1]))


@pytest.mark.slow
@pytest.mark.container
@pytest.mark.parametrize("ident", ["3.14", "3.15", "pypy3.11"])
def test_the_worker_runs_sub_interpreters_inside(
    sid_entries: dict[str, Interpreter], ident: str
) -> None:
    """3.14 and 3.15 run every point in sub-interpreters; PyPy records why it cannot."""
    args = ["--workload", "subinterpreters", "--threads", "1,2", "--params", '{"total": 100000}']
    args += ["--loops", '{"interpreters=1": 1, "interpreters=2": 1, "start=2": 1}', "--values", "2"]
    args += ["--warmups", "0"]
    out = _run(sid_entries[ident], paths.WORKER_SCRIPT, args, paths.workloads_dir())
    doc = json.loads(out)
    if ident.startswith("pypy"):
        assert "PyPy has no sub-interpreters" in doc["unsupported"]
        return
    assert doc["unsupported"] is None
    assert doc["facts"]["gil_enabled"] is True
    assert [p["key"] for p in doc["points"]] == ["interpreters=1", "interpreters=2", "start=2"]
    assert all(len(p["values"]) == 2 for p in doc["points"])


@pytest.mark.slow
@pytest.mark.container
def test_describe_records_image_and_debian_versions(sid_entries: dict[str, Interpreter]) -> None:
    """A run's facts: the image, its id, where it ran, the exact Debian package versions."""
    facts = sid.describe(sid_entries["3.14"])
    assert facts["image"] == sid.IMAGE and facts["where"] == "container"
    assert str(facts["image_id"]).startswith(str(image_id_of(find_engine(), sid.IMAGE)))
    packages = facts["debian_packages"]
    assert isinstance(packages, dict)
    assert packages["python3.14"].startswith("3.14.")
    assert packages["python3.15"].startswith("3.15.")
    assert "pypy3" in packages and facts["binary"] == "python3.14"


@pytest.mark.slow
@pytest.mark.container
def test_a_broken_sid_day_keeps_the_previous_image(
    sid_entries: dict[str, Interpreter], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A package that does not exist: one line names apt's error; the image is unchanged."""
    engine = find_engine()
    before = image_id_of(engine, sid.IMAGE)
    broken = tmp_path / "Containerfile"
    text = build.CONTAINERFILE.read_text()
    assert "python3.15 pypy3;" in text
    broken.write_text(text.replace("python3.15 pypy3;", "python3.15 python3.99 pypy3;"))
    monkeypatch.setattr(build, "CONTAINERFILE", broken)
    monkeypatch.setenv("HARNESS_SID_BUILD", "offline")
    lines: list[str] = []
    build.provision_sid(lines.append)
    kept = [line for line in lines if "did not build" in line]
    assert len(kept) == 1, lines
    assert "python3.99" in kept[0] and "keeping" in kept[0]
    assert image_id_of(engine, sid.IMAGE) == before
    assert image_id_of(engine, build.BUILDING) is None
