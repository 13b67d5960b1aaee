"""The document as Markdown (the report folder's README.md) and the project README's block."""

from __future__ import annotations

import os
import re
from pathlib import Path

from harness.fileutil import atomic_write_text
from harness.report.document import Bullets, Document, Para, Table
from harness.report.model import ReportError


def _cell_md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", "<br>")


def render_markdown(doc: Document) -> str:
    """README.md: the same sections, tables and charts (linked SVG files beside it)."""
    out = [f"# {doc.title}", "", f"_{doc.subtitle}_", ""]
    for p in doc.intro:
        out += [p, ""]
    out += [" · ".join(f"[{s.title}](#{_md_anchor(s.title)})" for s in doc.sections), ""]
    for s in doc.sections:
        out += [f"## {s.title}", "", s.intro, ""]
        for b in s.blocks:
            if isinstance(b, Para):
                out += [f"**{b.text}**" if b.css == "subhead" else b.text, ""]
            elif isinstance(b, Bullets):
                out += ["- " + i.replace("\n", "<br>\n  ") for i in b.items] + [""]
            elif isinstance(b, Table):
                out += _table_md(b)
                out.append("")
                if b.caption:
                    out += [f"_{b.caption}_", ""]
            else:
                out += [f"![{b.alt}]({b.filename})", ""]
                if b.caption:
                    out += [f"_{b.caption}_", ""]
    out += ["---", "",
            "Made by `python -m harness report` from the pyperf files in this folder; "
            "[compare.md](compare.md) is pyperf's own comparison.", ""]
    return "\n".join(out)


def _table_md(b: Table) -> list[str]:
    lines = ["| " + " | ".join(_cell_md(h) for h in b.headers) + " |"]
    lines.append("|" + "|".join(
        "---:" if i >= b.numeric_from else "---" for i in range(len(b.headers))
    ) + "|")
    lines += ["| " + " | ".join(_cell_md(c) for c in row) + " |" for row in b.rows]
    return lines


README_START = "<!-- latest-report:start -->"
README_END = "<!-- latest-report:end -->"


def readme_block(doc: Document, report_dir: str) -> str:
    """The project README's summary of a published report: headline table and scaling chart.

    ``report_dir`` is the report folder relative to the README. Everything comes
    from ``doc`` (built from the result files), as the report itself does.
    """
    out = ["## Latest published report", "",
           f"[{report_dir}]({report_dir}/README.md) ({doc.subtitle}; "
           f"[HTML page]({report_dir}/index.html), [pyperf's comparison]"
           f"({report_dir}/compare.md)). The headline, from its suite files:", ""]
    headline = next((s for s in doc.sections if s.anchor == "headline"), None)
    table = next((b for b in headline.blocks if isinstance(b, Table)), None) if headline else None
    if table is not None:
        out += _table_md(table) + ["", f"_{table.caption}_", ""]
    chart = next((c for c in doc.charts() if c.filename.startswith("chart-scaling-")), None)
    if chart is not None:
        out += [f"![{chart.alt}]({report_dir}/{chart.filename})", ""]
    return "\n".join(out)


def update_readme(readme: Path, doc: Document, report_dir: Path) -> None:
    """Replace the block between the README's latest-report markers with ``readme_block``."""
    text = readme.read_text(encoding="utf-8")
    start, end = text.find(README_START), text.find(README_END)
    if start < 0 or end < start:
        raise ReportError(
            f"{readme} has no {README_START} ... {README_END} block",
            "add both markers where the summary should go",
        )
    rel = os.path.relpath(report_dir.resolve(), readme.resolve().parent)
    block = readme_block(doc, Path(rel).as_posix())
    new = text[: start + len(README_START)] + "\n" + block + "\n" + text[end:]
    atomic_write_text(readme, new)


def _md_anchor(title: str) -> str:
    return re.sub(r"[^a-z0-9 -]", "", title.lower()).replace(" ", "-")
