"""The workbook conversion on its own: document ⇄ .xlsx, reading problems and their places."""

from __future__ import annotations

import copy
import io
import re
import zipfile
from datetime import date, datetime
from typing import Any

import pytest
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from omk import exchange, workbook
from omk.content import Content, ReportTemplate
from omk.errors import FieldError
from omk.services.reports import assign_ids
from tests import factories
from tests import workbook_fixtures as fx

ESSEN = fx.ESSEN


@pytest.fixture(scope="module")
def content() -> Content:
    return fx.content()


@pytest.fixture(scope="module")
def template(content: Content) -> ReportTemplate:
    return content.template("1")


def info_for(doc: dict[str, Any], **kw: Any) -> workbook.WorkbookInfo:
    values: dict[str, Any] = {
        "cycle": "2025",
        "municipality": ESSEN,
        "template_version": "1",
        "base": workbook.content_hash(doc),
        "municipality_name": "Essen, Stadt",
        "cycle_title": "Berichtsrunde 2025",
        "created_at": "01.02.2026 10:00",
    }
    values.update(kw)
    return workbook.WorkbookInfo(**values)


def build(doc: dict[str, Any], content: Content, template: ReportTemplate, **kw: Any) -> bytes:
    return workbook.build_workbook(doc, content, template, info_for(doc, **kw))


def read(
    data: bytes,
    content: Content,
    template: ReportTemplate,
    current: dict[str, Any] | None = None,
    **kw: Any,
) -> workbook.ReadResult:
    kw.setdefault("cycle", "2025")
    kw.setdefault("municipality", ESSEN)
    return workbook.read_workbook(
        data, content, template, current=current, assign_ids=assign_ids, **kw
    )


def errors_of(result: workbook.ReadResult, content: Content, template: ReportTemplate) -> list:
    """Reading problems and validation errors, located, as (location, path, message)."""
    assert result.document is not None
    located = result.locate(exchange.check_document(result.document, content, template))
    return [(e.location, e.field, e.message) for e in located]


def edited(data: bytes, change: Any) -> bytes:
    wb = load_workbook(io.BytesIO(data))
    change(wb)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


@pytest.fixture
def doc(template: ReportTemplate) -> dict[str, Any]:
    return fx.base_document()


# --- writing ---------------------------------------------------------------------------------


def test_workbook_round_trips_a_document_unchanged(
    doc: dict[str, Any], content: Content, template: ReportTemplate
) -> None:
    result = read(build(doc, content, template), content, template, current=doc)
    assert result.problems == []
    assert exchange.canonical(result.document or {}, template) == doc
    assert [p["id"] for p in result.document["practices"]] == [fx.SPRACHCAFE, fx.PATEN]  # type: ignore[index]


def test_round_trip_without_the_draft_at_hand_keeps_ids_and_values(
    doc: dict[str, Any], content: Content, template: ReportTemplate
) -> None:
    result = read(build(doc, content, template), content, template, current=None)
    assert result.problems == []
    assert exchange.canonical(result.document or {}, template) == doc


