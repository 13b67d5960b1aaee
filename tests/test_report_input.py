"""The report on input it did not write: corrupt files, hostile names, interrupted runs.

Results folders are made with pyperf's own API (tests/report_data.py), then damaged
or renamed as a careless or hostile hand would; every command runs for real
(``main``, the CLI's entry point), and the Markdown it writes is rendered by a
CommonMark renderer with inline HTML allowed, as a code host would before its
sanitizer, to check that nothing from outside becomes markup.
"""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path

import pyperf
import pytest
from markdown_it import MarkdownIt
from report_data import write_interpreter, write_results

from harness import report, results
from harness.__main__ import main
from harness.report import model
from harness.report.markdown import md_code, md_escape, md_inline
from harness.report.model import stray_files

EVIL_ID = '"><img src=x onerror=alert(1)>'
EVIL_NOTE = ("<script>alert(2)</script> [click](javascript:alert(3)) **bold** `code` | pipe "
             "&lt;b&gt;\n# a heading\n- a list")
EVIL_WORKLOAD = "w<img src=y onerror=alert(4)>_|[a](javascript:alert(5))"
EVIL_REASON = "<iframe src=javascript:alert(6)></iframe> ```\n</details>"


class _Tags(HTMLParser):
    """Every start tag with its attributes, and the text, of an HTML document."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def assert_inert(page: str) -> str:
    """No script, no event handler, no javascript: link, no hostile img/iframe; the text."""
    parser = _Tags()
    parser.feed(page)
    for tag, attrs in parser.tags:
        assert tag not in ("script", "iframe"), (tag, attrs)
        assert not any(name.startswith("on") for name in attrs), (tag, attrs)
        for name in ("href", "src"):
            value = (attrs.get(name) or "").strip().lower()
            assert not value.startswith("javascript"), (tag, attrs)
        if tag == "img":
            assert str(attrs.get("src")).endswith(".svg"), attrs  # only our charts
    return "".join(parser.text)


def markdown_html(text: str) -> str:
    """Markdown as a code host renders it before sanitizing: CommonMark, tables, inline HTML."""
    return MarkdownIt("commonmark", {"html": True}).enable("table").render(text)


def _hostile_folder(folder: Path) -> Path:
    """3.13 as it is, and 3.13t renamed to EVIL_ID with hostile notes, workload and reason."""
    folder.mkdir(parents=True)
    write_interpreter(folder, "3.13")
    write_interpreter(folder, "3.13t")
    suite = pyperf.BenchmarkSuite.load(str(folder / "3.13t.json"))
    benches = []
    for bench in suite.get_benchmarks():
        name = bench.get_name()
        if name.startswith("switch_latency/"):
            name = EVIL_WORKLOAD + name[len("switch_latency"):]
        runs = []
        for run in bench.get_runs():
            meta = dict(run.get_metadata(), name=name, interpreter=EVIL_ID)
            if name.startswith(EVIL_WORKLOAD):
                meta["workload"] = EVIL_WORKLOAD
            runs.append(pyperf.Run(run.values, warmups=run.warmups, metadata=meta,
                                   collect_metadata=False))
        benches.append(pyperf.Benchmark(runs))
    (folder / "3.13t.json").unlink()
    pyperf.BenchmarkSuite(benches).dump(str(folder / f"{EVIL_ID}.json"))
    facts = results.Facts.load(folder / "3.13t.facts.json")
    (folder / "3.13t.facts.json").unlink()
    facts.interpreter["id"] = EVIL_ID
    facts.interpreter["notes"] = [EVIL_NOTE]
    facts.outcomes.append(results.Outcome(f"{EVIL_WORKLOAD}/interval=0.5", "failed", EVIL_REASON))
    facts.save(folder / f"{EVIL_ID}.facts.json")
    return folder


def test_markdown_escape_leaves_no_markup() -> None:
    for text in (EVIL_ID, EVIL_NOTE, EVIL_WORKLOAD, EVIL_REASON, "a_b _c_ *d* ~~e~~ $f$ #g"):
        rendered = markdown_html(md_escape(text))
        assert_inert(rendered)
        for tag in ("<em>", "<strong>", "<a ", "<h1>", "<li>", "<code>", "<del>"):
            assert tag not in rendered, (text, rendered)
    assert md_inline("`x` and **y**") == "`x` and **y**"  # the document's own markup stays
    assert md_code("a`b") == "``a`b``"
    assert md_escape("counter_race") == "counter_race"  # inside a word: never emphasis


def test_hostile_names_stay_text_everywhere(tmp_path: Path) -> None:
    """README.md, index.html, compare.md, diff.md/html, reports/README.md and index.html."""
    folder = _hostile_folder(tmp_path / "results")
    # (--allow-partial: should results.list_ids refuse the id as a name, the files are
    # named as skipped instead, and the id must still show as text)
    assert main(["report", str(folder), "--allow-partial"]) == 0
    out = folder / "report"
    readme = (out / "README.md").read_text()
    text = assert_inert(markdown_html(readme))
    assert EVIL_ID in text and "<script>alert(2)</script>" in text
    assert EVIL_WORKLOAD in text
    assert "</details>" in text  # the reason, shown as text
    assert EVIL_ID in assert_inert((out / "index.html").read_text())
    assert EVIL_ID in assert_inert(markdown_html((out / "compare.md").read_text()))
    if not (out / f"{EVIL_ID}.json").exists():
        return  # the id was refused as a name: no suite of it to compare or publish
    assert main(["diff", str(folder), str(folder), "-o", str(tmp_path / "diff")]) == 0
    for name in ("diff.md", "diff.html"):
        page = (tmp_path / "diff" / name).read_text()
        text = assert_inert(markdown_html(page) if name.endswith(".md") else page)
        assert EVIL_ID in text, name
    reports = tmp_path / "reports"
    published = reports / f"2026-01-01-{EVIL_ID}"
    published.mkdir(parents=True)
    for f in out.glob("*.json"):
        (published / f.name).write_bytes(f.read_bytes())
    assert main(["publish", str(reports)]) == 0
    for name in ("README.md", "index.html"):
        page = (reports / name).read_text()
        text = assert_inert(markdown_html(page) if name.endswith(".md") else page)
        assert published.name in text, name


def test_published_links_are_links_and_never_javascript(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    for name in ("2026-01-01-a", "2026-01-02-javascript:alert(1)"):
        write_results(reports / name, ids=("3.13", "3.13t"))
    assert main(["publish", str(reports)]) == 0
    page = (reports / "index.html").read_text()
    assert '<a href="2026-01-01-a/">2026-01-01-a</a>' in page
    assert "javascript%3Aalert" in page and 'href="2026-01-02-javascript:' not in page
    md = markdown_html((reports / "README.md").read_text())
    assert '<a href="2026-01-01-a/">2026-01-01-a</a>' in md
    assert_inert(md)


# ------------------------------------------------------------------ corrupt input


def _damaged(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A folder of 3.13 and 3.13t, plus three files the report cannot read; name -> why."""
    folder = write_results(tmp_path / "results", ids=("3.13", "3.13t"))
    good = (folder / "3.13t.json").read_bytes()
    write_interpreter(folder, "2.7")
    (folder / "2.7.json").write_bytes(good[: len(good) // 2])  # cut mid-write
    (folder / "stray.json").write_text(json.dumps({"name": "not a suite"}))
    facts = json.loads((folder / "3.13.facts.json").read_text())
    facts["version"] = 99
    write_interpreter(folder, "pypy3.9")
    (folder / "pypy3.9.facts.json").write_text(json.dumps(facts))
    return folder, {"2.7.json": "truncated or damaged JSON",
                    "stray.json": "pyperf 2",
                    "pypy3.9.facts.json": "unknown facts format version 99"}


def test_corrupt_input_is_named_on_stderr_and_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder, expected = _damaged(tmp_path)
    assert main(["report", str(folder)]) == 1
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == len(expected) + 1, captured.err
    for name, why in expected.items():
        line = next(x for x in lines if str(folder / name) in x)
        assert why in line and "(" in line  # which file, why, what to do
    assert lines[-1].startswith("error: 3 unreadable files skipped")
    assert "--allow-partial" in lines[-1]
    assert "report:" in captured.out  # the report is still written, with the files listed
    for page in ((folder / "report" / "README.md"), (folder / "report" / "index.html")):
        text = page.read_text()
        assert "Files skipped, unreadable" in text
        for name in expected:
            assert name in text, (page, name)


def test_facts_nested_too_deep_or_of_the_wrong_shape(tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    """json's RecursionError is a skipped file; a mis-shaped sampling record reads as absent."""
    folder = tmp_path / "results"
    folder.mkdir()
    write_interpreter(folder, "3.13", new_facts=True)
    write_interpreter(folder, "3.13t", new_facts=True)
    (folder / "3.13t.facts.json").write_text("[" * 100000)
    assert main(["report", str(folder)]) == 1
    err = capsys.readouterr().err
    assert "3.13t.facts.json: JSON nested too deeply" in err and "Traceback" not in err
    write_interpreter(folder, "3.13t", new_facts=True)
    facts = results.Facts.load(folder / "3.13t.facts.json")
    assert facts.sampling is not None
    facts.sampling["points"] = {"countdown/threads=1": "met", "countdown/threads=2": 5}
    facts.sampling["target"] = ["not", "an", "object"]
    facts.save(folder / "3.13t.facts.json")
    assert main(["report", str(folder)]) == 0
    assert "0 of 2 points" in (folder / "report" / "README.md").read_text()


def test_allow_partial_accepts_a_partial_report(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    folder, expected = _damaged(tmp_path)
    assert main(["report", str(folder), "--allow-partial"]) == 0
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == len(expected) and "error:" not in err


def test_a_clean_folder_says_nothing_on_stderr(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    folder = write_results(tmp_path / "results", ids=("3.13", "3.13t"))
    assert main(["report", str(folder)]) == 0
    assert capsys.readouterr().err == ""
    assert "skipped, unreadable" not in (folder / "report" / "README.md").read_text()


# ------------------------------------------------------------------ interrupted runs


def _interrupt(folder: Path, ident: str, workload: str | None, signal: str = "SIGTERM") -> None:
    """Mark ``ident``'s run as cut by ``signal`` during ``workload`` (the runner's contract)."""
    facts = results.Facts.load(results.facts_path(folder, ident))
    facts.run["interrupted"] = {"signal": signal, "at": "2026-11-26T21:00:00+00:00"}
    if workload is not None:
        facts.outcomes = [o for o in facts.outcomes if o.status == "ok"]
        facts.outcomes.append(results.Outcome(workload, "interrupted", f"{signal} during the run"))
    facts.save(results.facts_path(folder, ident))


def _row(readme: str, header: str, ident: str) -> list[str]:
    """The cells of ``ident``'s row in the first table after ``header``."""
    rest = readme[readme.index(header):]
    line = next(x for x in rest.splitlines() if x.startswith(f"| {ident} |"))
    return [c.strip() for c in line.strip("|").split(" | ")]


def test_interrupted_run_reads_interrupted_not_not_measured(tmp_path: Path) -> None:
    folder = tmp_path / "results"
    folder.mkdir()
    write_interpreter(folder, "3.13")
    write_interpreter(folder, "3.13t", workloads=("countdown",))  # cut in counter_race
    _interrupt(folder, "3.13t", "counter_race")
    write_interpreter(folder, "pypy3.9", suite=False)  # cut in its first workload
    _interrupt(folder, "pypy3.9", "countdown", "SIGINT")
    assert main(["report", str(folder)]) == 0
    readme = (folder / "report" / "README.md").read_text()
    row = _row(readme, "| interpreter | GIL |", "3.13t")
    assert row[3] == "interrupted" and row[4] == "not reached (interrupted)", row
    assert "**Interrupted**" in readme
    assert "3.13t (interrupted by SIGTERM at 2026-11-26T21:00:00+00:00)" in readme
    assert "**pypy3.9** (" in readme
    assert "interrupted by SIGINT at 2026-11-26T21:00:00+00:00, before anything was measured" \
        in readme
    assert "**3.13t**: `counter_race` interrupted" in readme
    assert "**3.13t**: not reached (run interrupted by SIGTERM" in readme
    facts_row = _row(readme, "| interpreter | implementation, GIL at run time", "3.13t")
    assert "interrupted by SIGTERM at 2026-11-26T21:00:00+00:00" in facts_row
    assert "not measured (no suite file)" not in readme.split("## Headline")[-1].split("##")[0]
    html = (folder / "report" / "index.html").read_text()
    assert "not reached (interrupted)" in html and "<td class=\"num\">interrupted</td>" in html
    # The run says which workloads it meant to measure: one it did not is "not measured".
    facts = results.Facts.load(results.facts_path(folder, "3.13t"))
    facts.run["workloads"] = ["countdown", "counter_race"]
    facts.save(results.facts_path(folder, "3.13t"))
    assert main(["report", str(folder)]) == 0
    row = _row((folder / "report" / "README.md").read_text(), "| interpreter | GIL |", "3.13t")
    assert row[3] == "interrupted" and row[4] == "not measured", row


def test_report_files_module_keeps_the_skipped_list(tmp_path: Path) -> None:
    folder, expected = _damaged(tmp_path)
    files = report.write_report(folder)
    assert sorted(name for name, _ in files.skipped) == sorted(expected)


def test_a_later_interrupted_run_kept_apart_is_mentioned(tmp_path: Path) -> None:
    folder = write_results(tmp_path / "results", ids=("3.13", "3.13t"))
    apart = results.interrupted_facts_path(folder, "3.13t")
    apart.parent.mkdir()
    facts = results.Facts.load(results.facts_path(folder, "3.13t"))
    facts.run["interrupted"] = {"signal": "SIGHUP", "at": "2026-11-26T21:30:00+00:00"}
    facts.save(apart)
    assert main(["report", str(folder)]) == 0
    readme = (folder / "report" / "README.md").read_text()
    assert ("**A later run was interrupted**: **3.13t** (interrupted by SIGHUP at "
            "2026-11-26T21:30:00+00:00)") in readme
    assert "**Interrupted**" not in readme  # the complete run shown was not cut


def test_files_that_belong_to_no_interpreter_are_named(tmp_path: Path) -> None:
    folder = write_results(tmp_path / "results", ids=("3.13", "3.13t"))
    loaded = [r for r in model.load_results(folder) if r.id != "3.13t"]
    assert [name for name, _ in stray_files(folder, loaded)] == ["3.13t.facts.json",
                                                                  "3.13t.json"]


def test_suites_pyperf_accepts_but_no_runner_writes(tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    """Found by changing each run-metadata key to odd values: a negative lost-update count
    is not drawn (matplotlib refused it), a benchmark named by a number is a skipped file."""
    folder = write_results(tmp_path / "results", ids=("3.13", "3.13t"))
    data = json.loads((folder / "3.13t.json").read_text())
    for bench in data["benchmarks"]:
        for run in bench["runs"]:
            if "lost_updates" in run.get("metadata", {}):
                run["metadata"]["lost_updates"] = -1
    (folder / "3.13t.json").write_text(json.dumps(data))
    assert main(["report", str(folder)]) == 0
    data["benchmarks"][0]["metadata"]["name"] = 0
    (folder / "3.13t.json").write_text(json.dumps(data))
    assert main(["report", str(folder)]) == 1
    assert "3.13t.json: not a pyperf suite" in capsys.readouterr().err
    assert main(["diff", str(folder), str(folder)]) == 2
    assert "3.13t.json" in capsys.readouterr().err
