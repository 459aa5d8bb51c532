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
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import logging
import re
import uuid
import zipfile
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, Literal

from babel.numbers import format_decimal
from flask_babel import LazyString, get_locale, lazy_gettext
from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from omk import exchange, numbers
from omk.content import Content, Indicator, ReportTemplate
from omk.errors import FieldError

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


# --- the document and what identifies a workbook --------------------------------------------


@dataclass(frozen=True)
class WorkbookInfo:
    """What the hidden sheet records: for whom the workbook was made, from which draft."""

    cycle: str
    municipality: str  # the reporting AGS; "" for the blank template of a cycle
    template_version: str
    base: str  # content_hash of the draft the workbook was filled from
    municipality_name: str = ""
    cycle_title: str = ""
    created_at: str = ""
    #: path → keyed fingerprint of the draft's value (see :func:`fingerprints`)
    fingerprints: dict[str, str] = field(default_factory=dict)


def empty_document(municipality: str, cycle: str) -> dict[str, Any]:
    """A document without indicators and practices (what a blank template stands for)."""
    return {
        "format": exchange.FORMAT,
        "municipality": municipality,
        "cycle": cycle,
        "indicators": {},
        "indicator_practices": {},
        "practices": [],
    }


#: Paths of the fingerprint rows on the hidden sheet.
_PATH_KEY = re.compile(r"^(indicators\.|indicator_practices\.|practices\[)")
_ABSENT = "-"


def fingerprints(doc: dict[str, Any], key: bytes) -> dict[str, str]:
    """A keyed fingerprint (HMAC, 16 hex digits) of every value of a canonical document, by
    path: ``indicators.<code>``, ``indicator_practices.<code>``, ``practices[<id>].<field>``.

    The workbook keeps them hidden, so an upload can tell which values someone changed in the
    draft after the download; keyed, so they reveal nothing about the values."""

    def mark(value: Any) -> str:
        text = json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hmac.new(key, text.encode("utf-8"), hashlib.sha256).hexdigest()[:16]

    out: dict[str, str] = {}
    for code, value in (doc.get("indicators") or {}).items():
        out[f"indicators.{code}"] = mark(value)
    for code, refs in (doc.get("indicator_practices") or {}).items():
        out[f"indicator_practices.{code}"] = mark(sorted(refs or []))
    for practice in doc.get("practices") or []:
        pid = str(practice.get("id") or "").lower()
        for name, value in practice.items():
            if name != "id" and pid:
                out[f"practices[{pid}].{name}"] = mark(value)
    return out


def overwritten(
    base: dict[str, str], current: dict[str, str], uploaded: dict[str, str]
) -> list[str]:
    """Paths someone changed in the draft since the workbook was made (``base``) that the
    upload would set back or to something else: the changes an upload would silently lose."""
    paths = sorted(set(base) | set(current))
    return [
        path
        for path in paths
        if current.get(path, _ABSENT) != base.get(path, _ABSENT)
        and uploaded.get(path, _ABSENT) != current.get(path, _ABSENT)
    ]


def content_hash(doc: dict[str, Any]) -> str:
    """A fingerprint of a document's content (indicators, links, practices), for the edit check."""
    body = {
        "indicators": doc.get("indicators") or {},
        "indicator_practices": doc.get("indicator_practices") or {},
        "practices": doc.get("practices") or [],
    }
    text = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# --- the columns of the practice sheet -------------------------------------------------------

#: How each practice field is written and read: kind and (for codes) the taxonomy list.
_FIELD_KINDS: dict[str, tuple[str, str | None]] = {
    "title": ("text", None),
    "summary": ("text", None),
    "description": ("markdown", None),
    "site": ("text", None),
    "funding": ("text", None),
    "contact": ("text", None),
    "outcomes": ("markdown", None),
    "transferability": ("markdown", None),
    "criterion": ("code", "criteria"),
    "status": ("code", "practice_statuses"),
    "fields": ("codes", "fields"),
    "recommendations": ("codes", "recommendations"),
    "target_groups": ("codes", "target_groups"),
    "sources": ("urls", None),
    "started": ("month", None),
    "ended": ("month", None),
    "budget_eur": ("number", None),
    "staff_fte": ("number", None),
}
_TEXT_KINDS = ("text", "markdown")
_CODE_LISTS = ("criteria", "practice_statuses", "fields", "recommendations", "target_groups")
_WIDTHS = {
    "id": 38,
    "text": 32,
    "markdown": 60,
    "code": 44,
    "codes": 30,
    "urls": 40,
    "month": 13,
    "number": 14,
    "links": 36,
    "actor_name": 28,
    "actor_type": 28,
    "actor_lead": 13,
    "adopted_practice": 38,
    "adopted_municipality": 16,
}
_HELP = {
    "id": "Verbindet die Zeile mit der Maßnahme im System (auch über Berichtsrunden hinweg). "
    "Nicht ändern. Für eine neue Maßnahme leer lassen.",
    "markdown": "Markdown erlaubt: **fett**, Listen mit „- “. Zeilenumbruch in der Zelle: "
    "Alt+Eingabe.",
    "code": "Bitte aus der Auswahlliste wählen.",
    "codes": "Codes durch Semikolon trennen, z. B. „{example}“. Die Codes stehen auf dem Blatt "
    "„Hinweise“.",
    "urls": "Links (https://…), mehrere durch Semikolon oder Zeilenumbruch getrennt.",
    "month": "JJJJ oder JJJJ-MM, z. B. 2019-05.",
    "number": "Zahl wie 1500 oder 0,5.",
    "links": "Codes der Kennzahlen, die diese Maßnahme erklärt, durch Semikolon getrennt "
    "(Spalte „Code“ auf dem Blatt „Kennzahlen“).",
    "actor_name": "Name der beteiligten Stelle (Funktion, keine Privatperson).",
    "actor_type": "Art des Akteurs aus der Auswahlliste (leer: Sonstige).",
    "actor_lead": "„ja“ beim federführenden Akteur (höchstens einer).",
    "adopted_practice": "Nur bei übernommenen Maßnahmen: ID der Maßnahme der anderen Kommune.",
    "adopted_municipality": "Nur bei übernommenen Maßnahmen: AGS der anderen Kommune (8 Ziffern).",
}


@dataclass(frozen=True)
class Column:
    """One column of the practice sheet."""

    key: str  # a practice field, "links", "adopted.practice", "actor.<n>.name|type|lead"
    label: str
    kind: str
    taxonomy: str | None = None
    required: bool = False

    @property
    def heading(self) -> str:
        return f"{self.label} *" if self.required else self.label


def practice_columns(template: ReportTemplate, actor_slots: int = MIN_ACTOR_SLOTS) -> list[Column]:
    """The practice sheet's columns for a template: the hidden ID, the template's fields in
    order, the indicator links, the origin of adopted practices, then the actor groups."""
    columns = [Column("id", "ID", "id")]
    actors_required = False
    for f in template.practice_fields:
        if f.name == "actors":
            actors_required = f.required
            continue
        if f.name not in exchange.PRACTICE_FIELDS or f.name in ("id", "adopted_from"):
            continue
        kind, taxonomy = _FIELD_KINDS.get(f.name, ("text", None))
        columns.append(Column(f.name, f.label, kind, taxonomy, f.required))
    columns.append(Column("links", "Erläutert Kennzahlen", "links"))
    columns.append(Column("adopted.practice", "Übernommen von: Maßnahme (ID)", "adopted_practice"))
    columns.append(
        Column("adopted.municipality", "Übernommen von: Kommune (AGS)", "adopted_municipality")
    )
    for n in range(1, actor_slots + 1):
        columns.append(
            Column(
                f"actor.{n}.name",
                f"Akteur {n}: Name",
                "actor_name",
                None,
                actors_required and n == 1,  # at least one actor
            )
        )
        columns.append(Column(f"actor.{n}.type", f"Akteur {n}: Typ", "actor_type", "actor_types"))
        columns.append(Column(f"actor.{n}.lead", f"Akteur {n}: federführend", "actor_lead"))
    return columns


INDICATOR_HEADINGS = (
    "Kennzahl",
    "Einheit",
    "Pflicht",
    "Wert",
    "Zulässige Werte",
    "Hinweis",
    "Code",
)


# --- writing --------------------------------------------------------------------------------


def safe_text(value: str) -> str:
    """Text without the control characters a workbook cannot hold."""
    return ILLEGAL_CHARACTERS_RE.sub("", value)


