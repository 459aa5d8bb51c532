"""Comparison through the database with known answers: a constructed peer group of six
Gemeinden of Hersfeld-Rotenburg with hand-computed figures; drafts and corrections change
nothing; a missing denominator gives its reason; the page, CSV, charts and API agree."""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from omk import charts
from omk.compare.peers import GroupKind
from omk.extensions import db
from omk.models import Report, User
from omk.services import accounts, reports
from omk.services import compare as service
from tests import factories
from tests.conftest import login

KREIS = "06632"
#: Six Gemeinden of the Kreis (municipal level).
SIX = [f"0663200{i}" for i in range(1, 7)]
LEVEL = "unterbringung.dezentral_anteil"  # no basis, higher is better
COUNTED = "sprache_bildung.kita_kinder"  # per 100 allocated
VALUES_2025 = [10.0, 20.0, 30.0, 40.0, 50.0, 100.0]
VALUES_2024 = [20.0, 20.0, 30.0, 30.0, 50.0, 50.0]
# changes: -10, 0, 0, 10, 0, 50 → mean 8.333, sd 19.508


@pytest.fixture
def world(app: Flask, make_user: Any) -> dict[str, Any]:
    admin = make_user("admin")
    old = factories.make_cycle(
        "2024",
        period_start=date(2024, 1, 1),
        period_end=date(2024, 12, 31),
        deadline=date(2025, 3, 31),
    )
    cycle = factories.make_cycle("2025")
    reporters = {ags: make_user("reporter", municipality=ags) for ags in [*SIX, "06632007"]}
    for ags, v24, v25 in zip(SIX, VALUES_2024, VALUES_2025, strict=True):
        publish(admin, ags, "2024", {LEVEL: v24})
        publish(admin, ags, "2025", {LEVEL: v25})
    # the first one allocated nobody in 2025: per 100 allocated has no denominator
    publish(admin, SIX[0], "2025", {LEVEL: 10.0, "unterbringung.zuweisungen": 0})
    return {
        "admin": admin,
        "cycle": cycle,
        "old": old,
        "reporters": reporters,
        "staff": make_user("staff"),
        "reviewer": make_user("reviewer", scope=KREIS),
        "other_reviewer": make_user("reviewer", scope="05"),
    }


def publish(admin: User, ags: str, cycle: str, values: dict[str, float]) -> Report:
    doc = factories.document(ags, cycle)
    doc["indicators"].update(values)
    report, _ = reports.import_document(admin, doc, publish=True)
    return report


def submit_correction(world: dict[str, Any], ags: str, value: float) -> Report:
    """Reopen the 2025 report of ``ags`` and submit a correction with ``value`` for LEVEL
    (not accepted: the published revision stays)."""
    report = (
        db.session.query(Report).filter_by(municipality_key=ags).order_by(Report.id.desc()).first()
    )
    assert report is not None
    reports.reopen(world["reviewer"], report, "Bitte prüfen")
    fixed = factories.document(ags, "2025")
    fixed["indicators"][LEVEL] = value
    reporter = world["reporters"][ags]
    reports.import_document(reporter, fixed)
    reports.submit(reporter, report)
    return report


def run(world: dict[str, Any], user: Any = None, codes: list[str] | None = None) -> Any:
    spec = service.GroupSpec(GroupKind.REGION, region=KREIS)
    return service.compare(user or world["staff"], world["cycle"], spec, codes or [LEVEL])


def test_known_figures_of_a_constructed_group(world: dict[str, Any]) -> None:
    result = run(world)
    assert [m.ags for m in result.members] == SIX
    ic = result.indicators[0]
    s = ic.summary
    # by hand: sorted 10 20 30 40 50 100; q1 at 1.25 → 22.5; median 35; q3 at 3.75 → 47.5
    assert (s.n, s.missing, s.q1, s.median, s.q3) == (6, 0, 22.5, 35.0, 47.5)
    assert s.mean == pytest.approx(250 / 6)
    assert s.sd == pytest.approx(29.10708, rel=1e-5)  # √(5083.33 / 6)
    rows = {r.member.ags: r for r in ic.rows}
    # IQR 25 → upper fence 85: 100 is an outlier
    assert rows[SIX[5]].flags == ["outlier_high"]
    assert [rows[a].previous_cycle for a in SIX] == ["2024"] * 6
    assert [rows[a].change for a in SIX] == [-10.0, 0.0, 0.0, 10.0, 0.0, 50.0]
    # level z: (x - 41.667) / 29.107 → -1.088 -0.744 -0.401 -0.057 0.286 2.004
    assert [rows[a].level_band for a in SIX] == [
        "sehr_schwach", "schwach", "durchschnittlich", "durchschnittlich", "durchschnittlich",
        "sehr_gut",
    ]  # fmt: skip
    # change z: (c - 8.333) / 19.508 → -0.940 -0.427 -0.427 0.085 -0.427 2.136
    assert [rows[a].change_band for a in SIX] == [
        "schwach", "durchschnittlich", "durchschnittlich", "durchschnittlich",
        "durchschnittlich", "sehr_gut",
    ]  # fmt: skip
    assert [rows[a].category for a in SIX] == [
        "critical",
        "watch",
        "average",
        "average",
        "average",
        "best",
    ]


