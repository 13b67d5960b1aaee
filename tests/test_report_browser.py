"""index.html in a real headless browser: no console error, every chart drawn.

Needs Debian's ``chromium`` and ``chromium-driver`` (apt); selenium is given the
driver's path, so selenium-manager never tries to download one.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from report_data import INTERPRETERS, write_interpreter, write_results

from harness import report

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not (CHROMIUM.exists() and CHROMEDRIVER.exists()),
        reason="needs /usr/bin/chromium and /usr/bin/chromedriver "
        "(apt-get install chromium chromium-driver)",
    ),
]


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """A headless Chromium with a fresh profile and browser console logging."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for arg in (
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--no-first-run", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--window-size=1280,1000",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}",
    ):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    # An explicit driver path: selenium-manager must not look for (or download) one.
    env = dict(os.environ, SE_AVOID_STATS="true")
    service = Service(str(CHROMEDRIVER), env=env)
    driver = webdriver.Chrome(service=service, options=options)
    try:
        yield driver
    finally:
        driver.quit()


def _check_page(driver: object, page: Path) -> list[dict[str, object]]:
    """Load ``page``; return the drawn-chart facts; assert no SEVERE console entry."""
    driver.get(page.as_uri())  # type: ignore[attr-defined]
    charts = driver.execute_script(  # type: ignore[attr-defined]
        """
        return Array.from(document.querySelectorAll('svg')).map(function (svg) {
          var box = svg.getBoundingClientRect();
          return {id: svg.parentElement.id, width: box.width, height: box.height,
                  paths: svg.querySelectorAll('path').length,
                  drawn: Array.from(svg.querySelectorAll('path')).filter(function (p) {
                    var b = p.getBBox(); return b.width > 0 || b.height > 0; }).length,
                  texts: svg.querySelectorAll('text').length};
        });
        """
    )
    logs = driver.get_log("browser")  # type: ignore[attr-defined]
    severe = [entry for entry in logs if entry.get("level") == "SEVERE"]
    assert severe == [], severe
    return list(charts)


def test_full_report_charts_render(browser: object, tmp_path: Path) -> None:
    results = write_results(tmp_path / "results")
    files = report.write_report(results)
    charts = _check_page(browser, files.html)
    assert {c["id"] for c in charts} == {p.stem for p in files.charts}
    for chart in charts:
        assert chart["width"] > 100 and chart["height"] > 100, chart
        assert chart["paths"] > 0 and chart["drawn"] > 0, chart
        assert chart["texts"] > 0, chart  # axis labels and legends are text
    title = browser.title  # type: ignore[attr-defined]
    assert "Python threads" in title


def test_partial_report_renders_without_errors(browser: object, tmp_path: Path) -> None:
    results = tmp_path / "results"
    results.mkdir()
    write_interpreter(results, "3.13t", workloads=("countdown",))
    write_interpreter(results, "pypy3.9", suite=False)
    files = report.write_report(results)
    charts = _check_page(browser, files.html)
    assert len(charts) == len(files.charts) >= 1
    for chart in charts:
        assert chart["width"] > 100 and chart["drawn"] > 0, chart