def test_workbook_layout(doc: dict[str, Any], content: Content, template: ReportTemplate) -> None:
    wb = load_workbook(io.BytesIO(build(doc, content, template)))
    assert wb.sheetnames == ["Hinweise", "Kennzahlen", "Maßnahmen", "Codes", "_omk"]
    assert [ws.sheet_state for ws in wb.worksheets] == [
        "visible",
        "visible",
        "visible",
        "hidden",
        "hidden",
    ]
    meta = {row[0].value: row[1].value for row in wb["_omk"].iter_rows()}
    assert meta["format"] == "omk-workbook/1" and meta["exchange_format"] == "omk-report/1"
    assert meta["template_version"] == "1" and meta["cycle"] == "2025"
    assert meta["municipality"] == ESSEN and meta["base"] == workbook.content_hash(doc)

    ind = wb["Kennzahlen"]
    assert [c.value for c in ind[3]] == list(workbook.INDICATOR_HEADINGS)
    # grouped by criterion: a heading row, then the section's indicators
    assert ind["A4"].value == "Verteilung, Versorgung und Unterbringung"
    assert ind["G5"].value == "unterbringung.zuweisungen" and ind["D5"].value == 412
    assert ind["B5"].value == "Personen" and ind["C5"].value == "Pflicht"
    assert ind["F5"].value.startswith("Alle Personen")  # the template's help
    rules = {}
    for dv in ind.data_validations.dataValidation:
        for cells in str(dv.sqref).split():
            rules[cells] = (dv.type, dv.operator, dv.formula1, dv.formula2)
    row = fx.indicator_row
    assert rules[f"D{row(ind, 'unterbringung.zuweisungen')}"] == (
        "whole",
        "greaterThanOrEqual",
        "0",
        None,
    )
    assert rules[f"D{row(ind, 'unterbringung.dezentral_anteil')}"] == (
        "decimal",
        "between",
        "0",
        "100",
    )
    assert rules[f"D{row(ind, 'unterbringung.aufenthaltsdauer_gu')}"] == (
        "decimal",
        "between",
        "0",
        "240",
    )
    assert rules[f"D{row(ind, 'verwaltung.budget_eur')}"] == (
        "decimal",
        "greaterThanOrEqual",
        "0",
        None,
    )

    pr = wb["Maßnahmen"]
    headings = [c.value for c in pr[3]]
    assert headings[0] == "ID" and pr.column_dimensions["A"].hidden
    assert "Titel *" in headings and "Akteur 5: federführend" in headings
    assert pr["A4"].value == fx.SPRACHCAFE and pr["A5"].value == fx.PATEN
    assert pr.cell(4, fx.column(pr, "Kriterium")).value == (
        "Sprachschulung und Integration in das Bildungssystem"
    )
    # people read words, not codes (issue 14); codes are still read back
    assert pr.cell(4, fx.column(pr, "Handlungsfelder")).value == (
        "Sprache und Bildung; Gesellschaftliche Integration durch Partizipation und "
        "bürgerschaftliches Engagement"
    )
    assert pr.cell(4, fx.column(pr, "Erläutert Kennzahlen")).value == (
        "Kommunal finanzierte Sprachkursplätze"
    )
    assert pr.cell(5, fx.column(pr, "Akteur 1: federführend")).value == "ja"
    lists = {
        dv.formula1 for dv in pr.data_validations.dataValidation if dv.type == "list"
    }  # criterion, status, actor types, lead: lists on the hidden sheet
    assert all(f.startswith("Codes!$") for f in lists) and len(lists) == 4
    assert pr.cell(3, fx.column(pr, "Beginn (JJJJ oder JJJJ-MM)")).comment is not None

    help_text = " ".join(str(c.value) for row in wb["Hinweise"].iter_rows() for c in row)
    assert "Semikolon" in help_text and "federführend" in help_text
    assert "bildungstraeger" in help_text and "Volkshochschule / Bildungsträger" in help_text


def test_more_actors_than_slots_get_more_columns(
    content: Content, template: ReportTemplate
) -> None:
    actors = [{"name": f"Partner {n}", "type": "verein", "lead": n == 6} for n in range(7)]
    doc = exchange.canonical(
        factories.document(ESSEN, practices=[factories.practice(actors=actors)]), template
    )
    data = build(doc, content, template)
    assert "Akteur 7: Name" in [c.value for c in load_workbook(io.BytesIO(data))["Maßnahmen"][3]]
    result = read(data, content, template, current=doc)
    assert exchange.canonical(result.document or {}, template) == doc


