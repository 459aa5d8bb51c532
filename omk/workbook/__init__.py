"""The offline path: a report as an Excel workbook, and a workbook back as a report document.

Pure conversion, no database: :func:`build_workbook` turns an ``omk-report/1`` document into an
``.xlsx`` (sheets "Hinweise", "Kennzahlen", "Maßnahmen", a hidden "Codes" sheet for the
drop-downs and a hidden "_omk" sheet that names the workbook format, the template version, the
cycle, the municipality and the draft the workbook was made from). :func:`read_workbook` reads
such a workbook back into a document plus every problem found while reading, each with the sheet,
row and column it came from; :meth:`ReadResult.locate` maps the document paths of later
validation errors (``practices[<id>].title``) back to sheet, row and column.

Safety: text cells that a spreadsheet would take for a formula (starting with ``= + - @``, tab or
CR) are written as text with Excel's quote prefix; values read from a workbook are data, never
formulas: a formula cell contributes its cached result or a row-precise error, it is never
evaluated. Before openpyxl parses anything, :func:`check_container` unpacks every part of the
upload in chunks and refuses it as soon as a limit (MAX_*: bytes, entries, XML elements, style
entries, shared strings, rows, cells, text length) is passed; defusedxml guards the XML, and only
MAX_COLUMNS columns and the rows a reader needs are ever read.

Modules, in the order a workbook passes through them: :mod:`.layout` (sheets, rows, limits,
styles), :mod:`.document` (the document and what identifies a workbook), :mod:`.columns` (the
practice sheet's columns), :mod:`.writing`, :mod:`.container` (the upload unpacked against the
limits, the cell grids), :mod:`.cells` (reading one cell), :mod:`.locating` (sheet, row and
column of a problem), :mod:`.reading` (the workbook) and :mod:`.sheets` (its data sheets).
What callers use is re-exported here; the rest is imported from its module.
"""

from __future__ import annotations

from omk.workbook.columns import INDICATOR_HEADINGS
from omk.workbook.container import UnreadableWorkbook, WorkbookTooLarge, check_container
from omk.workbook.document import (
    WorkbookInfo,
    content_hash,
    empty_document,
    fingerprints,
    overwritten,
)
from omk.workbook.layout import (
    HEADER_ROW,
    INDICATOR_SHEET,
    MAX_STYLES,
    MAX_UNCOMPRESSED_BYTES,
    MIME_TYPE,
    PRACTICE_SHEET,
    WORKBOOK_FORMAT,
)
from omk.workbook.locating import ReadResult
from omk.workbook.reading import read_workbook
from omk.workbook.writing import build_workbook

__all__ = [
    "HEADER_ROW",
    "INDICATOR_HEADINGS",
    "INDICATOR_SHEET",
    "MAX_STYLES",
    "MAX_UNCOMPRESSED_BYTES",
    "MIME_TYPE",
    "PRACTICE_SHEET",
    "WORKBOOK_FORMAT",
    "ReadResult",
    "UnreadableWorkbook",
    "WorkbookInfo",
    "WorkbookTooLarge",
    "build_workbook",
    "check_container",
    "content_hash",
    "empty_document",
    "fingerprints",
    "overwritten",
    "read_workbook",
]