def test_missing_denominator_gives_its_reason(world: dict[str, Any]) -> None:
    result = run(world, codes=[COUNTED])
    rows = {r.member.ags: r for r in result.indicators[0].rows}
    first = rows[SIX[0]]
    assert first.raw == 85 and first.value is None
    assert first.flags == ["no_denominator"]
    assert first.reason == "keine neu Zugewiesenen im Berichtszeitraum"
    assert result.indicators[0].summary.missing == 1
    assert rows[SIX[1]].value == pytest.approx(85 / 412 * 100)


def test_a_draft_or_a_correction_in_progress_changes_nothing(world: dict[str, Any]) -> None:
    before = run(world)
    # a draft with an extreme value in a municipality without a published report
    newcomer = world["reporters"]["06632007"]
    doc = factories.document("06632007", "2025")
    doc["indicators"][LEVEL] = 99.9
    reports.import_document(newcomer, doc)
    # a correction in progress of a published report, submitted but not yet accepted
    submit_correction(world, SIX[1], 99.0)
    after = run(world)
    assert [m.ags for m in after.members] == [m.ags for m in before.members]
    assert [r.value for r in after.indicators[0].rows] == [
        r.value for r in before.indicators[0].rows
    ]


def test_fewer_than_five_members_classify_nothing(world: dict[str, Any]) -> None:
    spec = service.GroupSpec(GroupKind.NAMES, keys=tuple(SIX[:4]), level=None)
    result = service.compare(world["staff"], world["cycle"], spec, [LEVEL])
    assert result.indicators[0].too_few
    assert all(r.category is None and "too_few_peers" in r.flags for r in result.indicators[0].rows)


def test_similar_peers_stay_within_the_level(world: dict[str, Any]) -> None:
    spec = service.GroupSpec(GroupKind.SIMILAR, focus=SIX[0], k=3)
    result = service.compare(world["staff"], world["cycle"], spec, [LEVEL])
    assert len(result.members) == 4 and result.members[0].ags == SIX[0]


def test_participation_only_for_the_regions_reviewer(world: dict[str, Any]) -> None:
    assert run(world).not_reported is None
    # a reporter sees its own municipality only (DOMAIN.md): published, so nothing is missing
    own = run(world, world["reporters"][SIX[0]])
    assert own.participation_own and own.not_reported == []
    mine_only = run(world, world["reporters"]["06632007"]).not_reported
    assert [n.member.ags for n in mine_only or []] == ["06632007"]
    mine = run(world, world["reviewer"]).not_reported
    assert mine is not None and [n.member.ags for n in mine] == ["06632007"]
    assert mine[0].status == "none"  # a draft is never told apart from nothing
    assert run(world, world["other_reviewer"]).not_reported == []
    assert [n.member.ags for n in run(world, world["admin"]).not_reported or []] == ["06632007"]


def test_jump_warning_and_previous_value(world: dict[str, Any]) -> None:
    assert service.jumped(1234, 268, 3) and not service.jumped(500, 268, 3)
    assert service.jumped(5, 0, 3) and not service.jumped(None, 10, 3)
    report = (
        db.session.query(Report)
        .filter_by(municipality_key=SIX[5])
        .order_by(Report.id.desc())
        .first()
    )
    assert report is not None
    ctx = service.value_context(report, {LEVEL: 100.0})
    assert ctx[LEVEL]["previous_cycle"] == "2024" and ctx[LEVEL]["previous_value"] == 50.0
    assert ctx[LEVEL]["peer_median"] == 30.0 and ctx[LEVEL]["peer_n"] == 5
    assert not ctx[LEVEL]["jump"]  # factor 2: 50 → 100 is exactly twice


# --- page, CSV, charts, API --------------------------------------------------------------


