"""The "I/O beside CPU-bound threads" section from synthetic results (the document model).

One sentence per interpreter, drawn from the convoy factor's interval: "slower" with
the interval where it lies beyond 2%, "no significant change" where it does not, no
verdict from one process; every factor also in estimates.csv.
"""

from __future__ import annotations

import re
from pathlib import Path

from report_data import write_results
from report_extra import add_points, bullets, document, section, tables

IDS = ("3.13", "3.13t", "jython2.7")
ALONE = 0.0004


def _convoy(folder: Path, ident: str, factors: dict[str, float], processes: int = 4) -> None:
    means, params = {}, {}
    for label, interval in (("default", None), ("0.001", 0.001)):
        if f"1,{label}" not in factors:
            continue
        for c in (0, 1):
            key = f"cpu_threads={c},interval={label}"
            factor = 1.0 if c == 0 else factors[f"1,{label}"]
            means[key] = [ALONE * factor * (1 + 0.01 * i) for i in range(processes)]
            params[key] = {"cpu_threads": c, **({"interval": interval} if interval else {})}
    add_points(folder, ident, "io_convoy", "interference", means, params)


def _folder(tmp_path: Path, processes: int = 4) -> Path:
    folder = write_results(tmp_path / "r", ids=IDS, processes=processes, workloads=("countdown",))
    _convoy(folder, "3.13", {"1,default": 25.0, "1,0.001": 6.0}, processes)
    _convoy(folder, "3.13t", {"1,default": 1.0, "1,0.001": 1.0}, processes)
    _convoy(folder, "jython2.7", {"1,default": 1.0}, processes)
    return folder


def test_one_sentence_per_interpreter_from_the_interval(tmp_path: Path) -> None:
    doc = document(_folder(tmp_path))
    sec = section(doc, "convoy")
    assert sec.title == "I/O beside CPU-bound threads"
    lines = {item.split("**")[1]: item for item in bullets(sec)}
    assert set(lines) == set(IDS)
    assert "switch interval 5 ms" in lines["3.13"]
    assert re.search(r"beside 1 CPU-bound thread the I/O thread runs 2[45]\.\d+x slower "
                     r"\(2[45]\.\d+-2[56]\.\d+x\)", lines["3.13"]), lines["3.13"]
    assert re.search(r"at a 1 ms switch interval, the I/O thread runs [56]\.\d+x slower",
                     lines["3.13"])
    assert "no significant change" in lines["3.13t"] and "slower" not in lines["3.13t"]
    assert "1 ms" not in lines["jython2.7"]  # no settable interval there
    (table,) = tables(sec)
    assert table.headers[2:] == ["beside 1, default", "beside 1, 1 ms"]
    row = {str(r[0]): [str(c) for c in r] for r in table.rows}
    assert "slower" in row["3.13"][2] and "no significant change" in row["3.13t"][2]
    assert row["jython2.7"][3] == "not measured"
    assert any(c.filename == "chart-convoy.svg" and "<svg" in c.svg for c in doc.charts())
    csv_rows = [line.split(",") for line in doc.estimates.splitlines()]
    factor = next(r for r in csv_rows if r[0] == "3.13" and r[1] == "io_convoy"
                  and r[3] == "interval=default\"")
    assert 24.0 < float(factor[4]) < 26.0 and factor[-1] == "4"


def test_one_process_gives_no_verdict(tmp_path: Path) -> None:
    sec = section(document(_folder(tmp_path, processes=1)), "convoy")
    line = next(item for item in bullets(sec) if item.startswith("**3.13**"))
    assert "no verdict" in line and "slower" not in line


def test_without_convoy_points_the_section_says_so(tmp_path: Path) -> None:
    folder = write_results(tmp_path / "r", ids=("3.13",), workloads=("countdown",))
    sec = section(document(folder), "convoy")
    assert not tables(sec)
    assert "No I/O convoy results" in sec.blocks[0].text  # type: ignore[union-attr]
