"""Shared fixtures: an isolated cache, fake interpreter trees (the discovery seam), and
the real machine's ready interpreters for tests parametrized over them.

A test that takes a ``ready_interpreter`` argument runs once per interpreter that
discovery finds ready on this machine (ids as test ids).
"""

from __future__ import annotations

import functools
import os
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from harness.interpreters import Sources
from harness.spec import Interpreter


@functools.lru_cache(maxsize=1)
def real_interpreters() -> tuple[Interpreter, ...]:
    """Every entry discovery finds on this machine (discovered once per session).

    Computed at first use with the environment of that moment: do not call it
    from a test that has changed ``HARNESS_CACHE_DIR`` (``isolated_cache``).
    """
    from harness import interpreters

    return tuple(interpreters.discover())


def ready_interpreters() -> list[Interpreter]:
    """The ready entries of this machine."""
    return [i for i in real_interpreters() if i.ready]


def ready_by_id(ident: str) -> Interpreter | None:
    """This machine's ready entry ``ident``, or None."""
    for interp in ready_interpreters():
        if interp.id == ident:
            return interp
    return None


def provisioned_machine() -> bool:
    """True in CI (``CI=true``): ``.ci/run`` provisioned this machine before the tests."""
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def skip_unless_provisioned(reason: str) -> None:
    """Skip because something is not installed here; in CI, where it must be, fail instead.

    A skip must not hide what CI should cover: CI provisions 3.13t, PyPy,
    Jython and its container, so their absence there is a provisioning bug.
    """
    if provisioned_machine():
        pytest.fail(f"{reason}: CI provisions it, so its absence is a failure")
    pytest.skip(reason)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrize ``ready_interpreter`` over the real machine's ready interpreters."""
    if "ready_interpreter" in metafunc.fixturenames:
        ready = ready_interpreters()
        metafunc.parametrize("ready_interpreter", ready, ids=[i.id for i in ready])


@pytest.fixture
def isolated_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh ``HARNESS_CACHE_DIR`` for the test: nothing of the real cache is seen or touched."""
    cache = tmp_path / "cache"
    cache.mkdir()
    monkeypatch.setenv("HARNESS_CACHE_DIR", str(cache))
    return cache


FakePython = Callable[..., Path]


@pytest.fixture
def fake_python(tmp_path: Path) -> FakePython:
    """Make a fake interpreter binary: a shell script answering discovery's info question.

    ``fake_python(path, "cpython", "3.12.1", free_threaded=False)`` writes ``path``
    (parents created) printing ``cpython 3.12.1 0``; each run appends a line to
    ``path + ".runs"`` so tests can count how often discovery asked.
    """

    def make(path: Path, implementation: str, version: str, free_threaded: bool = False) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        runs = f"{path}.runs"
        flag = 1 if free_threaded else 0
        path.write_text(
            "#!/bin/sh\n"
            f"echo run >> '{runs}'\n"
            f"echo '{implementation} {version} {flag}'\n"
        )
        path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
        return path

    return make


@pytest.fixture
def fake_sources(tmp_path: Path) -> Sources:
    """Discovery sources pointing at empty fake trees under ``tmp_path`` (no container)."""
    for name in ("bin", "pyenv/versions", "cache", "uv"):
        (tmp_path / name).mkdir(parents=True, exist_ok=True)
    return Sources(
        path_dirs=(tmp_path / "bin",),
        pyenv_root=tmp_path / "pyenv",
        cache=tmp_path / "cache",
        config_files=(),
        uv_python_dir=tmp_path / "uv",
        container=False,
        apt_prefixes=(str(tmp_path / "apt") + "/",),
    )