def client_for(app: Flask, user: User) -> FlaskClient:
    client = app.test_client()
    assert login(client, user).status_code == 302
    return client


QUERY = f"?cycle=2025&group=region&region={KREIS}&indicator={LEVEL}"


def test_page_shows_figures_and_no_ranking(app: Flask, world: dict[str, Any]) -> None:
    client = client_for(app, world["staff"])
    page = client.get("/vergleich/" + QUERY)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    # whole figures (a median of 35.0) are shown without decimals
    assert "Alheim" in html and "<dd>35</dd>" in html and "beste Ergebnisse" in html
    assert "Noch nicht veröffentlicht" not in html
    assert app.test_client().get("/vergleich/" + QUERY).status_code in (302, 401)


def test_reviewer_page_lists_who_has_not_reported(app: Flask, world: dict[str, Any]) -> None:
    html = client_for(app, world["reviewer"]).get("/vergleich/" + QUERY).get_data(as_text=True)
    assert "Noch nicht veröffentlicht" in html


def test_name_lookup_and_picking(app: Flask, world: dict[str, Any]) -> None:
    client = client_for(app, world["staff"])
    html = client.get("/vergleich/?cycle=2025&q=Alheim&lookup=1").get_data(as_text=True)
    assert 'value="06632001"' in html
    picked = client.get(f"/vergleich/?cycle=2025&indicator={LEVEL}&add=06632001&add=x")
    assert picked.status_code == 200


def test_a_name_from_the_datalist_is_resolved_on_the_server(
    app: Flask, world: dict[str, Any]
) -> None:
    client = client_for(app, world["staff"])
    items = client.get("/vergleich/namen?q=Alhei").get_json()["items"]
    assert {"ags": "06632001", "name": "Alheim"} in items
    assert client.get("/vergleich/namen?q=A").get_json() == {"items": []}
    # without JavaScript: the name typed (or picked from the <datalist>) and a button
    html = client.get(f"/vergleich/?cycle=2025&indicator={LEVEL}&q=Alheim&name_action=of")
    page = html.get_data(as_text=True)
    assert 'name="of" value="06632001"' in page and "Treffer für" not in page
    page = client.get(
        f"/vergleich/?cycle=2025&indicator={LEVEL}&q=alheim&name_action=add&ags=06632002"
    ).get_data(as_text=True)
    assert 'name="ags" value="06632001"' in page and 'name="ags" value="06632002"' in page
    # a name of several entries lists the matches instead of guessing
    page = client.get("/vergleich/?cycle=2025&q=Ha&name_action=of").get_data(as_text=True)
    assert "Treffer für" in page and 'name="of"' not in page


def test_a_place_name_is_taken_and_several_names_are_listed_best_first_once(
    app: Flask, world: dict[str, Any]
) -> None:
    """The hint's own example "Essen" names the kreisfreie Stadt: it is taken as the
    reference municipality, as is the name the suggestions offer; a kreisfreie Stadt is
    offered once (not as its Kreis and its Gemeinde); a name of several lists them with
    the exact name first, then names starting with it, then the rest."""
    client = client_for(app, world["staff"])
    essen = "05113000"
    assert client.get("/vergleich/namen?q=Essen").get_json()["items"] == [
        {"ags": essen, "name": "Essen, Stadt"}
    ]
    base = f"/vergleich/?cycle=2025&indicator={LEVEL}&group=similar"
    for typed in ("Essen", "essen", "Essen, Stadt", "Stadt Essen"):
        page = client.get(f"{base}&q={typed}&name_action=of").get_data(as_text=True)
        assert f'name="of" value="{essen}"' in page and "Treffer für" not in page, typed
    # the Kreis by its kind, before or after the name
    for typed in ("Landkreis Ravensburg", "Ravensburg, Kreis"):
        page = client.get(f"{base}&q={typed}&name_action=of").get_data(as_text=True)
        assert 'name="of" value="08436000"' in page, typed
    # several: each once, the place name itself before a name that merely contains it
    names = [i["name"] for i in client.get("/vergleich/namen?q=Hersfeld").get_json()["items"]]
    assert names == ["Hersfeld-Rotenburg", "Bad Hersfeld, Kreisstadt"]
    page = client.get(f"{base}&q=Ravensburg&name_action=of").get_data(as_text=True)
    listed = page.split('id="matches-h"', 1)[1]
    assert listed.index("Ravensburg (Landkreis)") < listed.index("Ravensburg, Stadt")
    assert 'name="of"' not in page
    # picking one from the list sets it, and the list has done its work
    page = client.get(f"{base}&q=Ravensburg&pick_of=08436064").get_data(as_text=True)
    assert 'name="of" value="08436064"' in page and "Treffer für" not in page


