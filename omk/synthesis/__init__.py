"""The synthesis report (Synthesebericht) of a cycle and a region: built from published
figures (:func:`build`) into a :class:`SynthesisDocument`, laid out as HTML, Markdown, CSV
and PDF (:mod:`omk.synthesis.render`)."""

from omk.synthesis.build import build
from omk.synthesis.document import (
    Chapter,
    ChapterTexts,
    Figure,
    KeyMessage,
    SynthesisDocument,
    Table,
)
from omk.synthesis.render import stylesheet, to_csv_zip, to_html, to_markdown, to_pdf

__all__ = [
    "Chapter",
    "ChapterTexts",
    "Figure",
    "KeyMessage",
    "SynthesisDocument",
    "Table",
    "build",
    "stylesheet",
    "to_csv_zip",
    "to_html",
    "to_markdown",
    "to_pdf",
]
