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
"""

from __future__ import annotations

from omk.workbook.cells import (
    BLANK,
    CellProblem,
    CellValue,
    Lookup,
    read_flag,
    read_month,
    read_number,
    read_text,
    split_list,
    split_urls,
)
from omk.workbook.columns import (
    INDICATOR_HEADINGS,
    Column,
    practice_columns,
)
from omk.workbook.container import (
    Grid,
    UnreadableWorkbook,
    WorkbookTooLarge,
    check_container,
)
from omk.workbook.document import (
    WorkbookInfo,
    content_hash,
    empty_document,
    fingerprints,
    overwritten,
)
from omk.workbook.layout import (
    CODES_SHEET,
    FORMULA_TRIGGERS,
    HEADER_ROW,
    HELP_SHEET,
    INDICATOR_SHEET,
    INPUT_ROWS,
    MAX_COLUMNS,
    MAX_DATA_ROWS,
    MAX_META_ROWS,
    MAX_PART_BYTES,
    MAX_PART_ELEMENTS,
    MAX_SHARED_STRINGS,
    MAX_SHEET_CELLS,
    MAX_SHEET_ROWS,
    MAX_STYLES,
    MAX_TEXT_BYTES,
    MAX_TEXT_CHARS,
    MAX_TOTAL_ELEMENTS,
    MAX_UNCOMPRESSED_BYTES,
    MAX_ZIP_ENTRIES,
    META_SHEET,
    MIME_TYPE,
    MIN_ACTOR_SLOTS,
    PRACTICE_SHEET,
    SHEET_ORDER,
    WORKBOOK_FORMAT,
    YES,
    log,
)
from omk.workbook.locating import (
    WORKBOOK,
    Located,
    ReadResult,
    Where,
)
from omk.workbook.reading import (
    check_meta,
    read_meta,
    read_workbook,
)
from omk.workbook.writing import (
    build_workbook,
    put,
    safe_text,
)

__all__ = [
    "BLANK",
    "CODES_SHEET",
    "FORMULA_TRIGGERS",
    "HEADER_ROW",
    "HELP_SHEET",
    "INDICATOR_HEADINGS",
    "INDICATOR_SHEET",
    "INPUT_ROWS",
    "MAX_COLUMNS",
    "MAX_DATA_ROWS",
    "MAX_META_ROWS",
    "MAX_PART_BYTES",
    "MAX_PART_ELEMENTS",
    "MAX_SHARED_STRINGS",
    "MAX_SHEET_CELLS",
    "MAX_SHEET_ROWS",
    "MAX_STYLES",
    "MAX_TEXT_BYTES",
    "MAX_TEXT_CHARS",
    "MAX_TOTAL_ELEMENTS",
    "MAX_UNCOMPRESSED_BYTES",
    "MAX_ZIP_ENTRIES",
    "META_SHEET",
    "MIME_TYPE",
    "MIN_ACTOR_SLOTS",
    "PRACTICE_SHEET",
    "SHEET_ORDER",
    "WORKBOOK",
    "WORKBOOK_FORMAT",
    "YES",
    "CellProblem",
    "CellValue",
    "Column",
    "Grid",
    "Located",
    "Lookup",
    "ReadResult",
    "UnreadableWorkbook",
    "Where",
    "WorkbookInfo",
    "WorkbookTooLarge",
    "build_workbook",
    "check_container",
    "check_meta",
    "content_hash",
    "empty_document",
    "fingerprints",
    "log",
    "overwritten",
    "practice_columns",
    "put",
    "read_flag",
    "read_meta",
    "read_month",
    "read_number",
    "read_text",
    "read_workbook",
    "safe_text",
    "split_list",
    "split_urls",
]