def test_a_reference_municipality_without_a_published_report_is_shown(
    app: Flask, world: dict[str, Any]
) -> None:
    """A reference municipality picked by name need not have published in the cycle: the
    page compares its peers (its own column stays empty) instead of failing."""
    client = client_for(app, world["staff"])
    response = client.get(f"/vergleich/?cycle=2025&indicator={LEVEL}&group=similar&of=05113000")
    assert response.status_code == 200
    assert "Bezugskommune:" in response.get_data(as_text=True)


def test_csv_is_excel_ready(app: Flask, world: dict[str, Any]) -> None:
    response = client_for(app, world["staff"]).get("/vergleich/vergleich.csv" + QUERY)
    assert response.status_code == 200
    data = response.get_data()
    assert data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][0] == "Kennzahl"
    first = rows[1]
    assert first[2] == SIX[0] and first[5] == "10" and first[12] == "35"
    assert rows[1][15].count(",") == 1  # mean 41,666667: decimal comma


def test_formula_injection_is_neutralised_in_text_cells_only() -> None:
    from omk.views.compare import number_cell, text_cell

    assert text_cell("=HYPERLINK()") == "'=HYPERLINK()" and text_cell("-1") == "'-1"
    assert text_cell("Essen") == "Essen"
    assert number_cell(-1.5) == "-1,5" and number_cell(-2.0) == "-2"


def test_charts_are_clean_svg(app: Flask, world: dict[str, Any]) -> None:
    client = client_for(app, world["staff"])
    for path in ("/vergleich/verteilung.svg", "/vergleich/verlauf.svg"):
        response = client.get(path + QUERY)
        assert response.status_code == 200 and response.mimetype == "image/svg+xml"
        svg = response.get_data(as_text=True)
        assert "<title>" in svg and "<desc>" in svg
        assert "<script" not in svg and "style=" not in svg


def value_rows(html: str) -> dict[str, list[str]]:
    """The comparison table's rows by AGS: the text of each cell after the name."""
    rows = {}
    for row in re.findall(r"<tr class=\"kern-table__row[^\"]*\">(.*?)</tr>", html, re.S):
        ags = re.search(r"/kommunen/(\d{8})", row)
        if ags:
            cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
            rows[ags.group(1)] = [re.sub(r"<[^>]+>", "", c).strip() for c in cells]
    return rows


def test_whole_figures_stay_whole_and_changes_carry_their_sign(
    app: Flask, world: dict[str, Any]
) -> None:
    html = client_for(app, world["staff"]).get("/vergleich/" + QUERY).text
    rows = value_rows(html)
    # columns: raw, value, previous cycle, change, level, category, notes
    assert rows[SIX[1]][:4] == ["20", "20", "2024: 20", "0"]
    assert rows[SIX[3]][3] == "+10" and rows[SIX[0]][3] == "−10"
    assert rows[SIX[5]][3] == "+50"
    assert ",0" not in "".join(c for r in rows.values() for c in r[:4])


def test_a_column_keeps_one_precision(app: Flask, world: dict[str, Any]) -> None:
    publish(world["admin"], SIX[2], "2025", {LEVEL: 30.3})
    rows = value_rows(client_for(app, world["staff"]).get("/vergleich/" + QUERY).text)
    values = [rows[ags][1] for ags in SIX[1:]]
    assert values == ["20,0", "30,3", "40,0", "50,0", "100,0"]
    assert rows[SIX[2]][3] == "+0,3"
    assert rows[SIX[0]][3] == "−10,0"  # a real minus sign, not a hyphen


def test_charts_use_the_ui_font_and_the_readers_notation(app: Flask, world: dict[str, Any]) -> None:
    client = client_for(app, world["staff"])
    for path in ("/vergleich/verteilung.svg", "/vergleich/verlauf.svg"):
        svg = client.get(path + QUERY).text
        fonts = set(re.findall(r'font-family="([^"]*)"', svg))
        assert fonts == {charts.FONT_FAMILY} and fonts.pop().endswith("sans-serif")
    german = client.get("/vergleich/verteilung.svg" + QUERY).text
    assert re.search(r">\d+,0</text>", german) and not re.search(r">\d+\.0</text>", german)
    client.post("/sprache", data={"lang": "en", "next": "/"})
    english = client.get("/vergleich/verteilung.svg" + QUERY).text
    assert re.search(r">\d+\.0</text>", english) and not re.search(r">\d+,0</text>", english)


