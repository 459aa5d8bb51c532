"""The layout of a workbook: its format name, sheets, rows, the limits of an upload, the words
for yes and no, and the styles.
"""

from __future__ import annotations

import logging

from openpyxl.styles import Alignment, Font, PatternFill

log = logging.getLogger("omk.workbook")

#: The layout of the workbook; a reader refuses any other.
WORKBOOK_FORMAT = "omk-workbook/1"
MIME_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

HELP_SHEET = "Hinweise"
INDICATOR_SHEET = "Kennzahlen"
PRACTICE_SHEET = "Maßnahmen"
CODES_SHEET = "Codes"
META_SHEET = "_omk"
SHEET_ORDER = (META_SHEET, INDICATOR_SHEET, PRACTICE_SHEET)

#: Row of the column headings on the data sheets (title and hint above). Readers search for it.
HEADER_ROW = 3
#: At least this many actor column groups ("Akteur 1: Name/Typ/federführend", …).
MIN_ACTOR_SLOTS = 5
#: Rows below the heading that carry drop-downs and formats for new practices.
INPUT_ROWS = 500
#: Rows below the heading a reader looks at; more non-blank rows are an error.
MAX_DATA_ROWS = 1000
#: Rows of the hidden sheet a reader looks at (fingerprints: one row per value of the draft).
MAX_META_ROWS = 20000
#: Columns of a data sheet a reader looks at: the practice sheet of the largest report has 172
#: (22 fields + 50 actors × 3, the schema's maxItems); cells further right are never read.
MAX_COLUMNS = 200

# Limits of an uploaded workbook, checked on the unpacked zip while streaming it, before openpyxl
# parses anything (decompression bombs of any part: a 196 KB upload can unpack to 60 MB of
# ``<xf/>``). Sized to the largest report the template allows, measured with the workbook this
# module builds (300 practices, each with 50 actors, every text at its maximum length, 30 links
# of 2,000 characters; tests/benchmarks/largest_workbook.py) and with the LibreOffice fixtures:
#
#   unpacked total       37.6 MB   (16 entries; LibreOffice adds a few: 17)
#   largest part         37.4 MB   (the practice sheet, inline strings; sharedStrings when an
#                                   office program saved it)
#   XML elements         108,023 in the practice sheet, 112,000 in all parts
#   cells in one sheet   35,974;   rows 303 (the hidden sheet is read up to MAX_META_ROWS)
#   style entries        17 xf (OMK), 40 xf + fonts/fills/borders 70 (LibreOffice)
#   shared strings       331 (LibreOffice fixture); at most one per cell
#   longest text         32,769 bytes; a cell holds 32,767 characters (Excel's limit), at most
#                        6 bytes each in XML (a 4-byte character or ``&amp;``)
#
#: Unpacked bytes of all entries (1.3 × the largest report).
MAX_UNCOMPRESSED_BYTES = 48 * 1024 * 1024
#: Unpacked bytes of one entry.
MAX_PART_BYTES = 44 * 1024 * 1024
#: Entries of the zip archive (OMK writes 16, office programs add calcChain, printer settings,
#: thumbnails …).
MAX_ZIP_ENTRIES = 100
#: XML elements (start tags) in one part and in all parts together.
MAX_PART_ELEMENTS = 250_000
MAX_TOTAL_ELEMENTS = 400_000
#: Cells (``<c>``) and rows (``<row>``) in one worksheet part.
MAX_SHEET_CELLS = 60_000
MAX_SHEET_ROWS = 25_000
#: Style entries (``xf``, ``font``, ``fill``, ``border``, ``numFmt``, ``dxf``, ``cellStyle``).
MAX_STYLES = 5_000
#: Shared strings (``<si>``): an office program keeps one per distinct text of a cell, so at most
#: as many as cells.
MAX_SHARED_STRINGS = 60_000
#: Characters of one cell (Excel's limit); in XML at most 6 bytes each.
MAX_TEXT_CHARS = 32_767
MAX_TEXT_BYTES = 6 * MAX_TEXT_CHARS

#: First characters that make a spreadsheet treat text as a formula (OWASP CSV injection).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")

YES = "ja"
_TRUE_WORDS = frozenset({"ja", "j", "x", "1", "wahr", "true", "yes", "y", "federführend"})
_FALSE_WORDS = frozenset({"nein", "n", "0", "falsch", "false", "no", "-"})
_EXCEL_ERRORS = frozenset(
    {"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#GETTING_DATA"}
)

_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="DDE4EE")
_GROUP_FILL = PatternFill("solid", fgColor="EEF1F5")
_TECH_FONT = Font(color="6B7280")
_INPUT_FILL = PatternFill("solid", fgColor="FFF8DC")  # where values go
_WRAP = Alignment(wrap_text=True, vertical="top")
_TOP = Alignment(vertical="top")
