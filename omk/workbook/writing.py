"""Writing a workbook: the help sheet, the indicator and practice sheets, the hidden sheets.

Text cells that a spreadsheet would take for a formula are written with Excel's quote prefix.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any, Literal

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from omk import exchange, numbers, wording
from omk.content import Content, Indicator, ReportTemplate
from omk.document_types import ActorEntry, ReportDocument
from omk.workbook.columns import _HELP, _WIDTHS, INDICATOR_HEADINGS, Column, practice_columns
from omk.workbook.document import WorkbookInfo
from omk.workbook.layout import (
    _GROUP_FILL,
    _HEADER_FILL,
    _HEADER_FONT,
    _INPUT_FILL,
    _TECH_FONT,
    _TOP,
    _WRAP,
    CODES_SHEET,
    FORMULA_TRIGGERS,
    HEADER_ROW,
    HELP_SHEET,
    INDICATOR_SHEET,
    INPUT_ROWS,
    META_SHEET,
    MIN_ACTOR_SLOTS,
    PRACTICE_SHEET,
    WORKBOOK_FORMAT,
    YES,
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
    doc: ReportDocument, content: Content, template: ReportTemplate, info: WorkbookInfo
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
        "Semikolon trennen, z. B. „Unterstützung lokaler Netzwerke; Interkulturelle Öffnung der "
        "Verwaltung“. Die Bezeichnungen stehen unten; die Codes werden auch verstanden.",
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
        return _HELP["codes"].format(example=wording.example(content.taxonomy, column.taxonomy))
    if column.kind == "text":
        return "Text." + (" Pflichtangabe beim Einreichen." if column.required else "")
    return _HELP.get(column.kind, "")


def _write_indicators(
    ws: Worksheet,
    doc: ReportDocument,
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
    doc: ReportDocument,
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
            value = _practice_cell(p, column, actors, links, order, labels, content)
            if column.key == "adopted.practice" and isinstance(value, str):
                value = info.origin_titles.get(value.lower(), value)
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
    p: Mapping[str, Any],  # a PracticeDocument, read by column key
    column: Column,
    actors: list[ActorEntry],
    links: dict[str, list[str]],
    order: list[str],
    labels: dict[str, dict[str, str]],
    content: Content,
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
        return wording.indicators_to_text(content, codes)
    if key.startswith("adopted."):
        adopted = p.get("adopted_from") or {}
        return adopted.get(key.split(".")[1])
    value = p.get(key)
    if kind == "code" and column.taxonomy and isinstance(value, str):
        return labels.get(column.taxonomy, {}).get(value, value)
    if kind == "codes" and column.taxonomy:
        return wording.codes_to_text(content.taxonomy, column.taxonomy, value or [])
    if kind == "urls":
        return "; ".join(value or [])
    if kind == "number":
        return exchange.number(value)
    return value