DANGEROUS = ['=HYPERLINK("https://evil.example","x")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"]


def test_formula_like_text_is_neutralised_on_export(
    content: Content, template: ReportTemplate
) -> None:
    practice = factories.practice(
        DANGEROUS[0],
        summary=DANGEROUS[1],
        site=DANGEROUS[2],
        funding=DANGEROUS[3],
        contact=DANGEROUS[4],
        outcomes=DANGEROUS[5],
        actors=[{"name": "=cmd|' /C calc'!A0", "type": "verein", "lead": False}],
    )
    doc = exchange.canonical(factories.document(ESSEN, practices=[practice]), template)
    data = build(doc, content, template)

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sheets = [n for n in archive.namelist() if n.startswith("xl/worksheets/sheet")]
        xml = {n: archive.read(n).decode() for n in sheets}
    assert not any("<f>" in text or "<f " in text for text in xml.values()), "no formula at all"

    wb = load_workbook(io.BytesIO(data))
    pr = wb["Maßnahmen"]
    cells = [pr.cell(4, fx.column(pr, h)) for h in ("Titel", "Zusammenfassung in einem Satz")]
    cells += [pr.cell(4, fx.column(pr, h)) for h in ("Ort oder Stadtteil", "Finanzierung")]
    cells += [pr.cell(4, fx.column(pr, "Kontakt (Funktionsadresse)"))]
    cells += [pr.cell(4, fx.column(pr, "Akteur 1: Name"))]
    for cell in cells:
        assert cell.data_type == "s", cell.coordinate
        assert cell.quotePrefix, f"{cell.coordinate} {cell.value!r} lacks the quote prefix"
    # and the values themselves come back unchanged: no change in the draft
    result = read(data, content, template, current=doc)
    assert result.problems == []
    assert exchange.canonical(result.document or {}, template) == doc


def test_text_read_from_a_workbook_is_never_a_formula(
    doc: dict[str, Any], content: Content, template: ReportTemplate
) -> None:
    def change(wb: Any) -> None:
        pr = wb["Maßnahmen"]
        pr.cell(4, fx.column(pr, "Ort oder Stadtteil")).value = "=1+1"
        pr.cell(4, fx.column(pr, "Ort oder Stadtteil")).data_type = "s"

    result = read(edited(build(doc, content, template), change), content, template, current=doc)
    assert result.problems == []
    assert result.document["practices"][0]["site"] == "=1+1"  # type: ignore[index]
    # written back out, it is text with the quote prefix again
    again = exchange.canonical(result.document or {}, template)
    pr = load_workbook(io.BytesIO(build(again, content, template)))["Maßnahmen"]
    cell = pr.cell(4, fx.column(pr, "Ort oder Stadtteil"))
    assert cell.value == "=1+1" and cell.data_type == "s" and cell.quotePrefix


def test_control_characters_a_workbook_cannot_hold_are_dropped(
    content: Content, template: ReportTemplate
) -> None:
    doc = exchange.canonical(
        factories.document(ESSEN, practices=[factories.practice("Sprach\x0bcafé\x00")]), template
    )
    result = read(build(doc, content, template), content, template, current=doc)
    assert result.document["practices"][0]["title"] == "Sprachcafé"  # type: ignore[index]


# --- reading what offices do to a workbook --------------------------------------------------


def test_office_habits_are_understood(
    doc: dict[str, Any], content: Content, template: ReportTemplate
) -> None:
    def change(wb: Any) -> None:
        ind, pr = wb["Kennzahlen"], wb["Maßnahmen"]
        ind.cell(fx.indicator_row(ind, "unterbringung.aufenthaltsdauer_gu"), 4).value = "12,5"
        ind.cell(fx.indicator_row(ind, "unterbringung.zuweisungen"), 4).value = "1.234"
        percent = ind.cell(fx.indicator_row(ind, "unterbringung.dezentral_anteil"), 4)
        percent.value, percent.number_format = 0.615, "0.0%"
        ind.cell(fx.indicator_row(ind, "verwaltung.koordination_vze"), 4).value = "3,25 "
        ind.cell(fx.indicator_row(ind, "arbeitsmarkt.praktika"), 4).value = None
        ind.insert_rows(6, 2)  # blank rows inside the table
        title = fx.column(pr, "Titel")
        pr.cell(4, title).value = "Sprachcafé im Stadtteilzentrum  "
        pr.cell(4, fx.column(pr, "Beginn (JJJJ oder JJJJ-MM)")).value = datetime(2019, 5, 17)
        pr.cell(5, fx.column(pr, "Ende (JJJJ oder JJJJ-MM)")).value = date(2024, 12, 31)
        pr.cell(5, fx.column(pr, "Stand")).value = "ended"  # a code works as well as a label
        pr.cell(5, fx.column(pr, "Personal in VZÄ")).value = "0,75"
        pr.cell(5, fx.column(pr, "Budget in Euro")).value = "8.000"
        pr.cell(5, fx.column(pr, "Zielgruppen")).value = "Familien;\nKinder ; familien"
        pr.cell(5, fx.column(pr, "Akteur 1: federführend")).value = "X"
        pr.cell(5, fx.column(pr, "Akteur 2: Typ")).value = None  # no type: Sonstige
        pr.insert_rows(5, 3)  # blank rows between practices
        pr.cell(20, title).value = "   "  # whitespace only: a blank row

    result = read(edited(build(doc, content, template), change), content, template, current=doc)
    assert result.problems == []
    new = exchange.canonical(result.document or {}, template)
    assert new["indicators"]["unterbringung.aufenthaltsdauer_gu"] == 12.5
    assert new["indicators"]["unterbringung.zuweisungen"] == 1234
    assert new["indicators"]["unterbringung.dezentral_anteil"] == 61.5
    assert new["indicators"]["verwaltung.koordination_vze"] == 3.25
    assert "arbeitsmarkt.praktika" not in new["indicators"]
    first, second = new["practices"]
    assert first["title"] == "Sprachcafé im Stadtteilzentrum" and first["started"] == "2019-05"
    assert second["id"] == fx.PATEN and second["ended"] == "2024-12" and second["status"] == "ended"
    assert second["staff_fte"] == 0.75 and second["budget_eur"] == 8000
    assert second["target_groups"] == ["familien", "kinder"]
    assert second["actors"] == [
        {"name": "Caritas Essen", "type": "wohlfahrtsverband", "lead": True},
        {"name": "Stadt Essen", "type": "sonstige", "lead": False},
    ]
    assert result.practice_rows == [4, 8]


def test_whitespace_and_line_endings_alone_are_no_change(
    content: Content, template: ReportTemplate
) -> None:
    practice = factories.practice(description="Erste Zeile\r\nZweite Zeile\r\n", site=" Weststadt")
    doc = exchange.canonical(factories.document(ESSEN, practices=[practice]), template)
    result = read(build(doc, content, template), content, template, current=doc)
    assert exchange.canonical(result.document or {}, template) == doc


def test_extra_fields_of_the_draft_survive_the_workbook(
    content: Content, template: ReportTemplate
) -> None:
    practice = factories.practice(evaluation={"by": "Universität", "year": 2024})
    doc = exchange.canonical(factories.document(ESSEN, practices=[practice]), template)
    result = read(build(doc, content, template), content, template, current=doc)
    assert exchange.canonical(result.document or {}, template) == doc


def test_a_new_row_gets_an_id_and_its_indicator_links(
    doc: dict[str, Any], content: Content, template: ReportTemplate
) -> None:
    def change(wb: Any) -> None:
        pr = wb["Maßnahmen"]
        values = {
            "Titel": "Lernpaten",
            "Zusammenfassung in einem Satz": "Studierende helfen beim Lernen.",
            "Kriterium": "sprache_bildung",
            "Beschreibung": "Zweimal pro Woche.",
            "Erläutert Kennzahlen": "sprache_bildung.kita_kinder; Geflüchtete Kinder in Kitas;"
            " sprache_bildung.kursplaetze_kommunal",
        }
        for heading, value in values.items():
            pr.cell(9, fx.column(pr, heading)).value = value

    result = read(edited(build(doc, content, template), change), content, template, current=doc)
    assert result.problems == []
    new = exchange.canonical(result.document or {}, template)
    added = new["practices"][2]
    assert re.fullmatch(r"[0-9a-f-]{36}", added["id"]) and added["id"] not in (fx.SPRACHCAFE,)
    assert new["indicator_practices"]["sprache_bildung.kita_kinder"] == [added["id"]]
    # the draft's order first, the new link after
    assert new["indicator_practices"]["sprache_bildung.kursplaetze_kommunal"] == [
        fx.SPRACHCAFE,
        added["id"],
    ]
    assert exchange.check_document(new, content, template) == []


def test_a_row_without_id_matching_a_title_keeps_the_lineage(
    doc: dict[str, Any], content: Content, template: ReportTemplate
) -> None:
    def change(wb: Any) -> None:
        wb["Maßnahmen"]["A5"].value = None  # the hidden id of "Patenschaften für Familien"

    result = read(edited(build(doc, content, template), change), content, template, current=doc)
    assert exchange.canonical(result.document or {}, template) == doc


def test_deleting_a_row_removes_the_practice_and_its_links(
    doc: dict[str, Any], content: Content, template: ReportTemplate
) -> None:
    def change(wb: Any) -> None:
        wb["Maßnahmen"].delete_rows(4)

    result = read(edited(build(doc, content, template), change), content, template, current=doc)
    new = exchange.canonical(result.document or {}, template)
    assert [p["id"] for p in new["practices"]] == [fx.PATEN]
    assert new["indicator_practices"] == {}


# --- problems, row by row --------------------------------------------------------------------


def test_libreoffice_fixture_imports_cleanly(content: Content, template: ReportTemplate) -> None:
    """Saved by LibreOffice: decimal commas as text, a date for a month, formulas with their
    stored results, blank rows, trailing spaces, a row typed by hand with labels."""
    base = fx.base_document()
    result = read(fx.CLEAN.read_bytes(), content, template, current=base)
    assert errors_of(result, content, template) == []
    new = exchange.canonical(result.document or {}, template)
    changes = {c["field"]: (c["old"], c["new"]) for c in exchange.diff(base, new)}
    added = new["practices"][2]
    assert changes == {
        "indicators.unterbringung.zuweisungen": (412, 415),  # =400+12+3, LibreOffice's result
        "indicators.unterbringung.dezentral_anteil": (61.5, 62.5),  # "62,5 %"
        "indicators.unterbringung.aufenthaltsdauer_gu": (9.5, 9.75),  # "9,75"
        "indicators.sprache_bildung.kursplaetze_kommunal": (120, 1200),  # "1.200"
        f"practices[{fx.SPRACHCAFE}].started": ("2019-05", "2019-06"),  # a date cell
        f"practices[{fx.PATEN}].budget_eur": (8000, 8000.5),  # "8.000,50"
        f"practices[{added['id']}]": (None, "Lernpaten Weststadt"),  # a formula's result
        "indicator_practices.sprache_bildung.vorbereitungsklassen": ([], [added["id"]]),
    }
    assert result.practice_rows == [5, 8, 11]
    assert added["criterion"] == "sprache_bildung" and added["status"] == "planned"
    assert added["fields"] == ["sprache_bildung", "partizipation"]
    assert added["description"] == "Zweimal pro Woche\nim Jugendzentrum."
    assert added["sources"] == [
        "https://www.example.org/lernpaten",
        "https://www.example.org/presse",
    ]
    assert added["actors"] == [
        {"name": "Universität Duisburg-Essen", "type": "bildungstraeger", "lead": True}
    ]
    assert result.meta["base"] == workbook.content_hash(base)


EXPECTED_FIXTURE_ERRORS = [
    ("Blatt Kennzahlen, Zeile 5, Spalte Wert", "„zwölf“ ist keine Zahl."),
    ("Blatt Kennzahlen, Zeile 6, Spalte Wert", "Bitte eine ganze Zahl eingeben."),
    ("Blatt Kennzahlen, Zeile 7, Spalte Wert", "nicht größer als 100"),
    ("Blatt Kennzahlen, Zeile 8, Spalte Wert", "Fehlerwert (#DIV/0!)"),
    ("Blatt Kennzahlen, Zeile 9, Spalte Code", "Wert ohne Kennzahl"),
    ("Blatt Maßnahmen, Zeile 4, Spalte Kriterium", "Unbekannter Code 'Quatsch'"),
    ("Blatt Maßnahmen, Zeile 4, Spalte Beginn (JJJJ oder JJJJ-MM)", "„Mai 2019“: Bitte als JJJJ"),
    ("Blatt Maßnahmen, Zeile 4, Spalte Budget in Euro", "„viel“ ist keine Zahl."),
    ("Blatt Maßnahmen, Zeile 6, Spalte Titel", "Pflichtfeld fehlt."),
    ("Blatt Maßnahmen, Zeile 6, Spalte Erläutert Kennzahlen", "Unbekannte Kennzahl „foo.bar“"),
    ("Blatt Maßnahmen, Zeile 6, Spalte Akteur 2: federführend", "Nur ein Akteur"),
    ("Blatt Maßnahmen, Zeile 6, Spalte Akteur 3: Name", "Der Name des Akteurs fehlt"),
    ("Blatt Maßnahmen, Zeile 7, Spalte ID", "Diese ID steht auch in Zeile 4."),
    ("Blatt Maßnahmen, Zeile 7, Spalte Quellen (Links)", "mit http:// oder https://"),
]


def test_libreoffice_fixture_with_mistakes_gets_every_error_with_its_cell(
    content: Content, template: ReportTemplate
) -> None:
    result = read(fx.ERRORS.read_bytes(), content, template, current=fx.base_document())
    found = errors_of(result, content, template)
    assert len(found) == len(EXPECTED_FIXTURE_ERRORS), found
    for (location, _field, message), (want_location, want_text) in zip(
        found, EXPECTED_FIXTURE_ERRORS, strict=True
    ):
        assert location == want_location
        assert want_text in message
    fields = [field for _, field, _ in found]
    assert f"practices[{fx.SPRACHCAFE}].criterion" in fields
    assert f"practices[{fx.PATEN}].actors[2].name" in fields


def test_formula_without_a_stored_result_is_a_row_precise_error(
    doc: dict[str, Any], content: Content, template: ReportTemplate
) -> None:
    def change(wb: Any) -> None:
        wb["Kennzahlen"]["D5"] = "=SUMME(D6:D7)"  # openpyxl stores no result
        pr = wb["Maßnahmen"]
        pr.cell(5, fx.column(pr, "Zusammenfassung in einem Satz")).value = '=A1&"x"'

    result = read(edited(build(doc, content, template), change), content, template, current=doc)
    found = errors_of(result, content, template)
    assert [(loc, field) for loc, field, _ in found] == [
        ("Blatt Kennzahlen, Zeile 5, Spalte Wert", "indicators.unterbringung.zuweisungen"),
        (
            "Blatt Maßnahmen, Zeile 5, Spalte Zusammenfassung in einem Satz",
            f"practices[{fx.PATEN}].summary",
        ),
    ]
    assert all("Formel ohne gespeichertes Ergebnis" in message for *_, message in found)


def test_validation_errors_are_mapped_to_their_cells(
    doc: dict[str, Any], content: Content, template: ReportTemplate
) -> None:
    def change(wb: Any) -> None:
        pr = wb["Maßnahmen"]
        pr.cell(5, fx.column(pr, "Handlungsempfehlungen")).value = "C3; Z9"
        pr.cell(5, fx.column(pr, "Akteur 2: Typ")).value = "Feuerwehr"
        pr.cell(4, fx.column(pr, "Ende (JJJJ oder JJJJ-MM)")).value = "2018"
        pr.cell(4, fx.column(pr, "Übernommen von: Kommune (AGS)")).value = "05113000"

    result = read(edited(build(doc, content, template), change), content, template, current=doc)
    found = errors_of(result, content, template)
    # every problem at once: the schema's and the template's (the end before the start)
    assert [loc for loc, *_ in found] == [
        "Blatt Maßnahmen, Zeile 4, Spalte Ende (JJJJ oder JJJJ-MM)",
        "Blatt Maßnahmen, Zeile 4, Spalte Übernommen von: Titel oder ID der Maßnahme",
        "Blatt Maßnahmen, Zeile 5, Spalte Handlungsempfehlungen",
        "Blatt Maßnahmen, Zeile 5, Spalte Akteur 2: Typ",
    ]

    # with the schema problems fixed, the template check remains: the end before the start
    def fix(wb: Any) -> None:
        change(wb)
        pr = wb["Maßnahmen"]
        pr.cell(5, fx.column(pr, "Handlungsempfehlungen")).value = "C3"
        pr.cell(5, fx.column(pr, "Akteur 2: Typ")).value = "Kommunalverwaltung"
        pr.cell(4, fx.column(pr, "Übernommen von: Kommune (AGS)")).value = None

    result = read(edited(build(doc, content, template), fix), content, template, current=doc)
    assert errors_of(result, content, template) == [
        (
            "Blatt Maßnahmen, Zeile 4, Spalte Ende (JJJJ oder JJJJ-MM)",
            f"practices[{fx.SPRACHCAFE}].ended",
            "Das Ende liegt vor dem Beginn.",
        )
    ]


@pytest.mark.parametrize(
    ("meta", "message"),
    [
        (
            {"template_version": "0"},
            "Berichtsvorlage 0 erstellt; dieser Bericht verwendet Vorlage 1",
        ),
        ({"template_version": None}, "Berichtsvorlage (ohne Angabe)"),
        ({"format": "omk-workbook/0"}, "Unbekanntes Format der Arbeitsmappe (omk-workbook/0)"),
        ({"cycle": "2024"}, "gehört zur Berichtsrunde 2024, nicht zu 2025"),
        ({"municipality": "05112000"}, "gehört zur Kommune 05112000, nicht zu 05113000"),
    ],
)
def test_wrong_or_missing_version_cycle_or_municipality_is_refused(
    doc: dict[str, Any],
    content: Content,
    template: ReportTemplate,
    meta: dict[str, Any],
    message: str,
) -> None:
    def change(wb: Any) -> None:
        ws: Worksheet = wb["_omk"]
        for row in ws.iter_rows():
            key = str(row[0].value)
            if key in meta:
                row[1].value = meta[key]

    result = read(edited(build(doc, content, template), change), content, template, current=doc)
    assert result.document is None
    assert [e.location for e in result.locate([])] == ["Arbeitsmappe"]
    assert message in result.locate([])[0].message


def test_a_workbook_without_the_hidden_sheet_is_refused(
    doc: dict[str, Any], content: Content, template: ReportTemplate
) -> None:
    def change(wb: Any) -> None:
        del wb["_omk"]

    result = read(edited(build(doc, content, template), change), content, template)
    assert result.document is None
    assert "keine OMK-Vorlage" in result.locate([])[0].message


def test_the_blank_template_fits_any_municipality_of_its_cycle(
    content: Content, template: ReportTemplate
) -> None:
    empty = workbook.empty_document("", "2025")
    data = build(empty, content, template, municipality="", municipality_name="")
    result = read(data, content, template, municipality="05112000")
    assert result.problems == []
    assert result.document == {**workbook.empty_document("05112000", "2025")}


def test_missing_columns_are_named(
    doc: dict[str, Any], content: Content, template: ReportTemplate
) -> None:
    def change(wb: Any) -> None:
        pr = wb["Maßnahmen"]
        pr.delete_cols(fx.column(pr, "Quellen (Links)"))
        wb["Kennzahlen"]["D3"] = "Zahl"

    result = read(edited(build(doc, content, template), change), content, template, current=doc)
    messages = [(e.location, e.message) for e in result.locate([])]
    assert messages[0][0] == "Blatt Kennzahlen" and "„Code“ und „Wert“" in messages[0][1]
    assert messages[1][0] == "Blatt Maßnahmen, Zeile 3" and "„Quellen (Links)“" in messages[1][1]


def test_an_own_column_on_the_right_is_ignored(
    doc: dict[str, Any], content: Content, template: ReportTemplate
) -> None:
    def change(wb: Any) -> None:
        pr = wb["Maßnahmen"]
        pr.cell(3, 60).value = "Notizen"
        pr.cell(4, 60).value = "intern: nachfragen"
        pr.cell(12, 60).value = "nur eine Notiz"  # a row with only an own column counts as blank

    result = read(edited(build(doc, content, template), change), content, template, current=doc)
    assert result.problems == []
    assert exchange.canonical(result.document or {}, template) == doc


# --- hostile and broken files ---------------------------------------------------------------


def test_not_a_workbook(content: Content, template: ReportTemplate) -> None:
    with pytest.raises(workbook.UnreadableWorkbook, match="keine Excel-Arbeitsmappe"):
        read(b"%PDF-1.7 ...", content, template)
    with pytest.raises(workbook.UnreadableWorkbook, match="mit einem Kennwort geschützt"):
        read(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, content, template)
    with pytest.raises(workbook.UnreadableWorkbook, match="beschädigt"):
        read(b"PK\x03\x04" + b"\x00" * 100, content, template)


def test_a_zip_bomb_is_refused_before_parsing(content: Content, template: ReportTemplate) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "xl/worksheets/sheet1.xml", b"\x00" * (workbook.MAX_UNCOMPRESSED_BYTES + 1)
        )
    assert len(buffer.getvalue()) < 200_000
    with pytest.raises(workbook.UnreadableWorkbook, match="zu groß"):
        read(buffer.getvalue(), content, template)


