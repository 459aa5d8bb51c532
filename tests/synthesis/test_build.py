"""The synthesis report with known answers: its medians and categories are the comparison
module's on the same data; participation counts follow the definitions; a draft, a submitted
and a returned report never enter a figure; the formats hold what they must."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import update

from omk.compare.definitions import ComparisonLevel
from omk.compare.peers import GroupKind
from omk.extensions import db
from omk.models import Report, User
from omk.models.reporting import Revision
from omk.services import compare as compare_service
from omk.services import outbox, reports
from omk.synthesis import build, to_csv_zip, to_html, to_markdown
from omk.synthesis.document import SynthesisDocument, table_by_id
from tests import factories

KREIS = "06632"
#: Six Gemeinden with accepted reports in 2024 and 2025.
SIX = [f"0663200{i}" for i in range(1, 7)]
DRAFT, WAITING, RETURNED, RESUBMITTED, LATECOMER = (
    "06632007",
    "06632008",
    "06632009",
    "06632010",
    "06632011",
)
LEVEL = "unterbringung.dezentral_anteil"  # no basis, higher is better
VALUES_2025 = [10.0, 20.0, 30.0, 40.0, 50.0, 100.0]
VALUES_2024 = [20.0, 20.0, 30.0, 30.0, 50.0, 50.0]
EXTREME = 987_654
COUNTED = "arbeitsmarkt.ausbildung"
BEFORE_DEADLINE = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def publish(admin: User, ags: str, cycle: str, values: dict[str, float]) -> Report:
    doc = factories.document(ags, cycle)
    doc["indicators"].update(values)
    report, _ = reports.import_document(admin, doc, publish=True)
    return report


def draft(user: User, ags: str) -> Report:
    doc = factories.document(ags, "2025")
    doc["indicators"][LEVEL] = 99.5
    doc["indicators"][COUNTED] = EXTREME
    report, _ = reports.import_document(user, doc)
    return report


@pytest.fixture
def world(app: Flask, make_user: Any) -> dict[str, Any]:
    admin = make_user("admin")
    reviewer = make_user("reviewer", scope=KREIS)
    factories.make_cycle(
        "2024",
        period_start=datetime(2024, 1, 1).date(),
        period_end=datetime(2024, 12, 31).date(),
        deadline=datetime(2025, 3, 31).date(),
    )
    factories.make_cycle("2025")  # deadline 31.03.2026
    reporters = {
        ags: make_user("reporter", municipality=ags)
        for ags in [*SIX, DRAFT, WAITING, RETURNED, RESUBMITTED, LATECOMER]
    }
    with outbox.deferred():  # one search update and one similarity run at the end
        for ags, v24, v25 in zip(SIX, VALUES_2024, VALUES_2025, strict=True):
            publish(admin, ags, "2024", {LEVEL: v24})
            publish(admin, ags, "2025", {LEVEL: v25})
    draft(reporters[DRAFT], DRAFT)
    waiting = draft(reporters[WAITING], WAITING)
    reports.submit(reporters[WAITING], waiting)
    returned = draft(reporters[RETURNED], RETURNED)
    reports.submit(reporters[RETURNED], returned)
    reports.return_report(reviewer, returned, [("report", "Bitte den Wert prüfen.")])
    again = draft(reporters[RESUBMITTED], RESUBMITTED)
    reports.submit(reporters[RESUBMITTED], again)
    reports.return_report(reviewer, again, [("report", "Bitte den Wert prüfen.")])
    fixed = factories.document(RESUBMITTED, "2025")
    fixed["indicators"][LEVEL] = 60.0
    reports.import_document(reporters[RESUBMITTED], fixed)
    reports.submit(reporters[RESUBMITTED], again)
    reports.accept(reviewer, again)
    # Accounts of all but the latecomer existed at the deadline; the first two Gemeinden
    # submitted before it (the others after: late).
    early = [u.id for k, u in reporters.items() if k != LATECOMER]
    db.session.execute(
        update(User).where(User.id.in_(early)).values(created_at=datetime(2026, 1, 1, tzinfo=UTC))
    )
    first_two = [
        r.published_revision_id
        for r in db.session.query(Report).filter(
            Report.municipality_key.in_(SIX[:2]), Report.cycle.has(code="2025")
        )
    ]
    db.session.execute(
        update(Revision).where(Revision.id.in_(first_two)).values(submitted_at=BEFORE_DEADLINE)
    )
    db.session.commit()
    return {"admin": admin, "reviewer": reviewer, "reporters": reporters}


def synthesis(names: bool = True) -> SynthesisDocument:
    return build("2025", KREIS, names=names)


def rows_by_first(doc: SynthesisDocument, table_id: str) -> dict[Any, list[Any]]:
    table = table_by_id(doc, table_id)
    assert table is not None, table_id
    return {row[0]: row for row in table["rows"]}


def test_medians_and_categories_are_the_comparison_modules(world: dict[str, Any]) -> None:
    doc = synthesis()
    spec = compare_service.GroupSpec(
        GroupKind.REGION, region=KREIS, level=ComparisonLevel.MUNICIPAL
    )
    expected = compare_service.compare(None, compare_service.get_cycle("2025"), spec)
    overview = rows_by_first(doc, "t-indicators-municipal")
    scoreboard = rows_by_first(doc, "t-scoreboard-municipal")
    assert len(overview) == len(expected.indicators)
    for ic in expected.indicators:
        row = overview[ic.indicator.label]
        s = ic.summary
        assert row[2:7] == [s.n, s.missing, s.median, s.q1, s.q3]
        if ic.direction is not None:
            counts = scoreboard[ic.indicator.label][1:]
            categories = [r.category for r in ic.rows]
            codes = ["best", "better", "average", "monitor", "improving", "watch", "critical"]
            assert counts == [categories.count(c) for c in codes] + [categories.count(None)]
    # the hand-computed answer of the seven published Gemeinden (SIX and RESUBMITTED at 60)
    level = overview["Anteil der kommunal Untergebrachten in Wohnungen (dezentral)"]
    assert level[2:5] == [7, 0, 40.0]  # 10 20 30 40 50 60 100 → median 40
    assert EXTREME not in [v for row in overview.values() for v in row]


def test_participation_follows_the_definitions(world: dict[str, Any]) -> None:
    doc = synthesis(names=True)
    counts = {row[0]: row[1] for row in table_by_id(doc, "t-participation")["rows"]}  # type: ignore[index]
    # expected: accounts at the deadline (not the latecomer): SIX + 4
    assert counts["Erwartete Kommunen"] == 10
    assert counts["Berichtet (angenommener Bericht)"] == 7
    assert counts["davon fristgerecht eingereicht"] == 2
    assert counts["davon nach der Frist eingereicht"] == 5
    assert counts["davon zurückgegeben und erneut eingereicht"] == 1
    assert counts["Nicht berichtet"] == 3
    assert counts["davon eingereicht, noch nicht angenommen"] == 1
    assert counts["davon zur Überarbeitung zurückgegeben"] == 1
    named = rows_by_first(doc, "t-participation-names")
    assert set(named) == {*SIX, DRAFT, WAITING, RETURNED, RESUBMITTED}
    assert named[DRAFT][2] == "nicht berichtet"  # a draft is never told apart from nothing
    assert named[RESUBMITTED][3] == "ja"


def test_without_names_participation_is_counts_only(world: dict[str, Any]) -> None:
    doc = synthesis(names=False)
    assert table_by_id(doc, "t-participation-names") is None
    html = to_html(doc)
    assert "Hauneck" not in html and "Haunetal" not in html  # DRAFT and WAITING


def test_a_draft_never_appears(world: dict[str, Any]) -> None:
    doc = synthesis(names=False)
    text = to_markdown(doc)
    assert "987654" not in text and "987.654" not in text and "99,5" not in text
    for ags in (DRAFT, WAITING, RETURNED):
        assert ags not in text


def test_key_messages_point_at_their_tables(world: dict[str, Any]) -> None:
    doc = synthesis()
    summary = doc["chapters"][0]
    assert summary["id"] == "summary" and summary["messages"]
    for message in summary["messages"]:
        assert table_by_id(doc, message["table_id"]) is not None
    assert any("von 10 erwarteten Kommunen" in m["text"] for m in summary["messages"])


def test_tables_and_figures_are_numbered_in_order(world: dict[str, Any]) -> None:
    doc = synthesis()
    tables = [t for c in doc["chapters"] for t in c["tables"]]
    assert [t["number"] for t in tables] == list(range(1, len(tables) + 1))
    assert len({t["csv_name"] for t in tables}) == len(tables)
    figures = [f for c in doc["chapters"] for f in c["figures"]]
    assert [f["number"] for f in figures] == list(range(1, len(figures) + 1))
    assert all(f["svg"].startswith("<svg") for f in figures)


def test_csv_zip_has_one_file_per_table(world: dict[str, Any]) -> None:
    doc = synthesis()
    archive = zipfile.ZipFile(io.BytesIO(to_csv_zip(doc)))
    tables = [t for c in doc["chapters"] for t in c["tables"]]
    assert archive.namelist() == [t["csv_name"] for t in tables]
    first = archive.read(tables[0]["csv_name"])
    assert first.startswith(b"\xef\xbb\xbf")
    assert first.decode("utf-8-sig").splitlines()[0].count(";") == len(tables[0]["columns"]) - 1


def test_chapter_texts_are_sanitised(world: dict[str, Any]) -> None:
    doc = synthesis()
    html = to_html(
        doc,
        {
            "introduction": "Ein **Vorwort**.<script>alert(1)</script>",
            "comments": {"coverage": "Siehe <img src=x onerror=alert(1)> *dazu*."},
        },
    )
    assert "<strong>Vorwort</strong>" in html and "<em>dazu</em>" in html
    assert "<script>alert" not in html and "onerror" not in html


def test_unknown_region_is_refused(world: dict[str, Any]) -> None:
    from omk.errors import ValidationFailed

    with pytest.raises(ValidationFailed):
        build("2025", "0x", names=False)


def test_pdf_has_headings_contents_with_pages_and_is_tagged(world: dict[str, Any]) -> None:
    from pypdf import PdfReader

    from omk.synthesis import to_pdf
    from tests.pdf import pdf_text

    data = to_pdf(synthesis(), {"introduction": "Ein Vorwort der Prüfstelle.", "comments": {}})
    text = pdf_text(data)
    pages = text.split("\f")
    assert "Inhalt" in pages[1]
    for number, title in enumerate(
        [
            "Das Wichtigste in Kürze",
            "Beteiligung",
            "Kennzahlen im Überblick",
            "Umsetzung der Empfehlungen",
            "Gute Praxis",
            "Synergien und Wissenstransfer",
            "Anhang: Methode und Quellen",
        ],
        start=1,
    ):
        entry = re.search(rf"{number} {re.escape(title)}[ .]*(\d+)", pages[1])
        assert entry, title
        page = int(entry.group(1))  # the page the contents name holds the heading
        assert f"{number} {title}" in pages[page - 1]
    assert "Vorwort" in text and "Ein Vorwort der Prüfstelle." in text
    assert f"2 / {len(pages)}" in pages[1]  # page numbers
    reader = PdfReader(io.BytesIO(data))
    assert reader.trailer["/Root"]["/MarkInfo"]["/Marked"]
    assert b"pdfuaid" in reader.trailer["/Root"]["/Metadata"].get_object().get_data()


def test_english_report(world: dict[str, Any]) -> None:
    from flask_babel import force_locale

    with force_locale("en"):
        doc = synthesis()
        html = to_html(doc)
    assert doc["locale"] == "en"
    assert [c["title"] for c in doc["chapters"]][:2] == ["Summary", "Participation"]
    assert "Key messages" in html and "Synthesis report" in html


def test_command_line_writes_each_format(world: dict[str, Any], runner: Any, tmp_path: Any) -> None:
    for fmt in ("md", "csv", "html"):
        target = tmp_path / f"bericht.{fmt}"
        result = runner.invoke(
            args=["synthesis", "--cycle", "2025", "--region", KREIS, "--format", fmt,
                  "-o", str(target), "--names"]
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        assert "Synthesebericht geschrieben" in result.output
        assert target.stat().st_size > 1000
    assert (tmp_path / "bericht.md").read_text(encoding="utf-8").startswith("# Synthesebericht")
    failed = runner.invoke(args=["synthesis", "--cycle", "1999", "-o", str(tmp_path / "x.md")])
    assert failed.exit_code == 1 and "Berichtsrunde" in failed.output


def test_a_gap_names_the_level_and_peers_it_is_measured_against(world: dict[str, Any]) -> None:
    """Ludwigsau implements only A1, which no other Gemeinde does; B1 and C1 (every other
    Gemeinde) are its gaps. The chapter says against whom: the 7 other Gemeinden of its
    level, not all 8 municipalities (walk 2026-12-07: the most implemented recommendation,
    "5 von 12", read as a contradiction to being a gap of five others)."""
    doc = factories.document(
        "06632012", "2025", practices=[factories.practice(recommendations=["A1"])]
    )
    reports.import_document(world["admin"], doc, publish=True)
    result = build("2025", KREIS, names=True)
    gaps = rows_by_first(result, "t-gaps")
    assert gaps["06632012"][2] == "B1, C1"
    chapter = next(c for c in result["chapters"] if c["id"] == "coverage")
    assert (
        "Gemessen wird jede Kommune nur an den anderen Kommunen ihrer Ebene in der Region "
        "(Kreisangehörige Gemeinden: 7 Vergleichskommunen), nicht an allen 8 Kommunen: eine "
        "Empfehlung, die insgesamt nur eine Minderheit umsetzt, kann deshalb eine Lücke sein."
    ) in chapter["paragraphs"]
