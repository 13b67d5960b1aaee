"""The one parser of point names, and the workload roles."""

from __future__ import annotations

import pytest

from harness import points, roles


def test_a_plain_point() -> None:
    p = points.Point.parse("countdown/threads=2")
    assert (p.workload, p.key, p.axis, p.count) == ("countdown", "threads=2", "threads", 2)
    assert p.cpus == 0
    assert p.plain and not p.pinned
    assert p.with_count(1) == "countdown/threads=1"


def test_a_notebook_point_and_a_pinned_point() -> None:
    p = points.Point.parse("counter_race/threads=100,increments=1000")
    assert (p.axis, p.count, p.param_dict["increments"]) == ("threads", 100, "1000")
    assert not p.plain
    q = points.Point.parse("countdown/threads=2,cpus=1")
    assert q.pinned and q.cpus == 1 and q.plain
    assert q.with_count(1) == "countdown/threads=1,cpus=1"


def test_metadata_wins_and_no_axis() -> None:
    p = points.Point.parse("x/threads=2", {"workload": "countdown", "threads": 4})
    assert (p.workload, p.count) == ("countdown", 4)
    q = points.Point.parse("switch_latency/interval=0.005")
    assert (q.axis, q.count) == ("", 0)
    with pytest.raises(ValueError, match="no scale axis"):
        q.with_count(2)
    assert points.Point.parse("thread_start").workload == "thread_start"


def test_names_round_trip() -> None:
    for name in ("countdown/threads=2", "io_convoy/threads=1,interval=0.001", "thread_start"):
        p = points.Point.parse(name)
        assert points.name_of(p.workload, p.params) == name
        assert points.workload_of(name) == p.workload


def test_roles_recorded_win_over_the_legacy_table() -> None:
    assert roles.role_of("countdown") == "headline"
    assert roles.role_of("mine", {"workload_role": "headline"}) == "headline"
    assert roles.role_of("countdown", {"workload_role": "nonsense"}) == "headline"
    assert roles.role_of("mine") == ""
    assert set(roles.LEGACY.values()) <= set(roles.ROLES)