def test_xml_entity_expansion_is_refused(
    doc: dict[str, Any], content: Content, template: ReportTemplate
) -> None:
    data = build(doc, content, template)
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
    )
    with zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            body = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet5.xml":  # the hidden sheet
                text = body.decode()
                if text.startswith("<?xml"):
                    text = text[text.index("?>") + 2 :]
                body = (bomb + text).replace("omk-workbook/1", "&lol2;").encode()
            target.writestr(item, body)
    with pytest.raises(workbook.UnreadableWorkbook) as caught:
        read(out.getvalue(), content, template)
    causes, exc = [], caught.value.__cause__
    while exc is not None:
        causes.append(type(exc).__name__)
        exc = exc.__cause__
    assert "EntitiesForbidden" in causes  # defusedxml, not luck


def test_content_hash_ignores_municipality_and_cycle() -> None:
    a = workbook.empty_document("05113000", "2025")
    b = workbook.empty_document("", "2024")
    assert workbook.content_hash(a) == workbook.content_hash(b)
    c = copy.deepcopy(a)
    c["indicators"]["unterbringung.zuweisungen"] = 1
    assert workbook.content_hash(c) != workbook.content_hash(a)


def test_located_errors_keep_the_field_error_shape() -> None:
    result = workbook.ReadResult(document={})
    located = result.locate([FieldError("document", "kaputt")])
    assert located == [FieldError("document", "kaputt", "Arbeitsmappe")]


