"""The synthesis report as data: everything a renderer needs, JSON-serialisable.

A :class:`SynthesisDocument` is built once (:func:`omk.synthesis.build.build`) from published
figures and can be frozen as it is: its texts are already generated in the language it was
built in, its charts are SVG strings, its tables plain rows. Renderers (HTML, Markdown, CSV,
PDF) only lay it out; nothing in it refers back to the database.
"""

from __future__ import annotations

from typing import NotRequired, TypedDict

#: The version of this structure (stored with a frozen document).
SCHEMA_VERSION = 1

Cell = str | float | int | None


class Table(TypedDict):
    """A numbered table; every table is also a CSV file of the download."""

    id: str  # unique in the document, e.g. "t-participation"
    number: int  # 1, 2, … in the order of appearance
    title: str
    columns: list[str]
    rows: list[list[Cell]]
    csv_name: str  # file name in the CSV zip, e.g. "tabelle_01_beteiligung.csv"
    signed: NotRequired[list[int]]  # columns of changes, printed with "+" and "−"


class Figure(TypedDict):
    """A numbered chart (SVG with its own title and description) and the table of its data."""

    id: str
    number: int
    title: str
    description: str
    svg: str
    table_id: str


class KeyMessage(TypedDict):
    """A generated sentence and the table whose figures it states."""

    text: str
    table_id: str


class Chapter(TypedDict):
    """A chapter: generated paragraphs (plain text), its tables, figures and key messages."""

    id: str
    title: str
    paragraphs: list[str]
    tables: list[Table]
    figures: list[Figure]
    messages: list[KeyMessage]


class SynthesisDocument(TypedDict):
    """The synthesis report of a cycle and a region."""

    schema: int
    cycle: str  # cycle code
    cycle_title: str
    period_start: str  # ISO date
    period_end: str
    deadline: str
    region: str  # AGS prefix; "" for all of Germany
    region_name: str
    generated_at: str  # ISO timestamp, UTC
    locale: str  # the language the texts were generated in ("de", "en")
    synthetic: bool  # some figures are synthetic (demo data)
    names_shown: bool  # participation lists municipalities by name (else counts only)
    chapters: list[Chapter]


class ChapterTexts(TypedDict):
    """What reviewers write around a generated document (Markdown, sanitised when shown)."""

    introduction: str
    comments: dict[str, str]  # chapter id -> Markdown


def tables(doc: SynthesisDocument) -> list[Table]:
    """Every table of the document in order."""
    return [t for chapter in doc["chapters"] for t in chapter["tables"]]


def figures(doc: SynthesisDocument) -> list[Figure]:
    """Every figure of the document in order."""
    return [f for chapter in doc["chapters"] for f in chapter["figures"]]


def table_by_id(doc: SynthesisDocument, table_id: str) -> Table | None:
    """The table with ``table_id``, if the document has it."""
    return next((t for t in tables(doc) if t["id"] == table_id), None)
