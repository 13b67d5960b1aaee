"""The catalogue that does not go stale, ``--source``, and the GIL twin.

python.org is stood in for by a local ``http.server`` serving a tree shaped like
https://www.python.org/ftp/python/ (real HTTP, real directory listings). The
builds use a tiny CPython-like tarball whose ``configure`` and ``Makefile`` are
shell (the real steps in a second: verify, extract, configure, make, staged
install, the check, the rename); the real 3.13-twin is checked where it was
built (slow tests).
"""

from __future__ import annotations

import functools
import http.server
import re
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import skip_unless_provisioned
from fake_cpython import fake_tarball
from test_provision import needs_build_tools

from harness import interpreters, kinds
from harness.__main__ import main
from harness.errors import Unavailable
from harness.provision import build, catalogue, cpython


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def python_org(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A local server whose tree looks like python.org's /ftp/python/: (base URL, root)."""
    root = tmp_path / "ftp"
    for folder, files in {
        "3.13.9": ["Python-3.13.9.tar.xz", "Python-3.13.9.tgz"],
        "3.14.1": ["Python-3.14.1.tar.xz"],
        "3.14.2": ["Python-3.14.2.tar.xz", "Python-3.14.2.tar.xz.sigstore"],
        "3.14.10": ["Python-3.14.10rc1.tar.xz"],  # only a pre-release: passed over
        "3.15.0": ["Python-3.15.0a2.tar.xz"],
        "2.7.18": ["Python-2.7.18.tar.xz"],
    }.items():
        (root / folder).mkdir(parents=True)
        for name in files:
            (root / folder / name).write_bytes(b"")
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/", root
    finally:
        server.shutdown()
        server.server_close()


# ---------------------------------------------------------------- the newest release


def test_newest_final_release_of_each_minor_from_a_listing(python_org: tuple[str, Path]) -> None:
    url, _ = python_org
    newest = catalogue.newest_release("3.14", url, timeout=5)
    assert newest == catalogue.Release("3.14.2", f"{url}3.14.2/Python-3.14.2.tar.xz")
    assert newest.tarball == "Python-3.14.2.tar.xz"
    assert catalogue.newest_release("3.13", url, timeout=5).version == "3.13.9"
    with pytest.raises(Unavailable, match="no final CPython 3.15 release"):
        catalogue.newest_release("3.15", url, timeout=5)


def test_an_unreachable_listing_says_why() -> None:
    with pytest.raises(Unavailable) as err:
        catalogue.newest_release("3.14", "http://127.0.0.1:9/ftp/python/", timeout=2)
    assert "cannot list CPython releases at http://127.0.0.1:9/ftp/python/" in err.value.message


def test_no_patch_version_of_314_or_315_in_the_code() -> None:
    source = "".join(Path(m.__file__ or "").read_text()
                     for m in (cpython, build, catalogue, kinds))
    # No pinned tarball, release or URL of 3.14/3.15 (examples in docstrings are fine).
    assert re.findall(r"Python-3\.1[45]\.\d|/3\.1[45]\.\d+/|Release\(\s*\"3\.1[45]",
                      source) == []
    assert "Python-3.13.5.tar.xz" in source  # the pattern would see a pinned one


def test_newest_release_is_built_with_its_twin(
    isolated_cache: Path, python_org: tuple[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    needs_build_tools()
    url, root = python_org
    fake_tarball(root / "3.14.2", "3.14.2")
    monkeypatch.setattr(catalogue, "PYTHON_ORG_FTP", url)
    monkeypatch.setattr(interpreters, "discover", lambda *a, **k: [])
    said: list[str] = []
    prefix = cpython.provision_newest("3.14", None, said.append)
    assert prefix == isolated_cache / "cpython-3.14.2t"
    assert "3.14t: python.org's newest 3.14 is 3.14.2" in said
    twin = isolated_cache / "cpython-3.14.2-twin"
    assert (twin / "bin" / "python3.14").is_file()
    free_rec, twin_rec = build.read_record(prefix), build.read_record(twin)
    assert free_rec is not None and twin_rec is not None
    assert (free_rec["id"], twin_rec["id"]) == ("3.14t", "3.14-twin")
    assert free_rec["sha256"] == twin_rec["sha256"] != ""
    assert free_rec["configure"] == ["--disable-gil", *twin_rec["configure"]]
    # Again: nothing rebuilt.
    again: list[str] = []
    assert cpython.provision_newest("3.14", None, again.append) == prefix
    assert again == [f"3.14t: already built at {prefix}"]


def test_unreachable_python_org_is_a_skip_with_the_reason(
    isolated_cache: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(catalogue, "PYTHON_ORG_FTP", "http://127.0.0.1:9/ftp/python/")
    monkeypatch.setattr(cpython, "DOWNLOAD_TIMEOUT", 2.0)
    monkeypatch.setattr(interpreters, "discover", lambda *a, **k: [])
    monkeypatch.setattr(kinds, "default_targets", lambda: ("3.15t",))
    assert main(["provision"]) == 0
    err = capsys.readouterr().err
    assert "3.15t: skipped: 3.15t cannot be had here: cannot list CPython releases" in err
    from harness.state import last_failures

    assert "python.org unreachable" in last_failures()["3.15t"]


# ---------------------------------------------------------------- --source and the twin


def test_configure_arguments_differ_only_by_disable_gil(tmp_path: Path) -> None:
    free = build.configure_args(tmp_path / "p")
    twin = build.configure_args(tmp_path / "p", twin=True)
    assert free == ["--disable-gil", *twin]
    assert twin[-1] == f"--prefix={tmp_path / 'p'}"


def test_source_builds_the_version_its_patchlevel_says_and_the_twin(
    isolated_cache: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    needs_build_tools()
    tarball = fake_tarball(tmp_path, "3.16.0", name="cpython-main.tar.xz")
    assert main(["provision", "--source", str(tarball)]) == 0
    err = capsys.readouterr().err
    assert "cpython-main.tar.xz: CPython 3.16.0, sha256" in err
    assert sorted(p.name for p in isolated_cache.glob("cpython-*")) == [
        "cpython-3.16.0-twin", "cpython-3.16.0t"]
    assert not list((isolated_cache / "tmp").iterdir())
    assert kinds.kind_of("3.16-twin").family == "cpython"
    assert kinds.kind_of("3.16-twin").gil == "on"


def test_source_url_and_the_old_spelling(
    isolated_cache: Path, python_org: tuple[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    needs_build_tools()
    url, root = python_org
    fake_tarball(root / "3.14.1", "3.14.1")
    # --source-3.14 is an alias that insists on 3.14.
    assert main(["provision", "--source-3.14", f"{url}3.13.9/Python-3.13.9.tar.xz"]) == 2
    assert "not 3.14" in capsys.readouterr().err
    assert main(["provision", "--source-3.14", f"{url}3.14.1/Python-3.14.1.tar.xz"]) == 0
    assert (isolated_cache / "cpython-3.14.1-twin" / "bin" / "python3.14").is_file()
    assert (isolated_cache / "cpython-3.14.1t" / "bin" / "python3.14t").is_file()


def test_a_twin_without_its_gil_installs_nothing(
    isolated_cache: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    needs_build_tools()
    tarball = fake_tarball(tmp_path, "3.16.1", twin_has_gil=False)
    assert main(["provision", "--source", str(tarball)]) == 1
    assert "source: FAILED: the built python3.16 (the GIL twin) has no GIL" in (
        capsys.readouterr().err)
    assert (isolated_cache / "cpython-3.16.1t").is_dir()  # the free-threaded one worked
    assert not (isolated_cache / "cpython-3.16.1-twin").exists()
    assert not list((isolated_cache / "tmp").iterdir())


# ---------------------------------------------------------------- the real twin


def real_pair() -> tuple[interpreters.Interpreter, interpreters.Interpreter]:
    found = {i.id: i for i in interpreters.discover()}
    free, twin = found.get("3.13t"), found.get("3.13-twin")
    if free is None or twin is None or not (free.ready and twin.ready):
        skip_unless_provisioned("3.13t and 3.13-twin are not built here "
                                "(python -m harness provision)")
    assert free is not None and twin is not None
    return free, twin


@pytest.mark.slow
def test_real_twin_is_listed_ready_beside_313t() -> None:
    free, twin = real_pair()
    assert twin.source == "built" and twin.family == "cpython" and twin.gil == "on"
    assert twin.default and twin.version == free.version
    assert any("the GIL twin of 3.13t" in n for n in twin.notes)
    out = subprocess.run([twin.argv[0], "-c", "import sys; print(sys._is_gil_enabled())"],
                         capture_output=True, text=True, check=True).stdout
    assert out.strip() == "True"
    records = [build.read_record(Path(i.argv[0]).parent.parent) for i in (free, twin)]
    assert records[0] and records[1]
    assert records[0]["sha256"] == records[1]["sha256"] == cpython.CPYTHON_313.sha256
    assert records[0]["configure"] == ["--disable-gil", *records[1]["configure"]]


@pytest.mark.slow
def test_interpreters_command_lists_the_twin_ready(capsys: pytest.CaptureFixture[str]) -> None:
    real_pair()
    assert main(["interpreters", "--ready", "--ids"]) == 0
    ids = capsys.readouterr().out.split()
    assert {"3.13t", "3.13t+gil", "3.13-twin"} <= set(ids)


# ---------------------------------------------------------------- the report


def test_report_says_price_of_free_threading_only_against_the_twin(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import report_data

    monkeypatch.setitem(report_data.INTERPRETERS, "3.13-twin",
                        ("cpython", "3.13.5", "cpython", "on", 0.92, 1.0, 0.0, 0.005))
    with_twin = report_data.write_results(tmp_path / "twin",
                                          ids=("3.11", "3.13", "3.13t", "3.13-twin"))
    assert main(["report", str(with_twin), "--baseline", "3.13"]) == 0
    readme = (with_twin / "report" / "README.md").read_text()
    price = [line for line in readme.splitlines() if "price of free threading" in line.lower()]
    assert price and all("3.13t" in line or "3.13-twin" in line or "GIL twin" in line
                         for line in price)
    assert "one thread vs 3.13 | free-threaded vs its GIL twin (same source and flags) |" in readme
    assert "| 3.13-twin | GIL on |" in readme and "the GIL twin of 3.13t" in readme
    assert "price of free threading (one thread against its GIL twin 3.13-twin" in readme
    assert "| benchmark | 3.13t vs 3.13-twin |" in readme
    # Without the twin: no such column, no such words.
    without = report_data.write_results(tmp_path / "none", ids=("3.13", "3.13t"))
    assert main(["report", str(without)]) == 0
    text = (without / "report" / "README.md").read_text()
    assert "free-threaded vs its GIL twin" not in text
    assert "price of free threading (" not in text.lower()
