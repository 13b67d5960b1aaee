"""The kinds registry: one row per kind, and what the rest of the harness reads from it."""

from __future__ import annotations

from harness import kinds
from harness.spec import Interpreter


def test_ids_find_their_rows() -> None:
    assert kinds.kind_of("3.12").family == "cpython"
    assert kinds.kind_of("3.13t").gil == "off"
    twin = kinds.kind_of("3.13t+gil")
    assert (twin.family, twin.gil, twin.env) == ("free-threaded", "on", (("PYTHON_GIL", "1"),))
    assert kinds.kind_of("pypy3.9").jit and kinds.kind_of("jython2.7").gil == "none"
    assert kinds.kind_of("my-own") is kinds.USER
    assert kinds.kind_of("3.12+gil") is kinds.USER  # only free-threaded builds have twins


def test_jit_is_read_from_the_row_or_the_implementation() -> None:
    user_pypy = Interpreter("fast", "pypy", "3.10.14", "on", "user", "pypy")
    assert kinds.has_jit(user_pypy) and kinds.has_jit("jython2.7")
    assert not kinds.has_jit(Interpreter("3.13t", "cpython", "3.13.5", "off", "built",
                                         "free-threaded"))


def test_provisioning_reads_targets_from_the_rows() -> None:
    assert kinds.target_of("3.13t+gil") == "3.13t"
    assert kinds.target_of("pypy3.9") == "pypy"
    assert kinds.target_of("3.12") is None
    assert {"pypy", "jython", "3.13t", "3.14t"} <= set(kinds.default_targets())
    assert {"3.13t", "3.13t+gil", "pypy3", "jython2.7-local"} <= set(kinds.provisionable_ids())
    assert "pypy3" in kinds.packages_of("pypy")
    assert "apt-get install -y pypy3 pypy3-venv pypy3-dev" in kinds.kind_of("pypy3").hint_for(
        "pypy3")


def test_the_ci_matrix_and_listing_order() -> None:
    bench = kinds.bench_ids()
    assert bench["3.13t+gil"] == "free-threaded" and bench["jython2.7"] == "jython"
    families = [kinds.family_rank(f) for f in bench.values()]
    assert families == sorted(families)
    assert kinds.display_name("pypy") == "PyPy" and kinds.display_name("3.13t") == "CPython"
    pattern = kinds.binary_pattern()
    assert pattern.match("python3.13t") and pattern.match("pypy3") and pattern.match("jython")
    assert not pattern.match("python3-config")