def put(ws: Worksheet, row: int, column: int, value: Any) -> Any:
    """Write a value; text is always stored as text, and text a spreadsheet would run as a
    formula (``= + - @``, tab, CR at the start) gets Excel's quote prefix (shown as ``'``)."""
    cell = ws.cell(row=row, column=column)
    if isinstance(value, str):
        cell.value = safe_text(value)
        cell.data_type = "s"  # openpyxl would store "=…" as a formula
        if value.startswith(FORMULA_TRIGGERS):
            cell.quotePrefix = True
    else:
        cell.value = value
    return cell


def _labels(content: Content, name: str) -> list[tuple[str, str]]:
    return [(t.code, t.label) for t in getattr(content.taxonomy, name)]


def _allowed(ind: Indicator) -> str:
    low = numbers.format_number(ind.min)
    kind = "ganze Zahl" if ind.type == "count" else "Zahl"
    if ind.max is not None:
        return f"{kind} von {low} bis {numbers.format_number(ind.max)}"
    return f"{kind} ≥ {low}"


def _indicator_validation(ind: Indicator) -> DataValidation:
    kind: Literal["whole", "decimal"] = "whole" if ind.type == "count" else "decimal"
    low = numbers.format_number(ind.min).replace(",", ".")
    if ind.max is not None:
        high = str(ind.max if not float(ind.max).is_integer() else int(ind.max))
        dv = DataValidation(type=kind, operator="between", formula1=low, formula2=high)
    else:
        dv = DataValidation(type=kind, operator="greaterThanOrEqual", formula1=low)
    dv.allow_blank = True
    dv.showErrorMessage = True
    dv.errorTitle = "Ungültiger Wert"
    dv.error = f"Erlaubt: {_allowed(ind)}."
    dv.showInputMessage = True
    dv.promptTitle = "Zulässige Werte"
    dv.prompt = _allowed(ind)
    return dv


def _title_rows(ws: Worksheet, title: str, hint: str) -> None:
    put(ws, 1, 1, title).font = Font(bold=True, size=14)
    put(ws, 2, 1, hint).alignment = Alignment(wrap_text=False)