def test_fingerprints_tell_what_an_upload_would_undo(
    doc: dict[str, Any], content: Content, template: ReportTemplate
) -> None:
    key = b"k" * 32
    marks = workbook.fingerprints(doc, key)
    assert (
        marks["indicators.unterbringung.zuweisungen"]
        != workbook.fingerprints(doc, b"x")["indicators.unterbringung.zuweisungen"]
    )  # keyed
    assert f"practices[{fx.PATEN}].outcomes" in marks
    result = read(build(doc, content, template, fingerprints=marks), content, template, doc)
    assert result.fingerprints == marks
    uploaded = exchange.canonical(result.document or {}, template)

    def lost(current: dict[str, Any], sent: dict[str, Any]) -> list[str]:
        return workbook.overwritten(
            marks, workbook.fingerprints(current, key), workbook.fingerprints(sent, key)
        )

    assert lost(doc, uploaded) == []
    changed = copy.deepcopy(doc)
    changed["indicators"]["arbeitsmarkt.praktika"] = 77
    assert lost(changed, uploaded) == ["indicators.arbeitsmarkt.praktika"]
    same = copy.deepcopy(uploaded)
    same["indicators"]["arbeitsmarkt.praktika"] = 77
    assert lost(changed, same) == []
    # a practice removed meanwhile would come back; one added meanwhile would go
    removed = copy.deepcopy(doc)
    removed["practices"] = removed["practices"][:1]
    assert all(p.startswith(f"practices[{fx.PATEN}].") for p in lost(removed, uploaded))
    added = copy.deepcopy(doc)
    added["practices"].append(exchange.canonical_practice(factories.practice("Neu")))
    new_id = added["practices"][-1]["id"]
    assert lost(added, uploaded) and all(new_id in p for p in lost(added, uploaded))