def test_wide_tables_and_charts_scroll_in_their_own_box_with_a_hint(
    app: Flask, world: dict[str, Any]
) -> None:
    html = client_for(app, world["staff"]).get("/vergleich/" + QUERY).text
    hint = "seitlich wischen, um alle Spalten zu sehen"
    assert html.index(hint) < html.index('class="omk-table-scroll omk-table-scroll--sticky"')
    box = re.search(
        r'<div class="omk-table-scroll[^"]*" role="region" aria-labelledby="([^"]+)"', html
    )
    assert box is not None and f'id="{box.group(1)}"' in html
    assert html.count('<div class="omk-scroll omk-chart-scroll"><img') == 2
    assert html.index("um das ganze Diagramm zu sehen") < html.index("omk-chart-scroll")


def test_api_matches_the_contract(app: Flask, world: dict[str, Any]) -> None:
    token = accounts.create_token(None, world["staff"])
    headers = {"Authorization": f"Bearer {token}"}
    client = app.test_client()
    body = client.get(
        f"/api/v1/compare?cycle=2025&region={KREIS}&indicator={LEVEL}", headers=headers
    ).get_json()
    assert body["cycle"] == "2025" and body["members"] == SIX
    ind = body["indicators"][0]
    assert (ind["code"], ind["basis"], ind["direction"], ind["n"], ind["missing"]) == (
        LEVEL,
        "none",
        "higher",
        6,
        0,
    )
    assert (ind["q1"], ind["median"], ind["q3"]) == (22.5, 35.0, 47.5)
    last = ind["values"][5]
    assert last["category"] == "best" and last["flags"] == ["outlier_high"]
    assert "not_reported" not in body
    both = client.get(f"/api/v1/compare?cycle=2025&region={KREIS}&ags={SIX[0]}", headers=headers)
    assert both.status_code == 422
    assert client.get(f"/api/v1/compare?cycle=2025&region={KREIS}").status_code == 401
    reviewer = {"Authorization": f"Bearer {accounts.create_token(None, world['reviewer'])}"}
    seen = client.get(f"/api/v1/compare?cycle=2025&peers_of={SIX[0]}&k=3", headers=reviewer)
    assert seen.get_json()["not_reported"][0]["ags"] == "06632007"
    doc = client.get("/api/v1/openapi.json").get_json()
    assert "/api/v1/compare" in doc["paths"]


def test_form_and_review_page_show_previous_value_median_and_jump(
    app: Flask, world: dict[str, Any]
) -> None:
    ags = SIX[5]
    report = (
        db.session.query(Report).filter_by(municipality_key=ags).order_by(Report.id.desc()).first()
    )
    assert report is not None
    reports.reopen(world["reviewer"], report, "Bitte prüfen")
    reporter = world["reporters"][ags]
    doc = factories.document(ags, "2025")
    doc["indicators"][LEVEL] = 100.0  # previous 50: factor 2 exactly, no warning
    reports.import_document(reporter, doc)
    form = client_for(app, reporter).get(f"/berichte/2025/{ags}/kennzahlen")
    html = form.get_data(as_text=True)
    assert form.status_code == 200
    assert "Vorrunde 2024: 50" in html and "ähnlichsten veröffentlichten Kommunen: 30" in html
    assert "omk-value-jump" not in html
    doc["indicators"][LEVEL] = 0.5  # 50 → 0.5: a jump by more than the factor 2
    reports.import_document(reporter, doc)
    html = client_for(app, reporter).get(f"/berichte/2025/{ags}/kennzahlen").get_data(as_text=True)
    assert "omk-value-jump" in html
    reports.submit(reporter, report)
    review = client_for(app, world["reviewer"]).get(f"/berichte/2025/{ags}/pruefung")
    page = review.get_data(as_text=True)
    assert review.status_code == 200 and "Vorrunde 2024: 50" in page and "omk-value-jump" in page


def test_a_first_visit_compares_the_users_own_region(app: Flask, world: dict[str, Any]) -> None:
    page = client_for(app, world["reviewer"]).get(f"/vergleich/?cycle=2025&indicator={LEVEL}")
    html = page.get_data(as_text=True)
    assert f'<option value="{KREIS}" selected>' in html and "Ergebnis:" in html
    page = client_for(app, world["staff"]).get(f"/vergleich/?cycle=2025&indicator={LEVEL}")
    assert "Ergebnis:" not in page.get_data(as_text=True)  # staff chooses a group first
