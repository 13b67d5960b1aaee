"""Interpreter facts: what each interpreter said about itself, one row per interpreter."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from harness import stats
from harness.report.context import Context
from harness.report.document import Section, Table
from harness.report.model import InterpreterResults

Column = tuple[str, Callable[[InterpreterResults], str]]


def facts(ctx: Context) -> Section:
    """Two tables with interpreters as rows: build and run time, then details."""
    sec = Section(
        "facts", "Interpreter facts",
        "What each interpreter reported about itself at run time (the probe), and where it "
        "ran. CPython builds differ in their optimizations (PGO, LTO): a single-thread "
        "difference between two builds is not only a difference between versions.",
    )
    main: list[Column] = [
        ("implementation, GIL at run time", lambda r: r.description),
        ("free-threaded build", _probe("gil_disabled_build")),
        ("build optimizations (PGO, LTO)", _optimizations),
        ("switch interval", lambda r: fmt_seconds(r.probe.get("switch_interval"))),
        ("CPUs seen", _probe("cpu_count")),
        ("where it ran", _where),
    ]
    if any(_thread_start(ctx, r) for r in ctx.results):
        main.append(("thread start + join (95% interval)", lambda r: _thread_start(ctx, r)))
    if any(r.interrupted is not None for r in ctx.results):
        main.append(("run", lambda r: r.interrupted_text() or "complete"))
    if any(r.facts.work for r in ctx.results):
        main.append(("work scaled", _work))
    details: list[Column] = [
        ("executable", _probe("executable")),
        ("check interval", _probe("check_interval")),
        ("sys.getrefcount (the notebook's example)", _probe("getrefcount")),
        ("bytecode of n += 1", lambda r: _fmt_dis(r.probe.get("dis_increment"))),
        ("multiprocessing", _probe("multiprocessing")),
        ("threads", _probe("threads")),
        ("platform", _probe("platform")),
    ]
    if any(r.probe.get("java_version") for r in ctx.results):
        details.append(("Java", _probe("java_version")))
    for columns, css in ((main, "facts"), (details, "facts wide")):
        rows = [[r.id] + [get(r) for _, get in columns] for r in ctx.results]
        sec.blocks.append(Table(["interpreter"] + [name for name, _ in columns], rows,
                                numeric_from=99, css=css))
    return sec


def _probe(key: str) -> Callable[[InterpreterResults], str]:
    return lambda r: fmt_fact(r.probe.get(key))


def _optimizations(r: InterpreterResults) -> str:
    if r.implementation != "cpython":
        return "n/a (not CPython)"
    value = r.probe.get("build_optimizations")
    if value is None:
        return "not recorded"
    text = str(value)
    if text == "none" or text.startswith("none,"):
        return "no PGO, no LTO declared" + text[len("none"):]
    return fmt_fact(value)


def _thread_start(ctx: Context, r: InterpreterResults) -> str:
    """The thread start + join point (the workload of role ``thread_start``), if measured."""
    if r.suite is None:
        return ""
    names = [n for n in r.suite.get_benchmark_names()
             if n in ctx.points and ctx.points[n].role == "start_cost"]
    if not names:
        return ""
    bench = r.suite.get_benchmark(names[0])
    est = stats.bench_mean(bench)
    half = est.half_width()
    text = bench.format_value(est.value)
    return text + (f" ± {bench.format_value(half)}" if half is not None else " (1 process)")


def _work(r: InterpreterResults) -> str:
    work = r.facts.work or {}
    parts = []
    for name in sorted(work):
        entry = work[name]
        scale = entry.get("scale") if isinstance(entry, dict) else None
        if isinstance(scale, (int, float)) and scale != 1:
            parts.append(f"{name} x{scale:g}")
    return "\n".join(parts) or "default sizes"


def fmt_fact(value: Any) -> str:
    """A probe value in words ("yes", "n/a", one line per list item)."""
    if value is None:
        return "n/a"
    if value is True:
        return "yes"
    if value is False:
        return "no"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, (list, tuple)):
        return "\n".join(str(v) for v in value)
    return str(value)


def fmt_seconds(value: Any) -> str:
    """Seconds as milliseconds ("5 ms"); "not available" for None."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return f"{value * 1e3:g} ms"
    return "not available" if value is None else str(value)


def _fmt_dis(value: Any) -> str:
    if isinstance(value, list):
        return "\n".join(str(v) for v in value) or "(empty)"
    return fmt_fact(value)


def _where(r: InterpreterResults) -> str:
    container = r.spec.get("container")
    source = r.spec.get("source")
    if isinstance(container, dict):
        where = f"container: {container.get('engine', '?')}, image {container.get('image', '?')}"
    else:
        where = f"host ({source})" if source else "host"
    notes = r.spec.get("notes")  # a user entry's notes, the harness's own remarks
    if isinstance(notes, list) and notes:
        where += "\n" + "\n".join(str(n) for n in notes)
    return where
