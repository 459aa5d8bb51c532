"""The workbook fixtures in tests/data, saved by LibreOffice, and the draft they were made from.

The committed files are what the tests read; this module is how they were made, so that they
can be made again (it needs LibreOffice: ``apt-get install libreoffice-calc``)::

    .venv/bin/python -m tests.workbook_fixtures

Each fixture starts as the workbook OMK gives for :func:`base_document`, is edited with
openpyxl the way an office edits it (text with decimal commas, a date where a month is
expected, formulas, blank rows, trailing spaces), and is then opened and saved by LibreOffice
Calc, which stores the formulas' results.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
import tempfile
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from omk import exchange, workbook
from omk.content import Content, load_content
from tests import factories

DATA = Path(__file__).parent / "data"
CLEAN = DATA / "workbook-libreoffice-clean.xlsx"
ERRORS = DATA / "workbook-libreoffice-errors.xlsx"

ESSEN = "05113000"
SPRACHCAFE = "5b0c2f0e-1d7a-4c53-9a51-0f3c2b8e7a11"
PATEN = "8d7e6f50-4b3a-4c2d-8e1f-0a9b8c7d6e5f"
CREATED_AT = "01.02.2026 10:00"


@cache
def content() -> Content:
    """The shipped content (loaded once: YAML parsing is slow)."""
    return load_content()


def base_document() -> dict[str, Any]:
    """The draft both fixtures were downloaded from (canonical, fixed ids)."""
    doc = factories.document(
        ESSEN,
        practices=[
            factories.practice(id=SPRACHCAFE),
            factories.practice(
                "Patenschaften für Familien",
                id=PATEN,
                criterion="zivilgesellschaft",
                fields=["partizipation"],
                recommendations=["C3"],
                summary="Ehrenamtliche begleiten neu zugewanderte Familien ein Jahr lang.",
                actors=[
                    {"name": "Caritas Essen", "type": "wohlfahrtsverband", "lead": True},
                    {"name": "Stadt Essen", "type": "verwaltung", "lead": False},
                ],
                target_groups=["familien"],
                started="2021",
                budget_eur=8000,
                staff_fte=0.5,
            ),
        ],
    )
    return exchange.canonical(doc, content().template("1"))


def base_workbook() -> bytes:
    """The workbook OMK gives for :func:`base_document`."""
    doc = base_document()
    info = workbook.WorkbookInfo(
        cycle="2025",
        municipality=ESSEN,
        template_version="1",
        base=workbook.content_hash(doc),
        municipality_name="Essen, Stadt",
        cycle_title="Berichtsrunde 2025",
        created_at=CREATED_AT,
    )
    return workbook.build_workbook(doc, content(), content().template("1"), info)


def indicator_row(ws: Worksheet, code: str) -> int:
    """The row of an indicator code on the Kennzahlen sheet."""
    for row in ws.iter_rows(min_row=1):
        for cell in row:
            if cell.value == code:
                return int(cell.row)
    raise KeyError(code)


def column(ws: Worksheet, heading: str) -> int:
    """The column of a heading (without the required mark) in row 3."""
    for cell in ws[workbook.HEADER_ROW]:
        if isinstance(cell.value, str) and cell.value.rstrip(" *") == heading:
            return int(cell.column)
    raise KeyError(heading)


def _move_row(ws: Worksheet, source: int, target: int) -> None:
    for cell in list(ws[source]):
        if cell.value is None:
            continue
        new = ws.cell(row=target, column=cell.column, value=cell.value)
        new.data_type = cell.data_type
        cell.value = None


def edit_clean(data: bytes) -> bytes:
    """Office edits that must import cleanly."""
    wb = load_workbook(io.BytesIO(data))
    ind, pr = wb[workbook.INDICATOR_SHEET], wb[workbook.PRACTICE_SHEET]
    ind.cell(indicator_row(ind, "unterbringung.aufenthaltsdauer_gu"), 4).value = "9,75"
    ind.cell(indicator_row(ind, "unterbringung.dezentral_anteil"), 4).value = "62,5 %"
    ind.cell(indicator_row(ind, "sprache_bildung.kursplaetze_kommunal"), 4).value = "1.200"
    ind.cell(indicator_row(ind, "unterbringung.zuweisungen"), 4).value = "=400+12+3"
    ind.cell(indicator_row(ind, "verwaltung.budget_eur"), 4).value = " 450000 "
    # blank rows above, between and below the practices
    _move_row(pr, 5, 8)
    _move_row(pr, 4, 5)
    title, started = column(pr, "Titel"), column(pr, "Beginn (JJJJ oder JJJJ-MM)")
    budget, fte = column(pr, "Budget in Euro"), column(pr, "Personal in VZÄ")
    pr.cell(5, title).value = "Sprachcafé im Stadtteilzentrum   "
    pr.cell(5, started).value = datetime(2019, 6, 1)
    pr.cell(5, started).number_format = "DD.MM.YYYY"
    pr.cell(8, budget).value = "8.000,50"
    pr.cell(8, fte).value = "0,5"
    # a new practice typed by hand: no id, a formula for its title, labels instead of codes
    row = 11
    values = {
        "Titel": '="Lernpaten "&"Weststadt"',
        "Zusammenfassung in einem Satz": "Studierende begleiten Schulkinder beim Lernen.",
        "Kriterium": "Sprachschulung und Integration in das Bildungssystem",
        "Beschreibung": "Zweimal pro Woche\nim Jugendzentrum.",
        "Handlungsfelder": "Sprache und Bildung; partizipation",
        "Zielgruppen": "kinder;jugendliche",
        "Stand": "geplant",
        "Beginn (JJJJ oder JJJJ-MM)": "2026-03",
        "Ergebnisse": "Noch keine.",
        "Übertragbarkeit": "Braucht eine Hochschule in der Nähe.",
        "Quellen (Links)": "https://www.example.org/lernpaten; https://www.example.org/presse",
        "Erläutert Kennzahlen": "sprache_bildung.vorbereitungsklassen",
        "Akteur 1: Name": "Universität Duisburg-Essen",
        "Akteur 1: Typ": "Volkshochschule / Bildungsträger",
        "Akteur 1: federführend": "ja",
    }
    for heading, value in values.items():
        pr.cell(row, column(pr, heading)).value = value
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def edit_errors(data: bytes) -> bytes:
    """Office edits with deliberate mistakes, each in a known cell."""
    wb = load_workbook(io.BytesIO(data))
    ind, pr = wb[workbook.INDICATOR_SHEET], wb[workbook.PRACTICE_SHEET]
    ind.cell(indicator_row(ind, "unterbringung.zuweisungen"), 4).value = "zwölf"
    ind.cell(indicator_row(ind, "unterbringung.untergebracht"), 4).value = "980,5"
    ind.cell(indicator_row(ind, "unterbringung.dezentral_anteil"), 4).value = 140
    ind.cell(indicator_row(ind, "unterbringung.aufenthaltsdauer_gu"), 4).value = "=1/0"
    group = indicator_row(ind, "sprache_bildung.kursplaetze_kommunal") - 1
    ind.cell(group, 4).value = 5  # a value in a section heading row (no code)
    _move_row(pr, 5, 6)  # row 5 blank
    criterion, started = column(pr, "Kriterium"), column(pr, "Beginn (JJJJ oder JJJJ-MM)")
    budget, sources = column(pr, "Budget in Euro"), column(pr, "Quellen (Links)")
    pr.cell(4, criterion).value = "Quatsch"
    pr.cell(4, started).value = "Mai 2019"
    pr.cell(4, budget).value = "viel"
    pr.cell(6, column(pr, "Titel")).value = None
    pr.cell(6, column(pr, "Akteur 3: Typ")).value = "Kirche / Religionsgemeinschaft"
    pr.cell(6, column(pr, "Akteur 2: federführend")).value = "ja"
    pr.cell(6, column(pr, "Erläutert Kennzahlen")).value = "foo.bar"
    # a copied row that kept the hidden id of the first practice
    for cell in pr[4]:
        if cell.value is not None:
            pr.cell(7, cell.column).value = cell.value
    pr.cell(7, criterion).value = "verwaltung"
    pr.cell(7, started).value = "2020"
    pr.cell(7, budget).value = None
    pr.cell(7, sources).value = "www.example.org/ohne-protokoll"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def save_with_libreoffice(data: bytes, target: Path) -> None:
    """Open and save a workbook with LibreOffice Calc (it computes and stores formula results)."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        raise SystemExit("LibreOffice fehlt: apt-get install libreoffice-calc")
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "in" / target.name
        source.parent.mkdir()
        source.write_bytes(data)
        subprocess.run(  # fixed arguments, our own temporary files
            [
                soffice,
                f"-env:UserInstallation=file://{tmp}/profile",
                "--headless",
                "--convert-to",
                "xlsx:Calc MS Excel 2007 XML",
                "--outdir",
                str(Path(tmp) / "out"),
                str(source),
            ],
            check=True,
            capture_output=True,
            timeout=180,
        )
        shutil.copyfile(Path(tmp) / "out" / target.name, target)


def main() -> None:
    base = base_workbook()
    save_with_libreoffice(edit_clean(base), CLEAN)
    save_with_libreoffice(edit_errors(base), ERRORS)
    print(f"written: {CLEAN}, {ERRORS}", file=sys.stderr)


if __name__ == "__main__":
    main()
