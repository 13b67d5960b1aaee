"""The document as Markdown (the report folder's README.md) and the project README's block."""

from __future__ import annotations

import os
import re
from pathlib import Path

from harness.fileutil import atomic_write_text
from harness.report.document import INLINE, Bullets, Cell, Document, Link, Para, Table
from harness.report.model import ReportError

# Characters that are Markdown (or inline HTML) wherever they stand; ``_`` only at a
# word's edge (inside a word it never emphasizes). ``&``: an entity would be decoded.
_SPECIAL = re.compile(r"[\\`*\[\]<>&|~#$]|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")
# At a line's start: a list item, a setext underline, an ordered list ("1." / "1)").
_LINE_START = re.compile(r"^([ \t]*)([-+=])|^([ \t]*\d+)([.)])", re.M)


def md_escape(text: str, line_start: bool = True) -> str:
    """``text`` as Markdown that shows exactly it: no markup, no HTML, no link, no heading.

    The one escaping function of every Markdown file the harness writes (README.md,
    compare.md, diff.md, reports/README.md): ids, user-entry notes, workload names,
    file names and reasons come from outside. ``line_start``: ``text`` begins a line.
    """
    out = _SPECIAL.sub(lambda m: "\\" + m.group(0), text)

    def start(m: re.Match[str]) -> str:
        if m.start() == 0 and not line_start:
            return m.group(0)
        if m.group(2):
            return f"{m.group(1)}\\{m.group(2)}"
        return f"{m.group(3)}\\{m.group(4)}"

    return _LINE_START.sub(start, out)


def md_code(text: str, in_table: bool = False) -> str:
    """``text`` as a code span, whatever backticks it holds (the fence is one longer).

    ``in_table``: ``|`` is escaped, which GitHub's tables require even in code.
    """
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or not text.strip() else ""
    body = text.replace("|", "\\|") if in_table else text
    return f"{fence}{pad}{body}{pad}{fence}"


def md_fence(text: str, info: str = "") -> list[str]:
    """A fenced code block holding ``text`` verbatim (the fence outgrows any run inside)."""
    longest = max((len(run) for run in re.findall(r"^[ \t]*(`{3,})", text, re.M)), default=0)
    fence = "`" * max(3, longest + 1)
    return [fence + info, text, fence]


def md_inline(text: str, line_start: bool = True, in_table: bool = False) -> str:
    """Text with the document's inline markup (`code`, **bold**); everything else escaped."""
    out: list[str] = []
    pos = 0
    for m in INLINE.finditer(text):
        out.append(md_escape(text[pos:m.start()], line_start and pos == 0))
        if m.group(1) is not None:
            out.append(md_code(m.group(1), in_table))
        else:
            out.append(f"**{md_escape(m.group(2), False)}**")
        pos = m.end()
    out.append(md_escape(text[pos:], line_start and pos == 0))
    return "".join(out)


def md_text(text: str) -> str:
    """A paragraph or list item: inline markup, each line escaped as the start of a line."""
    return "\n".join(md_inline(line) for line in text.split("\n"))


def _cell_md(cell: Cell) -> str:
    """A table cell on one line: newlines as ``<br>``; a link as a Markdown link."""
    if isinstance(cell, Link):
        return f"[{md_escape(cell.text, False)}]({cell.safe_href()})"
    return "<br>".join(md_inline(line, False, in_table=True) for line in cell.split("\n"))


def render_markdown(doc: Document) -> str:
    """README.md: the same sections, tables and charts (linked SVG files beside it).

    Every text goes through ``md_inline``/``md_escape``: what came from outside
    (ids, notes, workload names, reasons) shows as text, never as Markdown or HTML.
    """
    out = [f"# {md_escape(doc.title)}", "", f"_{md_inline(doc.subtitle, False)}_", ""]
    for p in doc.intro:
        out += [md_text(p), ""]
    out += [" · ".join(f"[{md_escape(s.title, False)}](#{_md_anchor(s.title)})"
                       for s in doc.sections), ""]
    for s in doc.sections:
        out += [f"## {md_escape(s.title)}", "", md_text(s.intro), ""]
        for b in s.blocks:
            if isinstance(b, Para):
                text = md_text(b.text)
                out += [f"**{text}**" if b.css == "subhead" else text, ""]
            elif isinstance(b, Bullets):
                out += ["- " + md_text(i).replace("\n", "<br>\n  ") for i in b.items] + [""]
            elif isinstance(b, Table):
                out += _table_md(b)
                out.append("")
                if b.caption:
                    out += [f"_{md_inline(b.caption, False)}_", ""]
            else:
                out += [_image_md(b.alt, b.filename), ""]
                if b.caption:
                    out += [f"_{md_inline(b.caption, False)}_", ""]
    out += ["---", "", "".join(_cell_md(p) if isinstance(p, Link) else md_inline(p)
                               for p in doc.footer), ""]
    return "\n".join(out)


def _image_md(alt: str, href: str) -> str:
    return f"![{md_escape(alt, False)}]({Link(alt, href).safe_href()})"


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
    folder = Link(report_dir, report_dir).safe_href()
    out = ["## Latest published report", "",
           f"[{md_escape(report_dir, False)}]({folder}/README.md) "
           f"({md_inline(doc.subtitle, False)}; "
           f"[HTML page]({folder}/index.html), [pyperf's comparison]"
           f"({folder}/compare.md)). The headline, from its suite files:", ""]
    headline = next((s for s in doc.sections if s.anchor == "headline"), None)
    table = next((b for b in headline.blocks if isinstance(b, Table)), None) if headline else None
    if table is not None:
        out += _table_md(table) + ["", f"_{md_inline(table.caption, False)}_", ""]
    chart = next((c for c in doc.charts() if c.filename.startswith("chart-scaling-")), None)
    if chart is not None:
        out += [_image_md(chart.alt, f"{report_dir}/{chart.filename}"), ""]
    return "\n".join(out)


def summary_block(doc: Document) -> str:
    """The headline as Markdown for a CI job's summary (``report --summary``, e.g. the file
    ``$GITHUB_STEP_SUMMARY`` names): the verdicts and the headline table, no chart (the
    summary has no files beside it)."""
    out = [f"### {md_escape(doc.title)}", "", f"_{md_inline(doc.subtitle, False)}_", ""]
    headline = next((s for s in doc.sections if s.anchor == "headline"), None)
    for b in headline.blocks if headline else []:
        if isinstance(b, Para):
            out += [md_text(b.text), ""]
        elif isinstance(b, Bullets):
            out += ["- " + md_text(i).replace("\n", "<br>\n  ") for i in b.items] + [""]
        elif isinstance(b, Table):
            out += _table_md(b) + [""]
            out += [f"_{md_inline(b.caption, False)}_", ""] if b.caption else []
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
