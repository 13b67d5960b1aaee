"""The claims section from synthetic results: each claim's row, read from the document model.

A claim confirmed on one interpreter and contradicted on another reads as such
in its row's cells; facts (switch interval, ``sys.getrefcount``) are judged as
recorded; the explanation of CPython's lost-update-free ``n += 1`` names the
bytecode the facts hold.
"""

from __future__ import annotations

from pathlib import Path

from report_data import write_results
from report_extra import add_points, document, section, tables

from harness import results
from harness.report.sections.claims import CLAIMS

IDS = ("2.7", "3.13", "3.13t", "jython2.7")


def _rows(folder: Path) -> dict[str, list[str]]:
    sec = section(document(folder), "claims")
    (table,) = tables(sec)
    assert table.headers == ["claim", "confirmed on", "contradicted on", "figures",
                             "measured by"]
    return {str(row[0]): [str(c) for c in row] for row in table.rows}


def _row(rows: dict[str, list[str]], start: str) -> tuple[set[str], set[str], str, str]:
    (key,) = [k for k in rows if k.startswith(start)]
    _, yes, no, figures, source = rows[key]
    split = lambda cell: set() if cell == "-" else set(cell.split(", "))  # noqa: E731
    return split(yes), split(no), figures, source


def _folder(tmp_path: Path) -> Path:
    folder = write_results(tmp_path / "r", ids=IDS, processes=4, noise=0.01,
                           workloads=("countdown", "counter_race", "counter_lock", "io_wait"))
    # The counter whose + is Python code: 3.13 loses updates with 2 threads, not with 1.
    add_points(folder, "3.13", "counter_race_method", "strong",
               {"threads=1,increments=50000": [0.02] * 4, "threads=2,increments=25000": [0.02] * 4},
               params={"threads=1,increments=50000": {"threads": 1, "increments": 50000},
                       "threads=2,increments=25000": {"threads": 2, "increments": 25000}},
               extra={"threads=1,increments=50000": [
                          {"lost_updates": 0, "expected_updates": 150000}] * 4,
                      "threads=2,increments=25000": [
                          {"lost_updates": 9000, "expected_updates": 150000}] * 4})
    # 3.14 and later give 2: one interpreter whose facts contradict the notebook's 3.
    path = results.facts_path(folder, "3.13t")
    facts = results.Facts.load(path)
    facts.probe = {**(facts.probe or {}), "getrefcount": 2}
    facts.save(path)
    return folder


def test_at_least_eight_claims_each_with_its_source() -> None:
    assert len(CLAIMS) >= 8
    assert len({c.text for c in CLAIMS}) == len(CLAIMS)
    assert all(c.source for c in CLAIMS)


def test_confirmed_here_contradicted_there(tmp_path: Path) -> None:
    rows = _rows(_folder(tmp_path))
    assert len(rows) == len(CLAIMS)
    # Lost updates without a lock: 2.7 and 3.13t lose some, 3.13 loses none.
    yes, no, figures, source = _row(rows, "`n += 1` is not atomic")
    assert {"2.7", "3.13t", "jython2.7"} <= yes and no == {"3.13"}
    assert source == "counter_race" and "3.13: lost 0 of " in figures
    assert "2.7: lost " in figures and "; worst " in figures
    # Two threads slower than one: 2.7 (0.6x the speed) yes; 3.13t and Jython (1.9x) no.
    yes, no, figures, _ = _row(rows, "Two threads of CPU-bound Python are slower")
    assert "2.7" in yes and {"3.13t", "jython2.7"} <= no and not yes & no
    assert "2.7: 2 threads take 1.6" in figures
    # Without a GIL in parallel: judged only where there is no GIL.
    yes, no, _, _ = _row(rows, "Without a GIL")
    assert yes == {"3.13t", "jython2.7"} and not no
    # The lock: nothing lost anywhere.
    yes, no, _, _ = _row(rows, "A lock makes the counter correct")
    assert yes == set(IDS) and not no
    # Facts: 5 ms is not 15 ms; getrefcount 3 on some, 2 on 3.13t, none on Jython.
    yes, no, figures, _ = _row(rows, "The interpreter forces a thread switch every 15 ms")
    assert not yes and {"2.7", "3.13", "3.13t"} <= no and "jython2.7" not in figures
    assert "3.13: sys.getswitchinterval() = 5 ms" in figures
    assert "2.7: no switch interval: a check every 100 bytecodes" in figures
    yes, no, figures, _ = _row(rows, "`sys.getrefcount(a)`")
    assert yes == {"2.7", "3.13"} and no == {"3.13t"} and "jython2.7" not in figures
    # The method counter loses updates under the GIL.
    yes, no, _, source = _row(rows, "`n += 1` loses updates under the GIL too")
    assert yes == {"3.13"} and not no and source == "counter_race_method"
    # Waiting threads overlap everywhere (io_wait's time does not grow with T).
    yes, no, _, _ = _row(rows, "Threads that wait")
    assert yes == set(IDS) and not no
    # Nothing measured: the row says so.
    _, _, figures, _ = _row(rows, "Sub-interpreters")
    assert figures == "not measured"


def test_why_cpython_lost_no_update_names_the_bytecode(tmp_path: Path) -> None:
    sec = section(document(_folder(tmp_path)), "claims")
    text = " ".join(b.text for b in sec.blocks if hasattr(b, "text"))
    assert "Why CPython with the GIL lost no update" in text
    # 3.13 lost none and its recorded bytecode has no switch point between load and store.
    assert "holds only `LOAD_CONST 1 (1) / BINARY_OP 13 (+=)` (3.13):" in text
    assert "(2.7" not in text and ", 2.7" not in text  # 2.7 lost updates: not explained here


def test_an_interval_too_wide_is_neither(tmp_path: Path) -> None:
    """One process: no interval, so no interpreter is put in either column."""
    folder = write_results(tmp_path / "r", ids=("2.7", "3.13t"), processes=1,
                           workloads=("countdown",))
    yes, no, figures, _ = _row(_rows(folder), "Two threads of CPU-bound Python are slower")
    assert not yes and not no
    assert "no interval" in figures


def test_the_method_counter_in_the_correctness_section(tmp_path: Path) -> None:
    """Its lost updates shown beside counter_race's; folders without it say nothing of it."""
    sec = section(document(_folder(tmp_path)), "correctness")
    heads = [b.text for b in sec.blocks if getattr(b, "css", "") == "subhead"]
    assert heads[-1].startswith("`counter_race_method`: without a lock")
    last = tables(sec)[-1]
    row = next(r for r in last.rows if r[0] == "3.13")
    assert str(row[2]).startswith("36,000 of 600,000")  # 4 processes x 9,000 of 150,000
    older = write_results(tmp_path / "older", ids=("3.13",), workloads=("counter_race",))
    text = str(section(document(older), "correctness").blocks)
    assert "counter_race_method" not in text
