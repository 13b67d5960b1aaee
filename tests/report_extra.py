"""Extra points for the synthetic results of ``report_data``: a workload's benchmarks added
to an interpreter's suite, one run per process with the given mean (small, seeded noise),
and the document built from the folder, read as data: its sections, tables, bullets and
texts (the model's blocks, not their Markdown)."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pyperf

from harness import results
from harness.report.build import build_document
from harness.report.document import Bullets, Chart, Document, Para, Section, Table
from harness.report.model import load_results


def add_points(folder: Path, ident: str, workload: str, kind: str,
               means: dict[str, list[float]], params: dict[str, dict[str, Any]] | None = None,
               extra: dict[str, list[dict[str, int]]] | None = None, noise: float = 0.01) -> None:
    """Add ``workload/key`` benchmarks to ``<ident>.json``: process i's values around
    ``means[key][i]``; ``params[key]`` and ``extra[key][i]`` go into the run metadata."""
    path = results.suite_path(folder, ident)
    suite = pyperf.BenchmarkSuite.load(str(path))
    common = suite.get_benchmarks()[0].get_runs()[0].get_metadata()
    rng = random.Random(f"{ident}:{workload}")
    for key, per_process in means.items():
        runs = []
        for process, mean in enumerate(per_process):
            meta = {k: common[k] for k in ("interpreter", "python_implementation",
                                           "python_version", "gil", "cpu_count", "hostname")}
            meta.update(name=f"{workload}/{key}", workload=workload, workload_kind=kind,
                        loops=1, process=process, **(params or {}).get(key, {}))
            if extra and key in extra:
                meta.update(extra[key][process])
            values = [mean * rng.uniform(1 - noise, 1 + noise) for _ in range(3)]
            runs.append(pyperf.Run(values, metadata=meta, collect_metadata=False))
        suite.add_benchmark(pyperf.Benchmark(runs))
    suite.dump(str(path), replace=True)


def document(folder: Path) -> Document:
    """The report's document model for ``folder``."""
    doc, _ = build_document(load_results(folder))
    return doc


def section(doc: Document, anchor: str) -> Section:
    """The section ``anchor`` of ``doc``."""
    return next(s for s in doc.sections if s.anchor == anchor)


def tables(sec: Section) -> list[Table]:
    """The section's tables, in order."""
    return [b for b in sec.blocks if isinstance(b, Table)]


def bullets(sec: Section) -> list[str]:
    """Every bullet item of the section, in order."""
    return [item for b in sec.blocks if isinstance(b, Bullets) for item in b.items]


def texts(doc: Document, anchor: str = "", after: str = "") -> list[str]:
    """The model's text in page order, no markup added: title, subtitle and intro, then each
    section's title, intro, paragraphs, bullet items, chart alts and captions, table headers,
    cells and captions. Only section ``anchor`` if given; from its first paragraph that
    contains ``after`` if given (a StopIteration when none does)."""
    out = [] if anchor else [doc.title, doc.subtitle, *doc.intro]
    for sec in doc.sections:
        if anchor and sec.anchor != anchor:
            continue
        blocks = sec.blocks
        if after:
            blocks = blocks[next(i for i, b in enumerate(blocks)
                                 if isinstance(b, Para) and after in b.text):]
        else:
            out += [sec.title, sec.intro]
        for b in blocks:
            if isinstance(b, Para):
                out.append(b.text)
            elif isinstance(b, Bullets):
                out += b.items
            elif isinstance(b, Chart):
                out += [b.alt, b.caption]
            else:
                out += [*b.headers, b.caption]
                out += [c if isinstance(c, str) else c.text for row in b.rows for c in row]
    return out


def has(doc: Document, words: str, anchor: str = "", after: str = "") -> bool:
    """Whether one text of the model (see ``texts``) holds ``words``."""
    return any(words in t for t in texts(doc, anchor, after))
