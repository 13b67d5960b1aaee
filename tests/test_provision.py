"""Provisioning: checksums, staged installs that never leave half a build, apt, 3.14t sources.

The build tests use a tiny source tree whose ``configure`` and ``Makefile`` are
shell: they exercise the real steps (verify, extract, configure, make, staged
``make altinstall``, the free-threading check, the rename) in a second, not
CPython's two-minute build. The real 3.13t build is checked where it exists.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tarfile
import urllib.request
from pathlib import Path

import pytest
from conftest import skip_unless_provisioned
from fake_cpython import fake_tarball

from harness import fileutil, kinds, provision, state
from harness.__main__ import main
from harness.errors import ProvisionError, Unavailable, UsageError
from harness.provision import apt, cpython
from harness.provision.cpython import SourceRelease


def needs_build_tools() -> None:
    missing = apt.missing_packages(cpython.BUILD_DEPS)
    if missing and not apt.is_root():
        pytest.skip(f"build dependencies missing and not root: {' '.join(missing)}")
    if shutil.which("make") is None and not apt.is_root():
        pytest.skip("make is not installed")


def leftovers(cache: Path) -> list[str]:
    """What a build left in the cache besides logs, locks, downloads and state."""
    names = [p.name for p in cache.glob("cpython-*")]
    names += [p.name for p in (cache / "tmp").glob("*")] if (cache / "tmp").exists() else []
    return names


def test_checksum_mismatch_installs_nothing(isolated_cache: Path, tmp_path: Path) -> None:
    tarball = fake_tarball(tmp_path)
    release = SourceRelease("3.13.5", "0" * 64, "")
    with pytest.raises(ProvisionError) as err:
        cpython.build_free_threaded(release, tarball)
    assert "checksum mismatch" in str(err.value)
    assert "\n" not in str(err.value)
    assert not cpython.built_prefix(release).exists()
    assert leftovers(isolated_cache) == []


def test_staged_build_is_renamed_into_place_and_idempotent(
    isolated_cache: Path, tmp_path: Path
) -> None:
    needs_build_tools()
    tarball = fake_tarball(tmp_path)
    release = SourceRelease("3.13.5", fileutil.sha256_of(tarball), "")
    said: list[str] = []
    prefix = cpython.build_free_threaded(release, tarball, said.append)
    assert prefix == isolated_cache / "cpython-3.13.5t"
    assert cpython.built_binary(prefix, "3.13").is_file()
    assert leftovers(isolated_cache) == ["cpython-3.13.5t"]
    steps = " ".join(said)
    for step in ("extract", "configure", "make", "install"):
        assert step in steps
    assert (isolated_cache / "logs" / "cpython-3.13.5t.log").read_text().count("\ncompiled\n") == 1
    again: list[str] = []
    assert cpython.build_free_threaded(release, tarball, again.append) == prefix
    assert again == [f"3.13t: already built at {prefix}"]


def test_a_build_that_is_not_free_threaded_installs_nothing(
    isolated_cache: Path, tmp_path: Path
) -> None:
    needs_build_tools()
    tarball = fake_tarball(tmp_path, ft_gil_disabled=None)
    release = SourceRelease("3.13.5", fileutil.sha256_of(tarball), "")
    with pytest.raises(ProvisionError) as err:
        cpython.build_free_threaded(release, tarball)
    assert "not free-threaded" in str(err.value)
    assert leftovers(isolated_cache) == []


def test_a_failing_step_names_the_log(isolated_cache: Path, tmp_path: Path) -> None:
    tarball = tmp_path / "Python-3.13.5.tar.xz"
    tarball.write_bytes(b"not an archive")
    release = SourceRelease("3.13.5", fileutil.sha256_of(tarball), "")
    needs_build_tools()
    with pytest.raises(ProvisionError) as err:
        cpython.build_free_threaded(release, tarball)
    assert "extract failed" in str(err.value)
    assert str(isolated_cache / "logs" / "cpython-3.13.5t.log") in str(err.value)
    assert leftovers(isolated_cache) == []


def test_pinned_313_source() -> None:
    assert cpython.CPYTHON_313.sha256 == (
        "93e583f243454e6e9e4588ca2c2662206ad961659863277afcdb96801647d640"
    )
    assert cpython.CPYTHON_313.debian_tarball == "python3.13_3.13.5.orig.tar.xz"
    assert cpython.CPYTHON_313.id == "3.13t"


def test_tarball_version_from_its_name_or_its_patchlevel(tmp_path: Path) -> None:
    from harness.provision import catalogue

    assert catalogue.version_from_name("Python-3.14.9.tgz") == "3.14.9"
    assert catalogue.version_from_name("Python-3.15.0a2.tar.xz") == "3.15.0a2"
    assert catalogue.version_from_name("python3.13_3.13.5.orig.tar.xz") == "3.13.5"
    renamed = fake_tarball(tmp_path, name="cpython-main.tar.xz")
    assert catalogue.tarball_version(renamed) == "3.13.5"
    junk = tmp_path / "notes.tar.xz"
    with tarfile.open(junk, "w:xz"):
        pass
    with pytest.raises(UsageError):
        catalogue.tarball_version(junk)


# ---------------------------------------------------------------- apt


def test_apt_install_of_installed_packages_does_nothing() -> None:
    if shutil.which("dpkg-query") is None:
        pytest.skip("no dpkg-query: not a Debian system")
    assert apt.apt_install(["dpkg"], "a test") == []


def test_apt_install_without_root_says_what_to_run(monkeypatch: pytest.MonkeyPatch) -> None:
    if shutil.which("apt-get") is None:
        pytest.skip("no apt-get: not a Debian system")
    monkeypatch.setattr(apt, "is_root", lambda: False)
    with pytest.raises(Unavailable) as err:
        apt.apt_install(["harness-no-such-package"], "a test")
    assert "sudo DEBIAN_FRONTEND=noninteractive apt-get install -y harness-no-such-package" in (
        str(err.value)
    )


# ---------------------------------------------------------------- the command


def python_org_reachable() -> bool:
    try:
        with urllib.request.urlopen("https://www.python.org/ftp/python/", timeout=5):
            return True
    except (OSError, ValueError):
        return False


def args(*ids: str, source_314: str | None = None, source: str | None = None
         ) -> argparse.Namespace:
    return argparse.Namespace(ids=list(ids), source_314=source_314, source=source)


def test_missing_314_source_file_is_one_line(
    isolated_cache: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "Python-3.14.0.tar.xz"
    with pytest.raises(ProvisionError) as err:
        cpython.provision_newest("3.14", str(missing), lambda step: None)
    assert "does not exist" in str(err.value) and "\n" not in str(err.value)


@pytest.mark.slow
def test_unobtainable_314t_fails_only_when_asked_for(
    isolated_cache: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from harness import interpreters

    # Discovered under the isolated cache, as provision_314t will see it.
    if any(i.id == "3.14t" and i.ready for i in interpreters.discover()):
        pytest.skip("a 3.14t is installed here")
    if python_org_reachable():
        pytest.skip("python.org is reachable here: 3.14t can be had (a long build)")
    monkeypatch.delenv("HARNESS_PY314_SOURCE", raising=False)
    monkeypatch.setattr(cpython, "DOWNLOAD_TIMEOUT", 5.0)
    # Asked for by id: exit 1, the reason on the FAILED line.
    assert provision.cmd_provision(args("3.14t")) == 1
    err = capsys.readouterr().err
    failed = [line for line in err.splitlines() if "3.14t: FAILED" in line]
    assert len(failed) == 1 and "python.org unreachable" in failed[0]
    # Discovery's row then says why.
    assert "cannot be had here" in state.last_failures()["3.14t"]
    # Part of a plain `provision`: a skip, exit 0.
    monkeypatch.setattr(kinds, "default_targets", lambda: ("3.14t",))
    assert provision.cmd_provision(args()) == 0
    assert "3.14t: skipped" in capsys.readouterr().err


@pytest.mark.slow
def test_real_313t_provision_is_idempotent(capsys: pytest.CaptureFixture[str]) -> None:
    prefix = cpython.built_prefix(cpython.CPYTHON_313)
    if not cpython.built_binary(prefix, "3.13").exists():
        skip_unless_provisioned("3.13t is not built here (python -m harness provision 3.13t)")
    before = os.stat(prefix).st_mtime
    assert main(["provision", "3.13t"]) == 0
    assert "already built" in capsys.readouterr().err
    assert os.stat(prefix).st_mtime == before