def test_a_dozen_interpreters_stay_readable_at_1280px(browser: object, tmp_path: Path) -> None:
    """Every interpreter's facts row is visible, unclipped, in a 1280 px window."""
    ids = tuple(INTERPRETERS)
    assert len(ids) >= 12
    results = write_results(tmp_path / "results", ids=ids)
    files = report.write_report(results)
    _check_page(browser, files.html)
    rows = browser.execute_script(  # type: ignore[attr-defined]
        """
        var width = document.documentElement.clientWidth;
        return Array.from(document.querySelectorAll('#facts table')).map(function (table) {
          var wrap = table.parentElement.getBoundingClientRect();
          return Array.from(table.querySelectorAll('tbody tr')).map(function (tr) {
            var cell = tr.cells[0].getBoundingClientRect();
            return {id: tr.cells[0].textContent, left: cell.left, right: cell.right,
                    width: cell.width, height: cell.height, wrapLeft: wrap.left,
                    wrapRight: wrap.right, page: width,
                    fits: table.scrollWidth <= table.parentElement.clientWidth + 1,
                    scrolls: getComputedStyle(table.parentElement).overflowX};
          });
        });
        """
    )
    assert len(rows) == 2
    for table in rows:
        assert sorted(r["id"] for r in table) == sorted(ids)
        for row in table:
            assert row["width"] > 0 and row["height"] > 0, row
            assert row["wrapLeft"] <= row["left"] and row["right"] <= row["wrapRight"], row
            assert row["wrapRight"] <= row["page"], row
            # Wider than the page: it scrolls inside its own box, the page does not.
            assert row["fits"] or row["scrolls"] == "auto", row
    # The main facts table (build, GIL, PGO/LTO, where it ran) fits without scrolling.
    assert all(row["fits"] for row in rows[0]), rows[0][0]
    overflow = browser.execute_script(  # type: ignore[attr-defined]
        "return document.documentElement.scrollWidth - document.documentElement.clientWidth;")
    assert overflow <= 0



def test_skipped_files_and_hostile_names_show_as_text(browser: object, tmp_path: Path) -> None:
    """The page lists an unreadable file; a hostile id, note and workload are text, in the
    page and in README.md rendered as a code host would (inline HTML allowed)."""
    from test_report_input import EVIL_ID, EVIL_WORKLOAD, _hostile_folder, markdown_html

    folder = _hostile_folder(tmp_path / "results")
    write_interpreter(folder, "2.7")
    (folder / "2.7.json").write_text('{"benchmarks": [', encoding="utf-8")
    files = report.write_report(folder)
    readme_page = files.output / "readme-rendered.html"  # beside the charts it links
    readme_page.write_text("<!DOCTYPE html><meta charset='utf-8'>"
                           + markdown_html(files.markdown.read_text()), encoding="utf-8")
    for page in (files.html, readme_page):
        _check_page(browser, page)  # an alert() would stop it: no script ran
        found = browser.execute_script(  # type: ignore[attr-defined]
            "return {text: document.body.innerText, bad: document.querySelectorAll("
            "'script, iframe, [onerror], img:not([src$=\".svg\"])').length};")
        assert found["bad"] == 0, page
        assert "Files skipped, unreadable" in found["text"] and "2.7.json" in found["text"]
        if (folder / f"{EVIL_ID}.json").exists() and files.html == page:
            assert EVIL_ID in found["text"] and EVIL_WORKLOAD in found["text"]


def test_convoy_and_cores_charts_render(browser: object, tmp_path: Path) -> None:
    """The I/O convoy's bars and the one-panel-per-core-count chart, drawn in the page."""
    from report_extra import add_points

    results = write_results(tmp_path / "results", ids=("2.7", "3.13"), processes=3,
                            workloads=("countdown",))
    for ident, factor in (("2.7", 2.0), ("3.13", 25.0)):
        add_points(results, ident, "io_convoy", "interference",
                   {"cpu_threads=0,interval=default": [0.004] * 3,
                    "cpu_threads=1,interval=default": [0.004 * factor] * 3},
                   params={"cpu_threads=0,interval=default": {"cpu_threads": 0},
                           "cpu_threads=1,interval=default": {"cpu_threads": 1}})
        add_points(results, ident, "countdown", "strong",
                   {"threads=1,cpus=1": [0.05] * 3, "threads=2,cpus=1": [0.05] * 3},
                   params={"threads=1,cpus=1": {"threads": 1, "cpus": 1},
                           "threads=2,cpus=1": {"threads": 2, "cpus": 1}})
    files = report.write_report(results)
    charts = {c["id"]: c for c in _check_page(browser, files.html)}
    for name in ("chart-convoy", "chart-cores"):
        assert name in charts, sorted(charts)
        assert charts[name]["width"] > 100 and charts[name]["drawn"] > 0, charts[name]
