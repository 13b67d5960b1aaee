"""The report as a small document model: sections of paragraphs, lists, tables and charts.

Built once by the sections, rendered twice (``html_page`` and ``markdown``), so
the page and the README never disagree. Inline markup in text: `code` and
**bold** only.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import quote

# The inline markup of text (both renderers): `code` and **bold**; the rest is text.
INLINE = re.compile(r"`([^`]+)`|\*\*([^*]+)\*\*")


@dataclass(frozen=True)
class Link:
    """A table cell that links to ``href``, a path relative to the page (never a URL)."""

    text: str
    href: str

    def safe_href(self) -> str:
        """``href`` percent-encoded: ``:`` too, so no scheme (``javascript:``) can get through."""
        return quote(self.href, safe="/._-~#")


Cell = str | Link

REPORT_FOOTER: tuple[Cell, ...] = (
    "Made by `python -m harness report` from the pyperf files beside this page; ",
    Link("compare.md", "compare.md"), " is pyperf's own comparison; ",
    Link("estimates.csv", "estimates.csv"), " holds every figure it prints.")


@dataclass
class Para:
    """A paragraph; `code` and **bold** are the only inline markup."""

    text: str
    css: str = ""


@dataclass
class Bullets:
    """A bullet list of inline-markup items."""

    items: list[str]
    css: str = ""


@dataclass
class Table:
    """A table of plain-text cells (newlines become line breaks) or links."""

    headers: list[str]
    rows: Sequence[Sequence[Cell]]
    caption: str = ""
    numeric_from: int = 1  # columns from this index are right-aligned
    css: str = ""


@dataclass
class Chart:
    """An SVG chart, inlined in HTML and linked from Markdown."""

    filename: str
    svg: str
    alt: str
    caption: str = ""


Block = Para | Bullets | Table | Chart


@dataclass
class Section:
    """A titled part of the page: an intro, then blocks."""

    anchor: str
    title: str
    intro: str
    blocks: list[Block] = field(default_factory=list)


@dataclass
class Document:
    """The whole report, before rendering."""

    title: str
    subtitle: str
    intro: list[str]
    sections: list[Section]
    estimates: str = ""  # estimates.csv: every printed figure (harness/report/estimates.py)
    # The last line of both pages: inline-markup text and links, in order (the report's
    # own by default; the diff and the index of published reports say who made them).
    footer: tuple[Cell, ...] = field(default_factory=lambda: REPORT_FOOTER)

    def charts(self) -> list[Chart]:
        """Every chart, in page order."""
        return [b for s in self.sections for b in s.blocks if isinstance(b, Chart)]


