"""The document as one self-contained HTML page: inline CSS and SVG, no script, no network.

The style sheet is package data (``report.css``) read once and inlined.
"""

from __future__ import annotations

import html
import re
from importlib import resources

from harness.report.document import INLINE, Block, Bullets, Cell, Document, Link, Para, Table

_CSS = "\n" + resources.files("harness.report").joinpath("report.css").read_text(encoding="utf-8")


def inline_html(text: str) -> str:
    """Text with the document's inline markup (`code`, **bold**); everything else escaped."""
    out = []
    pos = 0
    for m in INLINE.finditer(text):
        out.append(html.escape(text[pos:m.start()]))
        if m.group(1) is not None:
            out.append(f"<code>{html.escape(m.group(1))}</code>")
        else:
            out.append(f"<strong>{html.escape(m.group(2))}</strong>")
        pos = m.end()
    out.append(html.escape(text[pos:]))
    return "".join(out)


def _item_html(text: str) -> str:
    """A list item; lines after the first are its details (smaller, below)."""
    first, _, rest = text.partition("\n")
    detail = f'<span class="detail">{inline_html(rest)}</span>' if rest else ""
    return f"<li>{inline_html(first)}{detail}</li>"


def _cell_html(cell: Cell) -> str:
    if isinstance(cell, Link):
        return f'<a href="{html.escape(cell.safe_href())}">{html.escape(cell.text)}</a>'
    return "<br>".join(html.escape(line) for line in cell.split("\n"))


def _cell_inline(text: str) -> str:
    """A header cell: inline markup (`code` in a header is code, not backticks), line breaks."""
    return "<br>".join(inline_html(line) for line in text.split("\n"))


def _svg_inline(svg: str, label: str, prefix: str) -> str:
    """The SVG element alone (no XML prolog), labelled for screen readers.

    matplotlib numbers its element ids per figure ("patch_1"...): several charts
    in one page would repeat them, so every id and reference gets ``prefix``.
    """
    start = svg.find("<svg")
    body = svg[start:].strip()
    # The RDF metadata (creator, format) is for standalone files; a page does not need it.
    body = re.sub(r"\s*<metadata>.*?</metadata>", "", body, count=1, flags=re.S)
    body = re.sub(r'\bid="([^"]+)"', lambda m: f'id="{prefix}-{m.group(1)}"', body)
    body = re.sub(r"url\(#([^)]+)\)", lambda m: f"url(#{prefix}-{m.group(1)})", body)
    body = re.sub(r'href="#([^"]+)"', lambda m: f'href="#{prefix}-{m.group(1)}"', body)
    return body.replace("<svg", f'<svg role="img" aria-label="{html.escape(label)}"', 1)





def render_html(doc: Document) -> str:
    """The self-contained page: inline CSS and SVG, no script, no external resource."""
    out = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{html.escape(doc.title)}</title>",
        f"<style>{_CSS}</style>",
        "</head>",
        "<body>",
        "<main>",
        "<header>",
        f"<h1>{html.escape(doc.title)}</h1>",
        f'<p class="subtitle">{html.escape(doc.subtitle)}</p>',
        "</header>",
    ]
    out += [f"<p>{inline_html(p)}</p>" for p in doc.intro]
    out.append('<nav class="toc">' + "".join(
        f'<a href="#{s.anchor}">{html.escape(s.title)}</a>' for s in doc.sections) + "</nav>")
    for s in doc.sections:
        out.append(f'<section id="{s.anchor}">')
        out.append(f"<h2>{html.escape(s.title)}</h2>")
        out.append(f'<p class="intro">{inline_html(s.intro)}</p>')
        for b in s.blocks:
            out.append(_block_html(b))
        out.append("</section>")
    out.append("<footer>" + "".join(_cell_html(p) if isinstance(p, Link) else inline_html(p)
                                    for p in doc.footer) + "</footer>")
    out += ["</main>", "</body>", "</html>", ""]
    return "\n".join(out)


def _block_html(b: Block) -> str:
    if isinstance(b, Para):
        css = f' class="{b.css}"' if b.css else ""
        return f"<p{css}>{inline_html(b.text)}</p>"
    if isinstance(b, Bullets):
        css = f' class="{b.css}"' if b.css else ""
        return f"<ul{css}>" + "".join(_item_html(i) for i in b.items) + "</ul>"
    if isinstance(b, Table):
        head = "".join(f"<th>{_cell_inline(h)}</th>" for h in b.headers)
        body = []
        for row in b.rows:
            cells = "".join(
                f'<td class="num">{_cell_html(c)}</td>' if i >= b.numeric_from
                else f"<td>{_cell_html(c)}</td>"
                for i, c in enumerate(row)
            )
            body.append(f"<tr>{cells}</tr>")
        caption = f"<caption>{html.escape(b.caption)}</caption>" if b.caption else ""
        css = f' class="{b.css}"' if b.css else ""
        return (f'<div class="table-wrap"><table{css}>{caption}<thead><tr>{head}</tr></thead>'
                f"<tbody>{''.join(body)}</tbody></table></div>")
    caption = f"<figcaption>{inline_html(b.caption)}</figcaption>" if b.caption else ""
    prefix = b.filename.removesuffix(".svg")
    return (f'<figure class="chart" id="{prefix}">{_svg_inline(b.svg, b.alt, prefix)}'
            f"{caption}</figure>")