def build_workbook(
    doc: dict[str, Any], content: Content, template: ReportTemplate, info: WorkbookInfo
) -> bytes:
    """The workbook of a document (prefilled draft, or an empty document for a blank template)."""
    wb = Workbook()
    help_ws = wb.active
    assert help_ws is not None
    help_ws.title = HELP_SHEET
    ind_ws = wb.create_sheet(INDICATOR_SHEET)
    pr_ws = wb.create_sheet(PRACTICE_SHEET)
    codes_ws = wb.create_sheet(CODES_SHEET)
    meta_ws = wb.create_sheet(META_SHEET)
    codes_ws.sheet_state = "hidden"
    meta_ws.sheet_state = "hidden"
    practices = doc.get("practices") or []
    slots = max([MIN_ACTOR_SLOTS, *(len(p.get("actors") or []) for p in practices)])
    columns = practice_columns(template, slots)
    lists = _write_codes(codes_ws, content)
    _write_meta(meta_ws, info)
    _write_help(help_ws, content, template, info, columns, slots)
    _write_indicators(ind_ws, doc, content, template, info)
    _write_practices(pr_ws, doc, content, template, info, columns, lists)
    for ws in (help_ws, ind_ws, pr_ws):  # printable: as wide as one page, rows run on
        ws.page_setup.orientation = "portrait" if ws is help_ws else "landscape"
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
        if ws.sheet_properties.pageSetUpPr is not None:
            ws.sheet_properties.pageSetUpPr.fitToPage = ws is not pr_ws
        _fit_rows(ws)
    wb.properties.title = f"OMK-Bericht {info.municipality or ''} {info.cycle}".strip()
    wb.properties.creator = "OMK"
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _fit_rows(ws: Worksheet, line_height: float = 15, most: float = 165) -> None:
    """Row heights for wrapped text (spreadsheet programs do not always fit them on opening)."""
    widths = {letter: dim.width for letter, dim in ws.column_dimensions.items()}
    for row in ws.iter_rows():
        lines = 1
        for cell in row:
            if not isinstance(cell.value, str) or not cell.alignment.wrap_text:
                continue
            per_line = max(8, int((widths.get(cell.column_letter) or 13) * 1.1) - 2)
            count = sum(max(1, -(-len(part) // per_line)) for part in cell.value.split("\n"))
            lines = max(lines, count)
        if lines > 1:
            ws.row_dimensions[int(row[0].row or 1)].height = min(most, lines * line_height)


def _write_meta(ws: Worksheet, info: WorkbookInfo) -> None:
    rows = [
        ("format", WORKBOOK_FORMAT),
        ("exchange_format", exchange.FORMAT),
        ("template_version", info.template_version),
        ("cycle", info.cycle),
        ("municipality", info.municipality),
        ("base", info.base),
        ("created_at", info.created_at),
        ("note", "Dieses Blatt nicht ändern: es ordnet die Arbeitsmappe dem Bericht zu."),
        *sorted(info.fingerprints.items()),
    ]
    for r, (key, value) in enumerate(rows, start=1):
        put(ws, r, 1, key)
        put(ws, r, 2, value)


def _write_codes(ws: Worksheet, content: Content) -> dict[str, str]:
    """The drop-down lists (German labels) on the hidden sheet; returns their range formulas."""
    lists = {
        "criteria": [label for _, label in _labels(content, "criteria")],
        "practice_statuses": [label for _, label in _labels(content, "practice_statuses")],
        "actor_types": [label for _, label in _labels(content, "actor_types")],
        "yes": [YES],
    }
    formulas = {}
    for c, (name, values) in enumerate(lists.items(), start=1):
        put(ws, 1, c, name)
        for r, value in enumerate(values, start=2):
            put(ws, r, c, value)
        letter = get_column_letter(c)
        formulas[name] = f"{CODES_SHEET}!${letter}$2:${letter}${len(values) + 1}"
    return formulas


def _write_help(
    ws: Worksheet,
    content: Content,
    template: ReportTemplate,
    info: WorkbookInfo,
    columns: list[Column],
    slots: int,
) -> None:
    ws.column_dimensions["A"].width = 34
    ws.column_dimensions["B"].width = 100
    who = (
        f"{info.municipality_name} ({info.municipality})"
        if info.municipality
        else "leere Vorlage (für jede Kommune der Berichtsrunde)"
    )
    rows: list[tuple[str, str]] = [
        ("Kommune", who),
        ("Berichtsrunde", f"{info.cycle} – {info.cycle_title}".rstrip(" –")),
        ("Stand", f"heruntergeladen am {info.created_at}" if info.created_at else ""),
        ("Vorlage", f"Version {template.version}, Austauschformat {exchange.FORMAT}"),
    ]
    put(ws, 1, 1, f"OMK – {template.title}").font = Font(bold=True, size=14)
    r = 3
    for key, value in rows:
        put(ws, r, 1, key).font = _HEADER_FONT
        put(ws, r, 2, value)
        r += 1
    r += 1
    put(ws, r, 1, "So füllen Sie die Arbeitsmappe aus").font = Font(bold=True, size=12)
    r += 1
    steps = [
        "Blatt „Kennzahlen“: eine Zeile je Kennzahl. Den Wert in die Spalte „Wert“ eintragen "
        "(Zahlen wie 1234 oder 12,5); leer lassen, wenn er nicht bekannt ist. Die zulässigen "
        "Werte stehen daneben.",
        "Blatt „Maßnahmen“: eine Zeile je Maßnahme. Eine neue Maßnahme in die nächste freie "
        "Zeile schreiben; eine Maßnahme entfernen: die ganze Zeile löschen. Die Reihenfolge der "
        "Zeilen ist die Reihenfolge im Bericht. Leere Zeilen stören nicht.",
        "Die ausgeblendete Spalte A („ID“) verbindet eine Zeile mit der Maßnahme im System, auch "
        "über Berichtsrunden hinweg. Bitte nicht ändern. Wer eine Zeile kopiert, um eine neue "
        "Maßnahme anzulegen, leert in der Kopie die ID-Zelle.",
        "Kriterium, Stand und Typ der Akteure: aus der Auswahlliste wählen. Mehrere Codes "
        "(Handlungsfelder, Handlungsempfehlungen, Zielgruppen, Erläutert Kennzahlen) durch "
        "Semikolon trennen, z. B. „sprache_bildung; partizipation“. Die Codes stehen unten; "
        "die deutsche Bezeichnung wird auch verstanden.",
        f"Beteiligte: bis zu {slots} Akteure je Maßnahme, je mit Name, Typ und „ja“ in "
        "„federführend“ bei höchstens einem Akteur. Leere Akteur-Spalten werden übersprungen.",
        "Beginn und Ende: JJJJ oder JJJJ-MM, z. B. 2019-05. Ein Datum wird als Monat übernommen.",
        "Beschreibung, Ergebnisse, Übertragbarkeit: Markdown ist erlaubt (**fett**, Listen mit "
        "„- “). Einen Zeilenumbruch in der Zelle erzeugt Alt+Eingabe.",
        "* = Pflichtangabe. Sie wird erst beim Einreichen verlangt; eine unvollständige "
        "Arbeitsmappe lässt sich hochladen.",
        "Formeln werden nicht berechnet: es zählt das in der Datei gespeicherte Ergebnis. Am "
        "sichersten tragen Sie Werte ein.",
        "Hochladen: auf der Berichtsseite „Datei hochladen“. Die Datei ersetzt den Entwurf (er "
        "wird nicht eingereicht). Bei Fehlern wird nichts gespeichert; jede fehlerhafte Zelle "
        "wird mit Blatt, Zeile und Spalte genannt.",
        "Wurde der Entwurf nach dem Herunterladen im Browser geändert, fragt OMK beim Hochladen "
        "nach, bevor die Datei ihn ersetzt.",
        "Blätter und Spaltenüberschriften nicht umbenennen; die ausgeblendeten Blätter „Codes“ "
        "und „_omk“ nicht löschen. Eigene Spalten rechts neben der Tabelle werden ignoriert. "
        "Speichern Sie als Excel-Arbeitsmappe (.xlsx), auch in LibreOffice.",
    ]
    for n, text in enumerate(steps, start=1):
        put(ws, r, 1, f"{n}.").alignment = _TOP
        put(ws, r, 2, text).alignment = _WRAP
        r += 1
    r += 1
    put(ws, r, 1, "Spalten des Blatts „Maßnahmen“").font = Font(bold=True, size=12)
    r += 1
    for column in columns:
        if column.key.startswith("actor.") and not column.key.startswith("actor.1."):
            continue
        label = column.heading.replace("Akteur 1:", "Akteur n:")
        put(ws, r, 1, label).alignment = _TOP
        put(ws, r, 2, _column_help(column, content)).alignment = _WRAP
        r += 1
    tables = [
        ("Kriterien", "criteria"),
        ("Stand", "practice_statuses"),
        ("Handlungsfelder", "fields"),
        ("Handlungsempfehlungen", "recommendations"),
        ("Zielgruppen", "target_groups"),
        ("Typen der Akteure", "actor_types"),
    ]
    for heading, name in tables:
        r += 1
        put(ws, r, 1, f"{heading}: Code").font = _HEADER_FONT
        put(ws, r, 2, "Bezeichnung").font = _HEADER_FONT
        r += 1
        for code, label in _labels(content, name):
            put(ws, r, 1, code)
            put(ws, r, 2, label)
            r += 1
    r += 1
    put(ws, r, 1, "Kennzahlen: Code").font = _HEADER_FONT
    put(ws, r, 2, "Bezeichnung").font = _HEADER_FONT
    r += 1
    for code in template.indicator_codes():
        put(ws, r, 1, code)
        put(ws, r, 2, content.indicators[code].label)
        r += 1


def _column_help(column: Column, content: Content) -> str:
    if column.kind == "codes" and column.taxonomy:
        codes = content.taxonomy.codes(column.taxonomy)[:2]
        return _HELP["codes"].format(example="; ".join(codes))
    if column.kind == "text":
        return "Text." + (" Pflichtangabe beim Einreichen." if column.required else "")
    return _HELP.get(column.kind, "")


def _write_indicators(
    ws: Worksheet,
    doc: dict[str, Any],
    content: Content,
    template: ReportTemplate,
    info: WorkbookInfo,
) -> None:
    where = f"{info.municipality_name}, " if info.municipality_name else ""
    _title_rows(
        ws,
        f"Kennzahlen – {where}Berichtsrunde {info.cycle}",
        "Werte in die Spalte „Wert“ eintragen. * = Pflichtangabe beim Einreichen.",
    )
    for c, heading in enumerate(INDICATOR_HEADINGS, start=1):
        cell = put(ws, HEADER_ROW, c, heading)
        cell.font, cell.fill, cell.alignment = _HEADER_FONT, _HEADER_FILL, _WRAP
    for letter, width in zip("ABCDEFG", (60, 14, 9, 14, 22, 60, 40), strict=True):
        ws.column_dimensions[letter].width = width
    values = doc.get("indicators") or {}
    validations: dict[str, DataValidation] = {}
    r = HEADER_ROW + 1
    for section in template.sections:
        cell = put(ws, r, 1, content.taxonomy.label("criteria", section.criterion))
        cell.font = _HEADER_FONT
        for c in range(1, len(INDICATOR_HEADINGS) + 1):
            ws.cell(row=r, column=c).fill = _GROUP_FILL
        if section.intro:
            put(ws, r, 6, section.intro).alignment = _WRAP
        r += 1
        for item in section.indicators:
            ind = content.indicators[item.code]
            put(ws, r, 1, ind.label).alignment = _WRAP
            put(ws, r, 2, ind.unit)
            put(ws, r, 3, "Pflicht" if item.required else "")
            value = values.get(item.code)
            if value is not None:
                ws.cell(row=r, column=4).value = exchange.number(value)
            put(ws, r, 5, _allowed(ind))
            put(ws, r, 6, item.help).alignment = _WRAP
            put(ws, r, 7, item.code).font = _TECH_FONT
            for c in (2, 3, 4, 5, 7):
                ws.cell(row=r, column=c).alignment = _TOP
            ws.cell(row=r, column=4).fill = _INPUT_FILL
            key = _allowed(ind) + ind.type
            if key not in validations:
                validations[key] = _indicator_validation(ind)
                ws.add_data_validation(validations[key])
            validations[key].add(f"D{r}")
            r += 1
    ws.freeze_panes = f"B{HEADER_ROW + 1}"


def _write_practices(
    ws: Worksheet,
    doc: dict[str, Any],
    content: Content,
    template: ReportTemplate,
    info: WorkbookInfo,
    columns: list[Column],
    lists: dict[str, str],
) -> None:
    where = f"{info.municipality_name}, " if info.municipality_name else ""
    _title_rows(
        ws,
        f"Maßnahmen – {where}Berichtsrunde {info.cycle}",
        "Eine Zeile je Maßnahme. Erläuterungen und Codes: Blatt „Hinweise“. "
        "* = Pflichtangabe beim Einreichen.",
    )
    last = HEADER_ROW + INPUT_ROWS
    for c, column in enumerate(columns, start=1):
        letter = get_column_letter(c)
        cell = put(ws, HEADER_ROW, c, column.heading)
        cell.font, cell.fill, cell.alignment = _HEADER_FONT, _HEADER_FILL, _WRAP
        help_text = _column_help(column, content)
        if help_text:
            cell.comment = Comment(help_text, "OMK", width=300, height=110)
        ws.column_dimensions[letter].width = _WIDTHS.get(column.kind, 24)
        if column.kind in ("id", "month", "adopted_practice", "adopted_municipality"):
            ws.column_dimensions[letter].number_format = "@"
        cells = f"{letter}{HEADER_ROW + 1}:{letter}{last}"
        dropdown = {
            "criterion": lists["criteria"],
            "status": lists["practice_statuses"],
        }.get(column.key) or {"actor_type": lists["actor_types"], "actor_lead": lists["yes"]}.get(
            column.kind
        )
        if dropdown:
            dv = DataValidation(type="list", formula1=dropdown, allow_blank=True)
            dv.showErrorMessage = True
            dv.errorStyle = "warning"
            dv.errorTitle = "Nicht in der Liste"
            dv.error = "Bitte einen Eintrag aus der Auswahlliste wählen."
            ws.add_data_validation(dv)
            dv.add(cells)
        elif column.kind == "number":
            dv = DataValidation(type="decimal", operator="greaterThanOrEqual", formula1="0")
            dv.allow_blank = True
            dv.showErrorMessage = True
            dv.errorTitle = "Ungültiger Wert"
            dv.error = "Bitte eine Zahl ≥ 0 eingeben, z. B. 1500 oder 0,5."
            ws.add_data_validation(dv)
            dv.add(cells)
    ws.column_dimensions["A"].hidden = True
    ws.freeze_panes = f"C{HEADER_ROW + 1}"

    labels = {
        name: dict(_labels(content, name))
        for name in ("criteria", "practice_statuses", "actor_types")
    }
    links = doc.get("indicator_practices") or {}
    order = template.indicator_codes()
    for i, p in enumerate(doc.get("practices") or []):
        r = HEADER_ROW + 1 + i
        actors = p.get("actors") or []
        for c, column in enumerate(columns, start=1):
            value = _practice_cell(p, column, actors, links, order, labels)
            if value is None or value == "":
                continue
            cell = put(ws, r, c, value)
            wrap = column.kind in ("markdown", "text", "codes", "urls", "links")
            cell.alignment = _WRAP if wrap else _TOP
            if column.kind in ("id", "month", "adopted_practice", "adopted_municipality"):
                cell.number_format = "@"
            if column.kind == "id":
                cell.font = _TECH_FONT


def _practice_cell(
    p: dict[str, Any],
    column: Column,
    actors: list[dict[str, Any]],
    links: dict[str, list[str]],
    order: list[str],
    labels: dict[str, dict[str, str]],
) -> Any:
    key, kind = column.key, column.kind
    if key.startswith("actor."):
        _, n, part = key.split(".")
        index = int(n) - 1
        if index >= len(actors):
            return None
        actor = actors[index]
        if part == "name":
            return actor.get("name")
        if part == "type":
            return labels["actor_types"].get(actor.get("type") or "sonstige", actor.get("type"))
        return YES if actor.get("lead") else None
    if key == "links":
        pid = str(p.get("id") or "").lower()
        codes = [c for c in order if pid and pid in [r.lower() for r in links.get(c) or []]]
        return "; ".join(codes)
    if key.startswith("adopted."):
        adopted = p.get("adopted_from") or {}
        return adopted.get(key.split(".")[1])
    value = p.get(key)
    if kind == "code" and column.taxonomy and isinstance(value, str):
        return labels.get(column.taxonomy, {}).get(value, value)
    if kind in ("codes",):
        return "; ".join(value or [])
    if kind == "urls":
        return "; ".join(value or [])
    if kind == "number":
        return exchange.number(value)
    return value


# --- reading: the cells ------------------------------------------------------------------------


@dataclass(frozen=True)
class CellValue:
    """A cell as read: its value (a formula's cached result), and what kind of cell it was."""

    value: Any
    is_formula: bool = False
    is_error: bool = False
    number_format: str = "General"

    @property
    def is_blank(self) -> bool:
        v = self.value
        return not self.is_formula and (v is None or (isinstance(v, str) and not v.strip()))


BLANK = CellValue(None)


class CellProblem(Exception):
    """A cell that cannot be read as what its column expects; the message is for the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _raw(cell: CellValue) -> Any:
    value = cell.value
    if cell.is_formula and value is None:
        raise CellProblem(
            "Die Zelle enthält eine Formel ohne gespeichertes Ergebnis; Formeln werden nicht "
            "berechnet. Bitte den Wert selbst eintragen."
        )
    if cell.is_error or (isinstance(value, str) and value.strip() in _EXCEL_ERRORS):
        raise CellProblem(f"Die Zelle enthält einen Fehlerwert ({value}).")
    return value


def _clean(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ").strip()


def read_text(cell: CellValue) -> str | None:
    """Text of a cell, trimmed; numbers in German notation, dates as ISO dates."""
    value = _raw(cell)
    if value is None:
        return None
    if isinstance(value, bool):
        raise CellProblem("Erwartet wird ein Text, nicht WAHR/FALSCH.")
    if isinstance(value, str):
        return _clean(value) or None
    if isinstance(value, int | float):
        return numbers.format_number(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    return _clean(str(value)) or None


def _unquoted(number_format: str) -> str:
    return re.sub(r'"[^"]*"|\\.', "", number_format or "")


def read_number(cell: CellValue) -> float | None:
    """A number from a number cell, or from text in German or English notation ("1.234,5")."""
    value = _raw(cell)
    if value is None:
        return None
    if isinstance(value, bool):
        raise CellProblem("Erwartet wird eine Zahl, nicht WAHR/FALSCH.")
    if isinstance(value, datetime | date | time | timedelta):
        raise CellProblem(
            "Die Zelle ist als Datum formatiert; erwartet wird eine Zahl. Bitte das Zellformat "
            "auf „Standard“ oder „Zahl“ stellen."
        )
    if isinstance(value, int | float):
        number = float(value)
        if "%" in _unquoted(cell.number_format):
            # A cell formatted as percent shows 61,5 % for 0.615: the user means 61.5.
            number = round(number * 100, 10)
        return number
    text = _clean(str(value))
    try:
        return numbers.parse_number(text)
    except ValueError:
        raise CellProblem(
            f"„{text[:40]}“ ist keine Zahl. Bitte eine Zahl wie 1234 oder 12,5 angeben."
        ) from None


def read_month(cell: CellValue) -> str | None:
    """``JJJJ`` or ``JJJJ-MM``; a date cell becomes its month, a number like 2019 its year."""
    value = _raw(cell)
    if value is None:
        return None
    if isinstance(value, datetime | date):
        return f"{value.year:04d}-{value.month:02d}"
    if isinstance(value, bool):
        raise CellProblem("Bitte als JJJJ oder JJJJ-MM angeben, z. B. 2019-05.")
    if isinstance(value, int | float) and float(value).is_integer() and 1900 <= value <= 2200:
        return str(int(value))
    text = _clean(str(value))
    month, problem = numbers.month(text)
    if problem:
        raise CellProblem(f"„{text[:40]}“: {problem}")
    return month


def read_flag(cell: CellValue) -> bool:
    """ "ja"/"x"/WAHR → True, blank/"nein"/FALSCH → False."""
    value = _raw(cell)
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    text = _clean(str(value)).casefold()
    if text in _TRUE_WORDS:
        return True
    if text in _FALSE_WORDS or not text:
        return False
    raise CellProblem(f"„{text[:40]}“: bitte „ja“ eintragen oder die Zelle leer lassen.")


def split_list(text: str | None) -> list[str]:
    """Items separated by semicolons or line breaks, trimmed, empty ones dropped."""
    if not text:
        return []
    return [item.strip() for item in re.split(r"[;\n]", text) if item.strip()]


def split_urls(text: str | None) -> list[str]:
    """Links separated by line breaks, or by semicolons before the next link."""
    if not text:
        return []
    parts = re.split(r"\s*\n\s*|\s*;\s*(?=[a-zA-Z][a-zA-Z0-9+.-]*://|$)|\s+(?=https?://)", text)
    return [part.strip().rstrip(";").strip() for part in parts if part and part.strip(" ;")]


class Lookup:
    """Codes of one list by code or German label, case-insensitively."""

    def __init__(self, terms: Iterable[tuple[str, str]]) -> None:
        self.codes: dict[str, str] = {}
        self.labels: dict[str, str] = {}
        for code, label in terms:
            self.codes[code.casefold()] = code
            self.labels.setdefault(_norm(label), code)

    def code(self, text: str) -> str:
        """The code for a code or label; the text itself when unknown (validation names it)."""
        key = text.strip()
        return self.codes.get(key.casefold()) or self.labels.get(_norm(key)) or key


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", str(text).replace("*", "")).strip().casefold()


# --- reading: where things are ----------------------------------------------------------------


@dataclass(frozen=True)
class Where:
    """A place in the workbook: a sheet, optionally a row and a column heading."""

    sheet: str
    row: int | None = None
    column: str | None = None
    column_index: int = 0

    def __str__(self) -> str:
        text = f"Blatt {self.sheet}" if self.sheet != "workbook" else "Arbeitsmappe"
        if self.row is not None:
            text += f", Zeile {self.row}"
        if self.column:
            text += f", Spalte {self.column}"
        return text

    def sort_key(self) -> tuple[int, int, int]:
        sheet = SHEET_ORDER.index(self.sheet) if self.sheet in SHEET_ORDER else -1
        return (sheet, self.row or 0, self.column_index)


WORKBOOK = Where("workbook")


@dataclass
class Located:
    """An error found in the workbook, kept with where it was found."""

    error: FieldError
    where: Where


_PRACTICE_PATH = re.compile(r"^practices\[(?P<ref>[^\]]+)\](?P<rest>.*)$")
_ACTOR_PATH = re.compile(r"^\.actors\[(?P<n>\d+)\](?:\.(?P<part>name|type|lead))?")


@dataclass
class ReadResult:
    """What a workbook said: the document (None when the workbook is not one of ours or
    unreadable), every problem found while reading, and a map from document paths back to
    sheet, row and column."""

    document: dict[str, Any] | None
    problems: list[Located] = field(default_factory=list)
    meta: dict[str, str] = field(default_factory=dict)
    fingerprints: dict[str, str] = field(default_factory=dict)
    indicator_rows: dict[str, int] = field(default_factory=dict)
    practice_rows: list[int] = field(default_factory=list)
    practice_ids: dict[str, int] = field(default_factory=dict)
    actor_slots: list[list[int]] = field(default_factory=list)
    columns: dict[str, tuple[str, int]] = field(default_factory=dict)
    indicator_value_column: tuple[str, int] = ("Wert", 4)

    def where(self, path: str) -> Where | None:
        """Where a document path came from, or None if it is not in the workbook."""
        if path.startswith("indicators."):
            row = self.indicator_rows.get(path[len("indicators.") :])
            label, column = self.indicator_value_column
            return Where(INDICATOR_SHEET, row, label if row else None, column)
        if path.startswith("indicator_practices."):
            label, column = self.columns.get("links", ("Erläutert Kennzahlen", 0))
            return Where(PRACTICE_SHEET, None, label, column)
        if path == "practices":
            return Where(PRACTICE_SHEET)
        match = _PRACTICE_PATH.match(path)
        if not match:
            return None
        ref, rest = match.group("ref"), match.group("rest")
        if ref.startswith("#") and ref[1:].isdigit():
            index: int | None = int(ref[1:]) - 1
        else:
            index = self.practice_ids.get(ref.lower())
        if index is None or not 0 <= index < len(self.practice_rows):
            return Where(PRACTICE_SHEET)
        row = self.practice_rows[index]
        key = self._column_key(index, rest)
        if key is None or key not in self.columns:
            return Where(PRACTICE_SHEET, row)
        label, column_index = self.columns[key]
        return Where(PRACTICE_SHEET, row, label, column_index)

    def _column_key(self, index: int, rest: str) -> str | None:
        if not rest:
            return None
        actor = _ACTOR_PATH.match(rest)
        if actor:
            n = int(actor.group("n"))
            slots = self.actor_slots[index] if index < len(self.actor_slots) else []
            slot = slots[n] if n < len(slots) else n + 1
            return f"actor.{slot}.{actor.group('part') or 'name'}"
        name = re.split(r"[.\[]", rest.lstrip("."), maxsplit=1)[0]
        if name == "actors":
            return "actor.1.name"
        if name == "adopted_from":
            sub = rest.lstrip(".").split(".")
            return f"adopted.{sub[1]}" if len(sub) > 1 else "adopted.practice"
        return name

    def locate(self, errors: Iterable[FieldError]) -> list[FieldError]:
        """Validation errors of the document with their place in the workbook, together with
        the problems found while reading (a field with a reading problem is named once),
        in sheet, row and column order."""
        read_paths = {p.error.field for p in self.problems}
        items = list(self.problems)
        for error in errors:
            if error.field in read_paths:
                continue
            where = self.where(error.field) or WORKBOOK
            items.append(Located(FieldError(error.field, error.message, str(where)), where))
        items.sort(key=lambda item: item.where.sort_key())
        return [item.error for item in items]


def _problem(result: ReadResult, path: str, message: str, where: Where) -> None:
    result.problems.append(Located(FieldError(path, message, str(where)), where))


# --- reading: the workbook ---------------------------------------------------------------------

Grid = list[list[CellValue]]


class UnreadableWorkbook(Exception):
    """The file is not an .xlsx workbook openpyxl can read safely; the message says why.

    The message is a German text, or a lazy translation with its parameters (a limit): ``str()``
    gives it in the language of the request."""


class WorkbookTooLarge(UnreadableWorkbook):
    """A part of the workbook passes one of the limits (``limit`` names it: "styles", …)."""

    def __init__(self, limit: str, message: Any) -> None:
        super().__init__(message)
        self.limit = limit


def _grouped(number: int) -> str:
    """A count with the grouping of the request's language ("5.000" in German)."""
    return format_decimal(number, locale=get_locale() or "de")


def _mb(size: int) -> str:
    return _grouped(size // (1024 * 1024))


def _too_large(limit: str, part: str = "") -> WorkbookTooLarge:
    """The refusal for a passed limit, with a message naming it (translated when shown)."""
    n = {
        "entries": MAX_ZIP_ENTRIES,
        "total_bytes": MAX_UNCOMPRESSED_BYTES,
        "part_bytes": MAX_PART_BYTES,
        "part_elements": MAX_PART_ELEMENTS,
        "total_elements": MAX_TOTAL_ELEMENTS,
        "cells": MAX_SHEET_CELLS,
        "rows": MAX_SHEET_ROWS,
        "styles": MAX_STYLES,
        "strings": MAX_SHARED_STRINGS,
        "text": MAX_TEXT_CHARS,
    }[limit]
    count = LazyString(_grouped, n)
    size = LazyString(_mb, n)
    messages = {
        "entries": lazy_gettext(
            "Die Arbeitsmappe besteht aus zu vielen Teilen (mehr als %(limit)s Dateien im "
            ".xlsx-Archiv).",
            limit=count,
        ),
        "total_bytes": lazy_gettext(
            "Die Arbeitsmappe ist zu groß (entpackt mehr als %(limit)s MB).", limit=size
        ),
        "part_bytes": lazy_gettext(
            "Die Arbeitsmappe ist zu groß: Der Teil %(part)s ist entpackt größer als %(limit)s MB.",
            part=part,
            limit=size,
        ),
        "part_elements": lazy_gettext(
            "Die Arbeitsmappe ist zu umfangreich: Der Teil %(part)s enthält mehr als "
            "%(limit)s XML-Elemente.",
            part=part,
            limit=count,
        ),
        "total_elements": lazy_gettext(
            "Die Arbeitsmappe ist zu umfangreich (mehr als %(limit)s XML-Elemente).", limit=count
        ),
        "cells": lazy_gettext(
            "Ein Tabellenblatt der Arbeitsmappe hat zu viele ausgefüllte oder formatierte Zellen "
            "(mehr als %(limit)s, im Teil %(part)s).",
            part=part,
            limit=count,
        ),
        "rows": lazy_gettext(
            "Ein Tabellenblatt der Arbeitsmappe hat zu viele Zeilen (mehr als %(limit)s, im Teil "
            "%(part)s).",
            part=part,
            limit=count,
        ),
        "styles": lazy_gettext(
            "Die Arbeitsmappe enthält zu viele Formatvorlagen (mehr als %(limit)s). Bitte "
            "übertragen Sie die Angaben in eine neu heruntergeladene Vorlage.",
            limit=count,
        ),
        "strings": lazy_gettext(
            "Die Arbeitsmappe enthält zu viele verschiedene Texte (mehr als %(limit)s).",
            limit=count,
        ),
        "text": lazy_gettext(
            "Die Arbeitsmappe enthält einen zu langen Text (mehr als %(limit)s Zeichen in einer "
            "Zelle, im Teil %(part)s).",
            part=part,
            limit=count,
        ),
    }
    return WorkbookTooLarge(limit, messages[limit])


def _damaged() -> UnreadableWorkbook:
    return UnreadableWorkbook("Die Datei ist beschädigt (kein gültiges .xlsx).")


#: Start tags counted by name, with any namespace prefix (XML names may be non-ASCII): which
#: limit each counts against.
_COUNTED = re.compile(
    rb"<(?:[^\s<>/:=!?]{1,100}:)?(xf|font|fill|border|numFmt|dxf|cellStyle|si|row|c)[\s/>]"
)
_COUNTED_LIMIT = {
    b"xf": "styles",
    b"font": "styles",
    b"fill": "styles",
    b"border": "styles",
    b"numFmt": "styles",
    b"dxf": "styles",
    b"cellStyle": "styles",
    b"si": "strings",
    b"row": "rows",
    b"c": "cells",
}
_LIMIT_OF = {
    "styles": MAX_STYLES,
    "strings": MAX_SHARED_STRINGS,
    "rows": MAX_SHEET_ROWS,
    "cells": MAX_SHEET_CELLS,
}
_CHUNK = 64 * 1024  # less than MAX_TEXT_BYTES (see _PartScan.feed)
_UTF8_BOM = b"\xef\xbb\xbf"


class _PartScan:
    """Counts one zip entry while it is unpacked chunk by chunk: bytes, and for XML, start tags
    (all, and the counted ones), and the longest stretch without ``<`` (a text or a tag).
    Raises :class:`WorkbookTooLarge` as soon as a limit is passed."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.size = 0
        self.elements = 0
        self.is_xml: bool | None = None  # decided by the first bytes
        self.tail = b""  # from the last "<" of the data so far (a tag cut by the chunk)
        self.run = 0  # bytes since the last "<"
        self.counts = dict.fromkeys(_LIMIT_OF, 0)

    def feed(self, chunk: bytes) -> int:
        """Count a chunk; the new start tags it holds (for the archive's total)."""
        self.size += len(chunk)
        if self.size > MAX_PART_BYTES:
            raise _too_large("part_bytes", self.name)
        if self.is_xml is None:  # decided by the first bytes other than white space
            first = self.size == len(chunk)
            if first and (
                chunk.startswith((b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff"))
                or (b"\x00" in chunk[:4] and b"<" in chunk[:4])
            ):
                # XML in UTF-16 or UTF-32, which no office program writes for a workbook: its
                # tags would escape the byte-level count
                raise _damaged()
            chunk = (chunk.removeprefix(_UTF8_BOM) if first else chunk).lstrip(b" \t\r\n")
            if not chunk:
                return 0
            self.is_xml = chunk.startswith(b"<")
        if not self.is_xml:
            return 0
        if b"\x00" in chunk:  # no XML 1.0 document holds NUL; UTF-16/32 would hide the tags
            raise _damaged()
        starts = chunk.count(b"<")
        new = starts - chunk.count(b"</") - chunk.count(b"<?") - chunk.count(b"<!")
        self.elements += new
        if self.elements > MAX_PART_ELEMENTS:
            raise _too_large("part_elements", self.name)
        # a chunk is shorter than the longest text allowed: only a stretch that runs on from
        # earlier chunks can pass it
        opening = chunk.find(b"<")
        if opening == -1:
            self.run += len(chunk)
        else:
            if self.run + opening > MAX_TEXT_BYTES:
                raise _too_large("text", self.name)
            self.run = len(chunk) - chunk.rfind(b"<") - 1
        if self.run > MAX_TEXT_BYTES:
            raise _too_large("text", self.name)
        if starts:
            buffer = self.tail + chunk
            last = buffer.rfind(b"<")
            for tag in _COUNTED.findall(buffer, 0, last):
                self.counts[_COUNTED_LIMIT[tag]] += 1
            self.tail = buffer[last : last + 48]
            for limit, count in self.counts.items():
                if count > _LIMIT_OF[limit]:
                    raise _too_large(limit, self.name)
        elif len(self.tail) < 48:
            self.tail = (self.tail + chunk)[:48]
        return new

    def close(self) -> None:
        """Count the tag the last chunk ended with."""
        if self.is_xml and self.tail:
            for tag in _COUNTED.findall(self.tail + b" "):
                self.counts[_COUNTED_LIMIT[tag]] += 1
            for limit, count in self.counts.items():
                if count > _LIMIT_OF[limit]:
                    raise _too_large(limit, self.name)


def _odd_entry(info: zipfile.ZipInfo) -> bool:
    """An entry no workbook has: encrypted, compressed other than deflate, an absolute or
    climbing path, or a name too long."""
    name = info.filename
    return bool(
        info.flag_bits & 0x1
        or info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)
        or name.startswith(("/", "\\"))
        or ".." in name.replace("\\", "/").split("/")
        or len(name) > 255
        or (name.endswith("/") and info.file_size > 0)
    )


def check_container(data: bytes) -> None:
    """Refuse a file that is no workbook, or whose unpacked parts pass a limit.

    Reads every entry of the zip archive in chunks, counting as it goes, and stops at the first
    limit passed: the time and memory it takes are bounded by the limits, not by the file. Raises
    :class:`UnreadableWorkbook` (:class:`WorkbookTooLarge` for a passed limit)."""
    if data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):  # OLE: .xls, or encrypted
        raise UnreadableWorkbook(
            "Die Datei ist eine ältere Excel-Datei (.xls) oder mit einem Kennwort geschützt. "
            "Bitte ohne Kennwort als „Excel-Arbeitsmappe (.xlsx)“ speichern."
        )
    if not data.startswith(b"PK\x03\x04"):
        raise UnreadableWorkbook(
            "Die Datei ist keine Excel-Arbeitsmappe (.xlsx). Ältere .xls-Dateien und "
            ".ods-Dateien bitte als „Excel-Arbeitsmappe (.xlsx)“ speichern."
        )
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
            if len(entries) > MAX_ZIP_ENTRIES:
                raise _too_large("entries")
            names = [e.filename for e in entries]
            if len(set(names)) != len(names) or any(_odd_entry(e) for e in entries):
                raise _damaged()
            if any(e.file_size > MAX_PART_BYTES for e in entries):  # as declared; counted below
                big = next(e for e in entries if e.file_size > MAX_PART_BYTES)
                if sum(e.file_size for e in entries) > MAX_UNCOMPRESSED_BYTES:
                    raise _too_large("total_bytes")
                raise _too_large("part_bytes", big.filename)
            if sum(e.file_size for e in entries) > MAX_UNCOMPRESSED_BYTES:
                raise _too_large("total_bytes")
            total = elements = 0
            for entry in entries:
                if entry.is_dir():
                    continue
                scan = _PartScan(entry.filename)
                with archive.open(entry) as stream:
                    while chunk := stream.read(_CHUNK):
                        total += len(chunk)
                        if total > MAX_UNCOMPRESSED_BYTES:
                            raise _too_large("total_bytes")
                        elements += scan.feed(chunk)
                        if elements > MAX_TOTAL_ELEMENTS:
                            raise _too_large("total_elements")
                scan.close()
    except UnreadableWorkbook:
        raise
    except (zipfile.BadZipFile, zlib.error, ValueError, EOFError, OSError, RuntimeError) as exc:
        # RuntimeError: encrypted entry; NotImplementedError (a RuntimeError): compression
        log.info("damaged workbook: %s: %s", type(exc).__name__, exc)
        raise _damaged() from exc


def _load_grids(data: bytes, sheets: dict[str, int]) -> dict[str, Grid]:
    """The cells of some sheets, each with its cached value and whether it was a formula.

    The workbook is opened twice, read-only: once for the formulas (to know which cells are
    formulas), once for the values a spreadsheet program stored with them."""
    check_container(data)
    try:
        formulas = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
        values = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for broken or hostile files
        log.info("unreadable workbook: %s: %s", type(exc).__name__, exc)
        raise UnreadableWorkbook(
            "Die Datei lässt sich nicht als Excel-Arbeitsmappe (.xlsx) lesen."
        ) from exc
    grids: dict[str, Grid] = {}
    try:
        for name, max_rows in sheets.items():
            if name not in values.sheetnames:
                continue
            # columns bounded too: openpyxl pads every row to the sheet's declared width
            max_col = 2 if name == META_SHEET else MAX_COLUMNS
            f_rows = formulas[name].iter_rows(min_row=1, max_row=max_rows, max_col=max_col)
            v_rows = values[name].iter_rows(min_row=1, max_row=max_rows, max_col=max_col)
            grid: Grid = []
            for f_row, v_row in zip(f_rows, v_rows, strict=False):
                row = []
                for f_cell, v_cell in zip(f_row, v_row, strict=False):
                    row.append(
                        CellValue(
                            v_cell.value,
                            getattr(f_cell, "data_type", "n") == "f",
                            getattr(v_cell, "data_type", "n") == "e",
                            getattr(v_cell, "number_format", None) or "General",
                        )
                    )
                grid.append(row)
            grids[name] = grid
    except Exception as exc:
        log.info("unreadable workbook sheet: %s: %s", type(exc).__name__, exc)
        raise UnreadableWorkbook(
            "Die Datei lässt sich nicht als Excel-Arbeitsmappe (.xlsx) lesen."
        ) from exc
    finally:
        formulas.close()
        values.close()
    return grids


def _cell(grid: Grid, row: int, column: int) -> CellValue:
    """The cell at 1-based row and column (BLANK beyond the data)."""
    if row - 1 < len(grid):
        cells = grid[row - 1]
        if column - 1 < len(cells):
            return cells[column - 1]
    return BLANK


def read_meta(grids: dict[str, Grid]) -> tuple[dict[str, str], dict[str, str]]:
    """The key/value rows of the hidden sheet (empty when it is missing), and the draft's
    fingerprints among them."""
    meta: dict[str, str] = {}
    marks: dict[str, str] = {}
    for row in grids.get(META_SHEET, []):
        if len(row) >= 2 and isinstance(row[0].value, str):
            key, value = row[0].value.strip(), row[1].value
            text = "" if value is None else str(value).strip()
            if _PATH_KEY.match(key):
                marks[key] = text
            else:
                meta[key] = text
    return meta, marks


def check_meta(
    meta: dict[str, str], *, template: ReportTemplate, cycle: str, municipality: str
) -> list[str]:
    """Why this workbook does not fit the report (empty when it does)."""
    download = "Bitte laden Sie die Excel-Vorlage dieses Berichts neu herunter."
    if not meta:
        return [
            "Die Arbeitsmappe ist keine OMK-Vorlage (das ausgeblendete Blatt „_omk“ fehlt). "
            + download
        ]
    if meta.get("format") != WORKBOOK_FORMAT:
        return [
            f"Unbekanntes Format der Arbeitsmappe ({meta.get('format') or 'fehlt'}). {download}"
        ]
    problems = []
    version = meta.get("template_version") or ""
    if version != template.version:
        problems.append(
            f"Die Arbeitsmappe wurde für die Berichtsvorlage {version or '(ohne Angabe)'} "
            f"erstellt; dieser Bericht verwendet Vorlage {template.version}. {download}"
        )
    if meta.get("cycle") != cycle:
        problems.append(
            f"Die Arbeitsmappe gehört zur Berichtsrunde {meta.get('cycle') or '(ohne Angabe)'}, "
            f"nicht zu {cycle}. {download}"
        )
    if meta.get("municipality") and meta.get("municipality") != municipality:
        problems.append(
            f"Die Arbeitsmappe gehört zur Kommune {meta['municipality']}, nicht zu "
            f"{municipality}. {download}"
        )
    return problems


def _header(
    grid: Grid, expected: Iterable[str], required: Iterable[str]
) -> tuple[int, dict[str, int]] | None:
    """The heading row (searched in the first rows) and each expected heading's column."""
    wanted = {_norm(label): label for label in expected}
    need = {_norm(label) for label in required}
    for r, row in enumerate(grid[:20], start=1):
        found: dict[str, int] = {}
        for c, cell in enumerate(row, start=1):
            if isinstance(cell.value, str) and _norm(cell.value) in wanted:
                found.setdefault(wanted[_norm(cell.value)], c)
        if need <= {_norm(k) for k in found}:
            return r, found
    return None


def read_workbook(
    data: bytes,
    content: Content,
    template: ReportTemplate,
    *,
    cycle: str,
    municipality: str,
    current: dict[str, Any] | None = None,
    assign_ids: Callable[[dict[str, Any], dict[str, Any]], Any] | None = None,
) -> ReadResult:
    """Read a workbook made by :func:`build_workbook` into a document for one report.

    ``current`` is the draft it will replace: practices keep unknown extra fields and a value
    that differs only in whitespace or line endings is not a change. ``assign_ids`` gives new
    practices their id (the service's rule: same title as a practice of the draft, else new), so
    that indicator links can name them. Raises :class:`UnreadableWorkbook` for a file that is no
    workbook."""
    rows = HEADER_ROW + MAX_DATA_ROWS + 20
    grids = _load_grids(
        data, {META_SHEET: MAX_META_ROWS, INDICATOR_SHEET: rows, PRACTICE_SHEET: rows}
    )
    meta, marks = read_meta(grids)
    result = ReadResult(document=None, meta=meta, fingerprints=marks)
    for message in check_meta(
        result.meta, template=template, cycle=cycle, municipality=municipality
    ):
        _problem(result, "workbook", message, WORKBOOK)
    if result.problems:
        return result
    doc = empty_document(municipality, cycle)
    current = current or empty_document(municipality, cycle)
    _read_indicators(result, grids.get(INDICATOR_SHEET), content, template, doc)
    links = _read_practices(result, grids.get(PRACTICE_SHEET), content, template, doc, current)
    if assign_ids is not None:
        assign_ids(doc, current)
    else:
        for p in doc["practices"]:
            p["id"] = p.get("id") or str(uuid.uuid4())
    for i, p in enumerate(doc["practices"]):
        pid = str(p.get("id") or "")
        result.practice_ids.setdefault(pid.lower(), i)
    doc["indicator_practices"] = _links(doc, links, current, template)
    # problems found before ids were assigned name new practices by position: re-key them
    for item in result.problems:
        item.error.field = _rekey(item.error.field, doc)
    result.document = doc
    return result


def _rekey(path: str, doc: dict[str, Any]) -> str:
    match = re.match(r"^practices\[#(\d+)\](.*)$", path)
    if not match:
        return path
    index = int(match.group(1)) - 1
    practices = doc["practices"]
    if 0 <= index < len(practices):
        return exchange.practice_ref(practices[index], index) + match.group(2)
    return path


def _read_indicators(
    result: ReadResult,
    grid: Grid | None,
    content: Content,
    template: ReportTemplate,
    doc: dict[str, Any],
) -> None:
    if grid is None:
        _problem(result, "indicators", "Das Blatt „Kennzahlen“ fehlt.", Where(INDICATOR_SHEET))
        return
    found = _header(grid, INDICATOR_HEADINGS, ("Code", "Wert"))
    if found is None:
        _problem(
            result,
            "indicators",
            "Die Überschriften „Code“ und „Wert“ fehlen (sie stehen in Zeile 3 der Vorlage).",
            Where(INDICATOR_SHEET),
        )
        return
    header, columns = found
    code_col, value_col = columns["Code"], columns["Wert"]
    result.indicator_value_column = ("Wert", value_col)
    codes = set(template.indicator_codes())
    by_label = Lookup((c, content.indicators[c].label) for c in template.indicator_codes())
    for r in range(header + 1, len(grid) + 1):
        code_cell, value_cell = _cell(grid, r, code_col), _cell(grid, r, value_col)
        where = Where(INDICATOR_SHEET, r, "Wert", value_col)
        if code_cell.is_blank:
            if not value_cell.is_blank:
                _problem(
                    result,
                    "indicators",
                    "Wert ohne Kennzahl: in dieser Zeile fehlt der Code.",
                    Where(INDICATOR_SHEET, r, "Code", code_col),
                )
            continue
        if r > header + MAX_DATA_ROWS:
            _problem(result, "indicators", "Zu viele Zeilen.", Where(INDICATOR_SHEET, r))
            break
        try:
            code = by_label.code(read_text(code_cell) or "")
        except CellProblem as exc:
            _problem(result, "indicators", exc.message, Where(INDICATOR_SHEET, r, "Code", code_col))
            continue
        path = f"indicators.{code}"
        if code not in codes:
            _problem(
                result,
                path,
                f"Unbekannte Kennzahl „{code}“ (Vorlage {template.version}).",
                Where(INDICATOR_SHEET, r, "Code", code_col),
            )
            continue
        if code in result.indicator_rows:
            _problem(
                result,
                path,
                f"Die Kennzahl steht doppelt (auch in Zeile {result.indicator_rows[code]}).",
                Where(INDICATOR_SHEET, r, "Code", code_col),
            )
            continue
        result.indicator_rows[code] = r
        try:
            value = read_number(value_cell)
        except CellProblem as exc:
            _problem(result, path, exc.message, where)
            continue
        if value is None:
            continue
        # the form's rules and messages (whole numbers, bounds), cell by cell
        checked, message = numbers.indicator_value(
            numbers.format_number(value), content.indicators[code]
        )
        if message:
            _problem(result, path, message, where)
        else:
            doc["indicators"][code] = checked


def _read_practices(
    result: ReadResult,
    grid: Grid | None,
    content: Content,
    template: ReportTemplate,
    doc: dict[str, Any],
    current: dict[str, Any],
) -> list[list[str]]:
    """Fill ``doc["practices"]``; returns each practice's indicator codes (links column)."""
    links: list[list[str]] = []
    if grid is None:
        _problem(result, "practices", "Das Blatt „Maßnahmen“ fehlt.", Where(PRACTICE_SHEET))
        return links
    base = practice_columns(template, 0)
    headings = [c.label for c in base]
    slots = 0
    while True:  # as many actor groups as the sheet has headings for
        names = [f"Akteur {slots + 1}: {part}" for part in ("Name", "Typ", "federführend")]
        if _header(grid, [*headings, *names], names) is None:
            break
        slots += 1
        if slots > 60:
            break
    columns = practice_columns(template, slots)
    found = _header(grid, [c.label for c in columns], headings)
    if found is None:
        title = next((c.label for c in base if c.key == "title"), "ID")
        present = _header(grid, headings, [title]) or _header(grid, headings, ["ID"])
        missing = [h for h in headings if present is None or h not in present[1]]
        where = Where(PRACTICE_SHEET, present[0] if present else None)
        _problem(
            result,
            "practices",
            "Es fehlen Spalten: "
            + ", ".join(f"„{m}“" for m in missing)
            + ". Bitte Überschriften nicht ändern oder löschen.",
            where,
        )
        return links
    header, positions = found
    for column in columns:
        result.columns[column.key] = (column.label, positions[column.label])
    lookups = {name: Lookup(_labels(content, name)) for name in (*_CODE_LISTS, "actor_types")}
    indicators = Lookup((c, content.indicators[c].label) for c in template.indicator_codes())
    known_codes = set(template.indicator_codes())
    current_by_id = {str(p.get("id") or "").lower(): p for p in current.get("practices") or []}
    seen_ids: dict[str, int] = {}
    visible = [c for c in columns if c.key != "id"]
    for r in range(header + 1, len(grid) + 1):
        if all(_cell(grid, r, positions[c.label]).is_blank for c in visible):
            continue  # blank rows anywhere (an ID left behind alone counts as blank)
        if r > header + MAX_DATA_ROWS:
            _problem(
                result,
                "practices",
                f"Mehr als {MAX_DATA_ROWS} Zeilen werden nicht gelesen.",
                Where(PRACTICE_SHEET, r),
            )
            break
        index = len(doc["practices"])
        ref = f"practices[#{index + 1}]"
        practice: dict[str, Any] = {}
        row_links: list[str] = []
        slots_used: list[int] = []

        def fail(key: str, path: str, message: str, r: int = r) -> None:
            label, c = result.columns[key]
            _problem(result, path, message, Where(PRACTICE_SHEET, r, label, c))

        for column in columns:
            cell = _cell(grid, r, positions[column.label])
            if column.key.startswith("actor."):
                continue
            path = f"{ref}.{column.key}"
            try:
                _read_field(practice, column, cell, lookups, row_links, indicators)
            except CellProblem as exc:
                if column.key == "links":
                    path = "indicator_practices"
                elif column.key.startswith("adopted."):
                    path = f"{ref}.adopted_from"
                fail(column.key, path, exc.message)
        for code in row_links:
            if code not in known_codes:
                fail("links", "indicator_practices", f"Unbekannte Kennzahl „{code}“.")
        row_links = [c for c in row_links if c in known_codes]
        actors: list[dict[str, Any]] = []
        for n in range(1, slots + 1):
            cells = {
                part: _cell(grid, r, positions[f"Akteur {n}: {label}"])
                for part, label in (("name", "Name"), ("type", "Typ"), ("lead", "federführend"))
            }
            if all(c.is_blank for c in cells.values()):
                continue
            actor_path = f"{ref}.actors[{len(actors)}]"
            try:
                name = read_text(cells["name"])
                kind = read_text(cells["type"])
                lead = read_flag(cells["lead"])
            except CellProblem as exc:
                fail(f"actor.{n}.name", actor_path, exc.message)
                continue
            if not name:
                fail(
                    f"actor.{n}.name",
                    actor_path + ".name",
                    "Der Name des Akteurs fehlt (Typ oder „federführend“ ist ausgefüllt).",
                )
                continue
            actors.append(
                {
                    "name": name,
                    "type": lookups["actor_types"].code(kind) if kind else "sonstige",
                    "lead": lead,
                }
            )
            slots_used.append(n)
        practice["actors"] = actors
        leads = [n for n, actor in zip(slots_used, actors, strict=True) if actor["lead"]]
        if len(leads) > 1:
            fail(
                f"actor.{leads[1]}.lead", f"{ref}.actors", "Nur ein Akteur kann federführend sein."
            )
        pid = str(practice.get("id") or "").lower()
        if pid:
            if pid in seen_ids:
                fail(
                    "id",
                    f"{ref}.id",
                    f"Diese ID steht auch in Zeile {seen_ids[pid]}. Für eine neue Maßnahme "
                    "(kopierte Zeile) die ID-Zelle in Spalte A leeren.",
                )
                practice["id"] = None
            else:
                seen_ids[pid] = r
        old = current_by_id.get(pid) if pid else None
        if old is not None:
            _keep_unchanged(practice, old)
        doc["practices"].append(practice)
        result.practice_rows.append(r)
        result.actor_slots.append(slots_used)
        links.append(row_links)
    return links


def _read_field(
    practice: dict[str, Any],
    column: Column,
    cell: CellValue,
    lookups: dict[str, Lookup],
    row_links: list[str],
    indicators: Lookup,
) -> None:
    key, kind = column.key, column.kind
    if kind == "id":
        text = read_text(cell)
        practice["id"] = text or None
    elif kind == "links":
        row_links.extend(indicators.code(code) for code in split_list(read_text(cell)))
    elif key.startswith("adopted."):
        text = read_text(cell)
        if text:
            practice.setdefault("adopted_from", {})[key.split(".")[1]] = text
    elif kind in _TEXT_KINDS:
        text = read_text(cell)
        if text is not None or key not in ("title", "criterion", "summary", "description"):
            practice[key] = text
    elif kind == "code":
        text = read_text(cell)
        lookup = lookups[column.taxonomy or ""]
        if text:
            practice[key] = lookup.code(text)
        elif key != "criterion":  # a missing criterion is "Pflichtfeld fehlt"
            practice[key] = None
    elif kind == "codes":
        lookup = lookups[column.taxonomy or ""]
        codes = [lookup.code(item) for item in split_list(read_text(cell))]
        practice[key] = list(dict.fromkeys(codes))
    elif kind == "urls":
        practice[key] = split_urls(read_text(cell))
    elif kind == "month":
        practice[key] = read_month(cell)
    elif kind == "number":
        practice[key] = exchange.number(read_number(cell))
    else:  # pragma: no cover - every kind is handled above
        practice[key] = read_text(cell)


def _canon_text(value: str) -> str:
    lines = value.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(line.rstrip() for line in lines).strip()


def _keep_unchanged(practice: dict[str, Any], old: dict[str, Any]) -> None:
    """Keep the draft's value where the cell differs only in whitespace or line endings, and
    the draft's extra fields (the workbook has no column for them)."""
    for key, value in list(practice.items()):
        before = old.get(key)
        if not (isinstance(value, str) and isinstance(before, str)):
            continue
        if _canon_text(value) == _canon_text(before):
            practice[key] = before
    for key, value in old.items():
        if key not in exchange.PRACTICE_FIELDS and key not in practice:
            practice[key] = value


def _links(
    doc: dict[str, Any],
    links: list[list[str]],
    current: dict[str, Any],
    template: ReportTemplate,
) -> dict[str, list[str]]:
    """``indicator_practices`` from each practice row's codes, in the draft's order where the
    draft had the link already (so an unchanged workbook changes nothing), new links after."""
    wanted: dict[str, list[str]] = {}
    for practice, codes in zip(doc["practices"], links, strict=True):
        pid = str(practice.get("id") or "")
        for code in codes:
            if pid and pid not in wanted.setdefault(code, []):
                wanted[code].append(pid)
    before = current.get("indicator_practices") or {}
    result: dict[str, list[str]] = {}
    for code in template.indicator_codes():
        refs = wanted.get(code) or []
        if not refs:
            continue
        kept = [r for r in before.get(code) or [] if r in refs]
        result[code] = kept + [r for r in refs if r not in kept]
    return result
