"""Reading a workbook back into a document: the hidden sheet, the headings and the data sheets."""

from __future__ import annotations

import io
import uuid
from collections.abc import Callable
from typing import Any

from openpyxl import load_workbook

from omk.content import Content, ReportTemplate
from omk.document_types import ReportDocument
from omk.messages import msg
from omk.workbook.cells import CellValue
from omk.workbook.container import Grid, UnreadableWorkbook, check_container
from omk.workbook.document import _PATH_KEY, empty_document
from omk.workbook.layout import (
    HEADER_ROW,
    INDICATOR_SHEET,
    MAX_COLUMNS,
    MAX_DATA_ROWS,
    MAX_META_ROWS,
    META_SHEET,
    PRACTICE_SHEET,
    WORKBOOK_FORMAT,
    log,
)
from omk.workbook.locating import WORKBOOK, ReadResult, _problem
from omk.workbook.sheets import _links, _read_indicators, _read_practices, _rekey


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
            msg("Die Datei lässt sich nicht als Excel-Arbeitsmappe (.xlsx) lesen.")
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
            msg("Die Datei lässt sich nicht als Excel-Arbeitsmappe (.xlsx) lesen.")
        ) from exc
    finally:
        formulas.close()
        values.close()
    return grids


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
    download = msg("Bitte laden Sie die Excel-Vorlage dieses Berichts neu herunter.")
    if not meta:
        return [
            msg(
                "Die Arbeitsmappe ist keine OMK-Vorlage (das ausgeblendete Blatt „_omk“ fehlt). "
                "%(download)s",
                download=download,
            )
        ]
    if meta.get("format") != WORKBOOK_FORMAT:
        return [
            msg(
                "Unbekanntes Format der Arbeitsmappe (%(format)s). %(download)s",
                format=meta.get("format") or msg("fehlt"),
                download=download,
            )
        ]
    problems: list[str] = []
    version = meta.get("template_version") or ""
    if version != template.version:
        problems.append(
            msg(
                "Die Arbeitsmappe wurde für die Berichtsvorlage %(found)s erstellt; dieser "
                "Bericht verwendet Vorlage %(version)s. %(download)s",
                found=version or msg("(ohne Angabe)"),
                version=template.version,
                download=download,
            )
        )
    if meta.get("cycle") != cycle:
        problems.append(
            msg(
                "Die Arbeitsmappe gehört zur Berichtsrunde %(found)s, nicht zu %(cycle)s. "
                "%(download)s",
                found=meta.get("cycle") or msg("(ohne Angabe)"),
                cycle=cycle,
                download=download,
            )
        )
    if meta.get("municipality") and meta.get("municipality") != municipality:
        problems.append(
            msg(
                "Die Arbeitsmappe gehört zur Kommune %(found)s, nicht zu %(municipality)s. "
                "%(download)s",
                found=meta["municipality"],
                municipality=municipality,
                download=download,
            )
        )
    return problems


def read_workbook(
    data: bytes,
    content: Content,
    template: ReportTemplate,
    *,
    cycle: str,
    municipality: str,
    current: ReportDocument | None = None,
    assign_ids: Callable[[Any, ReportDocument], object] | None = None,
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
    doc: dict[str, Any] = dict(empty_document(municipality, cycle))  # not validated yet
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
