"""Coverage of cycle 2025 in Kreis Hersfeld-Rotenburg (06632) with planted gaps: the service,
the page, the CSV file and the API; drafts, submitted and returned reports never count, and a
correction in progress changes nothing until it is accepted."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from omk.compare.coverage import Dimension
from omk.services import accounts, coverage, reports
from tests import factories
from tests.conftest import login
from tests.regions import unclear_region

REGION = "06632"
BAD_HERSFELD, BEBRA, BREITENBACH, CORNBERG, FRIEDEWALD = (
    "06632002",
    "06632003",
    "06632004",
    "06632005",
    "06632006",
)
HAUNECK, HAUNETAL, HERINGEN = "06632007", "06632008", "06632009"  # draft, submitted, returned
KREIS = "06632000"  # the Landkreis reports under its key + 000

#: What each published member implements (recommendations).
PLANTED = {
    BAD_HERSFELD: ("B2", "C3"),
    BEBRA: ("B2", "C3"),
    BREITENBACH: ("B2", "C3"),
    CORNBERG: ("B2",),
    FRIEDEWALD: ("A1",),
}
#: The gaps that must be found: Friedewald lacks B2 (4 of 4 peers) and C3 (3 of 4);
#: Cornberg lacks C3 (3 of 4). Nothing else (A1: 1 of 4).
EXPECTED_GAPS = {
    BAD_HERSFELD: [],
    BEBRA: [],
    BREITENBACH: [],
    CORNBERG: ["C3"],
    FRIEDEWALD: ["B2", "C3"],
}
#: A marker recommendation only unpublished material carries.
UNPUBLISHED_ONLY = "A5"


def _practice(ags: str, recs: tuple[str, ...], title: str | None = None) -> dict[str, Any]:
    return factories.practice(
        title or f"Maßnahme {ags}",
        criterion="arbeitsmarkt",
        fields=["berufliche_integration"],
        recommendations=list(recs),
        actors=[
            {"name": "Jobcenter", "type": "jobcenter", "lead": True},
            {"name": "IHK", "type": "wirtschaft", "lead": False},
        ],
    )


@pytest.fixture
def world(app: Flask, make_user: Any) -> dict[str, Any]:
    factories.make_cycle("2025")
    reviewer = make_user("reviewer", scope="06")
    people: dict[str, Any] = {
        "reviewer_06": reviewer,
        "reviewer_05": make_user("reviewer", scope="05"),
        "staff": make_user("staff"),
        "admin": make_user("admin"),
    }
    practice_ids: dict[str, str] = {}
    for ags, recs in PLANTED.items():
        owner = make_user("reporter", municipality=ags)
        people[ags] = owner
        p = _practice(ags, recs, '=HYPERLINK("x")' if ags == BEBRA else None)
        practice_ids[ags] = p["id"]
        report, _ = reports.import_document(owner, factories.document(ags, practices=[p]))
        reports.submit(owner, report)
        reports.accept(reviewer, report)
    # The Landkreis: published, at the district level (no peers of its level here).
    kreis_owner = make_user("reporter", municipality=KREIS)
    report, _ = reports.import_document(
        kreis_owner, factories.document(KREIS, practices=[_practice(KREIS, ("A2",))])
    )
    reports.submit(kreis_owner, report)
    reports.accept(reviewer, report)
    # Unpublished: a draft, a submitted and a returned report, all with A5 and B2.
    for ags, state in ((HAUNECK, "draft"), (HAUNETAL, "submitted"), (HERINGEN, "returned")):
        owner = make_user("reporter", municipality=ags)
        people[ags] = owner
        doc = factories.document(ags, practices=[_practice(ags, (UNPUBLISHED_ONLY, "B2"))])
        report, _ = reports.import_document(owner, doc)
        if state != "draft":
            reports.submit(owner, report)
        if state == "returned":
            reports.return_report(reviewer, report, [("report", "Bitte ergänzen.")])
    people["practice_ids"] = practice_ids
    return people


def _content(app: Flask) -> Any:
    return app.extensions["omk_content"]


def test_planted_gaps_found_and_unpublished_never_counted(
    app: Flask, world: dict[str, Any]
) -> None:
    result = coverage.coverage(world["staff"], _content(app), "2025", REGION)
    matrix = result.matrix
    assert set(matrix.rows) == {*PLANTED, "06632"}
    assert {k: v for k, v in matrix.gaps.items() if k != "06632"} == EXPECTED_GAPS
    assert matrix.gaps["06632"] == []  # alone at its level
    assert matrix.peers[FRIEDEWALD] == 4  # the Kreis is no peer of the Gemeinden
    assert matrix.implemented_by[UNPUBLISHED_ONLY] == 0
    assert matrix.implemented_by["B2"] == 4
    assert matrix.columns[:2] == ["A1", "A2"] and matrix.columns[-1] == "C4"
    cell = matrix.cells[BAD_HERSFELD]["B2"]
    assert cell.practice_ids == [world["practice_ids"][BAD_HERSFELD]]
    assert cell.actor_types == ["jobcenter", "wirtschaft"]
    assert result.not_published is None  # staff never sees participation


def test_correction_in_progress_changes_nothing(app: Flask, world: dict[str, Any]) -> None:
    content = _content(app)
    report = reports.get_report("2025", CORNBERG)
    reports.reopen(world["reviewer_06"], report, "Korrektur")
    doc = reports.working_document(report)
    doc["practices"][0]["recommendations"] = ["B2", "C3", UNPUBLISHED_ONLY]
    reports.save_document(world[CORNBERG], report, doc, edit_version=None)
    result = coverage.coverage(world["staff"], content, "2025", REGION)
    assert result.matrix.gaps[CORNBERG] == ["C3"]
    assert result.matrix.implemented_by[UNPUBLISHED_ONLY] == 0
    reports.submit(world[CORNBERG], report)
    reports.accept(world["reviewer_06"], report)
    result = coverage.coverage(world["staff"], content, "2025", REGION)
    assert result.matrix.gaps[CORNBERG] == []
    assert result.matrix.implemented_by[UNPUBLISHED_ONLY] == 1


def test_participation_only_for_the_regions_reviewer(app: Flask, world: dict[str, Any]) -> None:
    content = _content(app)
    seen = coverage.coverage(world["reviewer_06"], content, "2025", REGION)
    assert seen.not_published is not None
    assert {m.key for m in seen.not_published} == {HAUNECK, HAUNETAL, HERINGEN}
    assert coverage.coverage(world["admin"], content, "2025", REGION).not_published is not None
    for who in ("reviewer_05", "staff"):
        assert coverage.coverage(world[who], content, "2025", REGION).not_published is None
    # a reporter sees its own municipality only (DOMAIN.md): published, so nothing is missing
    own = coverage.coverage(world[FRIEDEWALD], content, "2025", REGION)
    assert own.participation_own and own.not_published == []
    own = coverage.coverage(world[HAUNECK], content, "2025", REGION)
    assert [m.key for m in own.not_published or []] == [HAUNECK]
    # a reviewer of 06 asking for all of Germany sees no participation either
    assert coverage.coverage(world["reviewer_06"], content, "2025", "").not_published is None


def test_switch_to_criteria_and_fields(app: Flask, world: dict[str, Any]) -> None:
    content = _content(app)
    by_criterion = coverage.coverage(world["staff"], content, "2025", REGION, Dimension.CRITERIA)
    assert by_criterion.matrix.columns == content.taxonomy.codes("criteria")
    assert by_criterion.matrix.implemented_by["arbeitsmarkt"] == 6
    by_field = coverage.coverage(world["staff"], content, "2025", REGION, Dimension.FIELDS)
    assert by_field.matrix.implemented_by["berufliche_integration"] == 6


def test_page_spells_out_recommendations_and_links_practices(
    client: FlaskClient, world: dict[str, Any]
) -> None:
    login(client, world["staff"])
    html = client.get(f"/abdeckung/?cycle=2025&region={REGION}").get_data(as_text=True)
    assert "A1 Integration ganzheitlich denken" in html
    assert "B2 Runde Tische mit der lokalen Wirtschaft" in html
    assert f"/massnahmen/{world['practice_ids'][BAD_HERSFELD]}" in html
    for unpublished in (HAUNECK, HAUNETAL, HERINGEN):
        assert f"Maßnahme {unpublished}" not in html
    assert "Noch ohne veröffentlichten Bericht" not in html
    assert html.count("<strong>Lücke</strong>") == 3
    assert 'role="region"' in html and 'tabindex="0"' in html
    assert '<title id="map-title">' in html and '<desc id="map-desc">' in html
    assert "<script" not in html.split("</head>", 1)[1]
    # the Friedewald entry of the gap list names both recommendations
    gaps = html.split('id="gaps-h"', 1)[1].split('id="map-h"', 1)[0]
    assert re.search(r"Friedewald.*B2 Runde Tische.*C3 Mentorenprinzip", gaps, re.S)
    # the map: one circle per member with a position, the practising ones filled
    shown = client.get(f"/abdeckung/?cycle=2025&region={REGION}&show=C3").get_data(as_text=True)
    assert shown.count('class="omk-map__point omk-map__point--yes"') >= 3


def test_the_region_is_chosen_by_name(client: FlaskClient, world: dict[str, Any]) -> None:
    from omk.services import compare

    shown = dict(compare.region_names())[REGION]  # the Kreis's name as people read it
    login(client, world["staff"])
    by_key = client.get(f"/abdeckung/?cycle=2025&region={REGION}").get_data(as_text=True)
    assert f'<option value="{shown}">' in by_key
    assert f'value="{shown}" aria-describedby="region-hint"' in by_key
    for name in (shown, "hersfeld-rotenb"):
        html = client.get(f"/abdeckung/?cycle=2025&region={name}").get_data(as_text=True)
        assert f"/massnahmen/{world['practice_ids'][BAD_HERSFELD]}" in html, name
        assert f"region={REGION}" in html  # the CSV link names the key


def test_an_unclear_region_name_keeps_the_form(client: FlaskClient, world: dict[str, Any]) -> None:
    """A name of no region or of several gives the same page, with a message at the field,
    the text typed and the other choices kept, and the regions it may mean as links."""
    login(client, world["staff"])
    url = "/abdeckung/?cycle=2025&region=Nirgendwo&dimension=criteria"
    page, _ = unclear_region(client, url, "Nirgendwo")
    assert 'value="criteria" checked' in page  # the other choices are kept
    assert "Auswahl der Abdeckung" in page  # the page, not an error page
    assert "Übersicht" not in page  # and no matrix of some other region

    _, offered = unclear_region(client, "/abdeckung/?cycle=2025&region=Reg", "Reg", several=True)
    assert "Regierungsbezirk Kassel" in offered
    chosen = client.get(offered["Regierungsbezirk Kassel"])
    assert chosen.status_code == 200
    assert f"/massnahmen/{world['practice_ids'][BAD_HERSFELD]}" in chosen.text


def test_page_in_english_and_for_the_reviewer(client: FlaskClient, world: dict[str, Any]) -> None:
    login(client, world["reviewer_06"])
    html = client.get(f"/abdeckung/?cycle=2025&region={REGION}").get_data(as_text=True)
    assert "Noch ohne veröffentlichten Bericht" in html
    assert "Hauneck" in html.split('id="participation-h"', 1)[1]
    english = client.get(
        f"/abdeckung/?cycle=2025&region={REGION}", headers={"Accept-Language": "en"}
    ).get_data(as_text=True)
    assert "Coverage" in english
    assert "Round tables with local business" in english


def test_csv_for_german_excel(client: FlaskClient, world: dict[str, Any]) -> None:
    login(client, world["staff"])
    response = client.get(f"/abdeckung/csv?cycle=2025&region={REGION}")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "Abdeckung_2025_06632_recommendations.csv" in response.headers["Content-Disposition"]
    raw = response.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    header = rows[0]
    assert header[:2] == ["AGS", "Kommune"] and header[-1] == "Lücken"
    assert "B2 Runde Tische mit der lokalen Wirtschaft" in header
    by_ags = {r[0]: r for r in rows[1:]}
    assert set(by_ags) == {*PLANTED, KREIS}
    b2 = header.index("B2 Runde Tische mit der lokalen Wirtschaft")
    assert by_ags[BAD_HERSFELD][b2] == "1" and by_ags[FRIEDEWALD][b2] == "0"
    assert by_ags[FRIEDEWALD][-1] == "B2, C3"


def test_api_coverage(client: FlaskClient, world: dict[str, Any]) -> None:
    headers = {"Authorization": f"Bearer {accounts.create_token(None, world['staff'])}"}
    response = client.get(f"/api/v1/coverage?cycle=2025&region={REGION}", headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert set(body) == {"columns", "rows"}
    assert body["columns"][0] == "A1" and len(body["columns"]) == 13
    rows = {r["ags"]: r for r in body["rows"]}
    assert set(rows) == {*PLANTED, KREIS}
    assert set(rows[FRIEDEWALD]) == {"ags", "name", "cells", "gaps"}
    assert rows[FRIEDEWALD]["gaps"] == ["B2", "C3"]
    assert rows[BEBRA]["cells"]["B2"] == [world["practice_ids"][BEBRA]]
    assert rows[BEBRA]["cells"]["A1"] == []
    assert {ags: r["gaps"] for ags, r in rows.items() if ags != KREIS} == EXPECTED_GAPS
    # without a token: 401; bad input: 422; unknown cycle: 404
    assert client.get(f"/api/v1/coverage?cycle=2025&region={REGION}").status_code == 401
    assert client.get("/api/v1/coverage?cycle=2025&region=0x", headers=headers).status_code == 422
    assert client.get("/api/v1/coverage?region=06", headers=headers).status_code == 422
    assert client.get("/api/v1/coverage?cycle=1999", headers=headers).status_code == 404
    spec = client.get("/api/v1/openapi.json").get_json()
    assert "/api/v1/coverage" in spec["paths"]
    assert "CoverageResult" in spec["components"]["schemas"]


def test_csv_neutralises_formulas_in_text_cells_only() -> None:
    from omk.downloads import csv_bytes

    data = csv_bytes(
        ["Name", "Wert"],
        [['=HYPERLINK("x")', -1.5], ["+49", 2], ["@SUM", 0.25], ["\tTab", None]],
    ).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(data), delimiter=";"))
    assert rows[1] == ['\'=HYPERLINK("x")', "-1,5"]
    assert rows[2] == ["'+49", "2"]
    assert rows[3] == ["'@SUM", "0,25"]
    assert rows[4] == ["'\tTab", ""]


def test_a_matrix_wider_than_any_screen_says_it_scrolls(
    client: FlaskClient, world: dict[str, Any]
) -> None:
    login(client, world["staff"])
    wide = client.get(f"/abdeckung/?cycle=2025&region={REGION}").text
    hint = "seitlich wischen, um alle Spalten zu sehen"
    # every recommendation is a column: the hint shows on every screen, before the matrix
    assert 'omk-scroll-hint omk-scroll-hint--always">Breiter als der Bildschirm: ' + hint in wide
    assert wide.index(hint) < wide.index('aria-labelledby="matrix-h"')
    assert 'class="omk-scroll omk-table-scroll--sticky' in wide  # the names stay in view
    # five criteria fit beside the names on a desktop: the hint is for narrow screens only
    narrow = client.get(f"/abdeckung/?cycle=2025&region={REGION}&dimension=criteria").text
    assert hint in narrow and "omk-scroll-hint--always" not in narrow


def test_map_labels_never_cover_each_other() -> None:
    """Two places a few pixels apart: one name beside its point, the other left out (the
    table names it), never "CoesfeWarendorf"; a place at the right edge is named on its left."""
    from omk.views.coverage import LABEL_CHAR, LABEL_HEIGHT, MapPoint, placed_labels

    points = [
        MapPoint("a", "Coesfeld (Kreis)", 100.0, 100.0, 1),
        MapPoint("b", "Warendorf (Kreis)", 104.0, 103.0, 0),
        MapPoint("c", "Aachen, Stadt", 550.0, 300.0, 0),
        MapPoint("d", "Essen, Stadt", 300.0, 200.0, 2),
    ]
    placed = placed_labels(points, 560.0, 400.0)
    assert set(placed) >= {"a", "c", "d"}
    assert placed["c"].anchor == "end" and placed["a"].anchor in ("start", "end")
    boxes = []
    for p in points:
        if p.key in placed:
            at, size = placed[p.key], LABEL_CHAR * len(p.name)
            left = at.x if at.anchor == "start" else at.x - size
            boxes.append(
                (left, at.y - 4 - LABEL_HEIGHT / 2, left + size, at.y - 4 + LABEL_HEIGHT / 2)
            )
    for i, (l1, t1, r1, b1) in enumerate(boxes):
        for l2, t2, r2, b2 in boxes[i + 1 :]:
            assert not (l1 < r2 and l2 < r1 and t1 < b2 and t2 < b1)
