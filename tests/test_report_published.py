"""Published reports re-render with identical numbers.

The report is built from its result files alone, so a published report folder,
rendered again by the current code, must print the same figures. Each case
compares the fresh ``estimates.csv`` with the one committed: beside the report
(2026-12-07), or, for a report published before the file existed (2026-11-26),
a copy rendered from the same suites when the file was introduced
(``tests/published/``). Every figure must be identical as printed (six
significant digits).
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from harness.report import write_report
from harness.report.estimates import FILE

ROOT = Path(__file__).resolve().parent.parent
KEPT = Path(__file__).resolve().parent / "published"
CASES = {
    "2026-12-07-debian12-2cpu-x86_64": ROOT / "reports/2026-12-07-debian12-2cpu-x86_64" / FILE,
    "2026-11-26-debian12-2cpu-x86_64": KEPT / "2026-11-26-debian12-2cpu-x86_64.estimates.csv",
}


def _rows(path: Path) -> dict[tuple[str, str, str], tuple[str, ...]]:
    with path.open(newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        next(reader)
        return {(r[0], r[1], r[2]): tuple(r[3:]) for r in reader}


@pytest.mark.parametrize("name", sorted(CASES))
def test_published_report_re_renders_the_same_figures(name: str, tmp_path: Path) -> None:
    folder = ROOT / "reports" / name
    write_report(folder, tmp_path / "out")
    fresh, kept = _rows(tmp_path / "out" / FILE), _rows(CASES[name])
    assert sorted(fresh) == sorted(kept)  # the same figures
    changed = {k: (kept[k], fresh[k]) for k in kept if fresh[k] != kept[k]}
    assert not changed
    # Each workload an interpreter could not run is named once on the page (it was named
    # in its scaling section and again under the three ways).
    md = (tmp_path / "out" / "README.md").read_text(encoding="utf-8")
    unsupported = [line for line in md.splitlines() if "` unsupported" in line]
    assert len(unsupported) == len(set(unsupported))
