"""Numbers in the synthesis report's tables as German typography wants them: counts as whole
numbers, one precision per column, a real minus sign and a plus on changes (walk 2026-12-07:
"4,3 | 6 | 9,84" in one column, "-0,63" with a hyphen)."""

from __future__ import annotations

from flask import Flask

from omk.synthesis import to_html, to_markdown
from omk.synthesis.document import SynthesisDocument, Table
from omk.synthesis.render import formatted_rows

MINUS = "\u2212"


def _table() -> Table:
    return Table(
        id="t-x",
        number=1,
        title="Kennzahlen",
        columns=["Kennzahl", "Werte", "Median", "Veränderung", "Anteil (%)"],
        rows=[
            ["a", 12, 4.3, -0.63, 41.7],
            ["b", 1_204, 6.0, 8.29, 50.0],
            ["c", 7, 9.84, 0.0, None],
            ["d", 0, 1_234.5, -0.001, 100.0],
        ],
        csv_name="tabelle_01.csv",
        signed=[3],
    )


def test_one_precision_per_column_and_signed_changes(app: Flask) -> None:
    with app.test_request_context(headers={"Accept-Language": "de"}):
        rows = formatted_rows(_table())
    assert [r[1] for r in rows] == ["12", "1.204", "7", "0"]  # counts: whole numbers
    assert [r[2] for r in rows] == ["4,30", "6,00", "9,84", "1.234,50"]
    assert [r[3] for r in rows] == [f"{MINUS}0,63", "+8,29", "0,00", "0,00"]
    assert [r[4] for r in rows] == ["41,7", "50,0", "–", "100,0"]


def test_a_negative_value_outside_changes_has_a_minus_and_no_plus(app: Flask) -> None:
    table = _table()
    table["signed"] = []
    table["rows"] = [["a", -3, -4.5, 2.0, 1.0]]
    with app.test_request_context(headers={"Accept-Language": "de"}):
        [row] = formatted_rows(table)
    assert row[1:] == [f"{MINUS}3", f"{MINUS}4,5", "2", "1"]


def test_html_and_markdown_print_the_same_cells(app: Flask) -> None:
    doc = SynthesisDocument(
        schema=1,
        cycle="2025",
        cycle_title="Berichtsrunde 2025",
        period_start="2025-01-01",
        period_end="2025-12-31",
        deadline="2026-03-31",
        region="05",
        region_name="Nordrhein-Westfalen",
        generated_at="2026-12-07T08:00:00+00:00",
        locale="de",
        synthetic=False,
        names_shown=False,
        chapters=[
            {
                "id": "indicators",
                "title": "Kennzahlen im Überblick",
                "paragraphs": [],
                "tables": [_table()],
                "figures": [],
                "messages": [],
            }
        ],
    )
    with app.test_request_context(headers={"Accept-Language": "de"}):
        html, markdown = to_html(doc), to_markdown(doc)
    for text in (html, markdown):
        assert f"{MINUS}0,63" in text and "+8,29" in text and "4,30" in text
        assert "-0,63" not in text
