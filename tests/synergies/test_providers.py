"""The similar-practice and transfer providers with known answers (issue 12 items 1 and 9):
planted similar pairs found and ranked above look-alikes, transfers that respect distance and
structure, drafts never entering, judgements and permissions as for shared partners."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from flask.testing import FlaskClient
from flask_babel import force_locale
from sqlalchemy import delete

from omk.compare import peers
from omk.compare import similarity as method
from omk.errors import Forbidden
from omk.extensions import db
from omk.models import User
from omk.models.similarity import SimilarPractice
from omk.policy import Action
from omk.services import accounts, reports
from omk.services import similarity as similarity_service
from omk.services.transaction import unit_of_work
from omk.synergies import judgements, suggestions, transfer_provider, validation
from omk.synergies.suggestions import Suggestion
from tests import factories
from tests.synergies.test_synergy_services import MARKS, REASON, cycle

ESSEN, KOELN, AACHEN, ALHEIM = "05113000", "05315000", "05334002", "06632001"
BEBRA, ROTENBURG, LUDWIGSAU = "06632003", "06632018", "06632012"
RAVENSBURG, AITRACH = "08436064", "08436004"

COMMON = (
    "Die Stadt unterstützt Geflüchtete bei der Integration. Integration von Geflüchteten "
    "ist eine Aufgabe der ganzen Stadt."
)
BIKE_A, BIKE_B = factories.BIKE_WORKSHOPS  # the same need solved twice
INTERPRETER_A = factories.practice(
    "Dolmetscherpool für Arztbesuche",
    summary="Geschulte Sprachmittlerinnen begleiten zu Arztterminen und Behörden.",
    description="Der Dolmetscherpool vermittelt Sprachmittlung in Arabisch, Farsi und Tigrinya.",
)
INTERPRETER_B = factories.practice(
    "Sprachmittlung im Gesundheitswesen",
    summary="Ein Pool geschulter Sprachmittler begleitet Patientinnen zu Arztterminen.",
    description="Sprachmittlung in Farsi, Arabisch und Tigrinya für Praxen und Kliniken.",
)
LOOK_A = factories.practice(
    "Integration in der Stadt",
    summary="Ein Chor singt Lieder aus vielen Ländern.",
    description=COMMON + " Proben jeden Donnerstag im Gemeindehaus.",
    target_groups=["kinder"],
)
LOOK_B = factories.practice(
    "Geflüchtete in der Stadt",
    summary="Ein Schachclub trifft sich im Jugendzentrum.",
    description=COMMON + " Turniere an Wochenenden.",
    target_groups=["senioren"],
)


@pytest.fixture
def people(make_user: Callable[..., User]) -> dict[str, User]:
    factories.make_cycle("2025")
    found = {
        key: make_user("reporter", municipality=key, email=f"{key}@example.org")
        for key in (ESSEN, KOELN, AACHEN, ALHEIM, BEBRA, ROTENBURG, LUDWIGSAU, RAVENSBURG, AITRACH)
    }
    found.update(
        {
            "r05": make_user("reviewer", scope="05"),
            "r06": make_user("reviewer", scope="06"),
            "r08": make_user("reviewer", scope="08"),
            "staff": make_user("staff"),
            "admin": make_user("admin"),
        }
    )
    return found


def publish(people: dict[str, User], ags: str, *practices: dict[str, Any]) -> None:
    report, _ = reports.import_document(
        people[ags], factories.document(ags, practices=list(practices))
    )
    reports.submit(people[ags], report)
    reports.accept(people["r" + ags[:2]], report)


def draft(people: dict[str, User], ags: str, *practices: dict[str, Any]) -> None:
    reports.import_document(people[ags], factories.document(ags, practices=list(practices)))


def view(kind: str, region: str = "") -> list[Suggestion]:
    return judgements.view(cycle(), region, kind)


# --- similar practices ------------------------------------------------------------------------


@pytest.fixture
def low_threshold(monkeypatch: pytest.MonkeyPatch) -> None:
    """Few practices: z-scores mean little, so show every allowed pair and rank them."""
    monkeypatch.setattr(method, "THRESHOLD", -100.0)
    monkeypatch.setattr(method, "LEXICAL_THRESHOLD", -100.0)
    monkeypatch.setattr(method, "LEXICAL_FLOOR_QUANTILE", 0.0)


@pytest.fixture
def planted(people: dict[str, User], low_threshold: None) -> None:
    publish(people, ESSEN, BIKE_A, INTERPRETER_A)
    publish(people, KOELN, BIKE_B, LOOK_A)
    publish(people, AACHEN, INTERPRETER_B, LOOK_B)
    similarity_service.rebuild()


def pair(s: Suggestion) -> frozenset[str]:
    return frozenset((s.a["id"], s.b["id"]))


def test_planted_similar_pairs_rank_above_look_alikes(planted: None) -> None:
    found = view("similar")
    pairs = [pair(s) for s in found]
    bikes = frozenset((BIKE_A["id"], BIKE_B["id"]))
    interpreters = frozenset((INTERPRETER_A["id"], INTERPRETER_B["id"]))
    look_alikes = frozenset((LOOK_A["id"], LOOK_B["id"]))
    assert set(pairs[:2]) == {bikes, interpreters}
    assert look_alikes in pairs and pairs.index(look_alikes) >= 2
    assert len(pairs) == len(set(pairs))  # each pair once, whichever direction was stored
    assert all(s.a["id"] < s.b["id"] for s in found)
    bike = found[pairs.index(bikes)]
    assert bike.a["type"] == bike.b["type"] == "practice"
    assert bike.practice_id is None and "Fahrradwerkstatt" in bike.terms
    assert bike.explanation.startswith("Gleiche Zielgruppe, gleiches Kriterium")
    assert "gemeinsame Begriffe: " in bike.explanation
    assert "(Essen, Stadt)" in bike.a["label"] + bike.b["label"]
    with force_locale("en"):  # the same stored suggestion, worded for an English reader
        assert bike.explanation.startswith("Same target group, same criterion")
        assert "shared terms: " in bike.explanation
    # Never two practices of one municipality (Essen's bike and interpreter practices).
    assert frozenset((BIKE_A["id"], INTERPRETER_A["id"])) not in pairs


def test_similar_filtered_by_region_either_side(planted: None) -> None:
    keys = {k for s in view("similar", "05334") for k in s.municipality_keys}
    assert AACHEN in keys
    assert all(AACHEN in s.municipality_keys for s in view("similar", "05334"))
    assert view("similar", "06") == []


def test_similar_reads_stored_results_only_and_skips_unpublished(
    people: dict[str, User], planted: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("computed while a reviewer waits")

    monkeypatch.setattr(method, "similar", fail)
    monkeypatch.setattr(method, "all_pairs", fail)
    assert view("similar")
    # A draft never enters, even if a stale stored row names it.
    ghost = factories.practice("Fahrradwerkstatt im Entwurf")
    draft(people, ALHEIM, ghost)
    with unit_of_work():
        db.session.add(
            SimilarPractice(
                practice_id=BIKE_A["id"],
                other_id=ghost["id"],
                rank=0,
                score=99.0,
                terms=["Fahrradwerkstatt"],
                reasons=[],
                method="lexical",
            )
        )
    assert all(ghost["id"] not in pair(s) for s in view("similar"))
    with unit_of_work():
        db.session.execute(delete(SimilarPractice))
    assert view("similar") == []


def test_similar_judgement_and_permissions(people: dict[str, User], planted: None) -> None:
    s = view("similar")[0]
    with pytest.raises(Forbidden):
        judgements.judge(
            people["r06"], cycle(), s.kind, s.a["id"], s.b["id"], s.subject, "confirmed"
        )
    judgements.judge(
        people["r05"], cycle(), s.kind, s.a["id"], s.b["id"], s.subject, "dismissed", "kennen uns"
    )
    again = next(x for x in view("similar", "05") if x.identity == s.identity)
    assert again.status == "dismissed" and again.note == "kennen uns"
    assert next(x for x in view("similar") if x.identity == s.identity).status == "open"


def test_a_dismissed_similar_pair_stays_dismissed_in_another_cycle_until_edited(
    people: dict[str, User], planted: None
) -> None:
    s = next(x for x in view("similar") if pair(x) == {BIKE_A["id"], BIKE_B["id"]})
    judgements.judge(
        people["r05"], cycle(), s.kind, s.a["id"], s.b["id"], s.subject, "dismissed", "bekannt"
    )
    # Both practices are carried unchanged into the next cycle: the dismissal holds there.
    nxt = factories.make_cycle(
        "2026",
        period_start=date(2026, 1, 1),
        period_end=date(2026, 12, 31),
        deadline=date(2027, 3, 31),
    )
    for ags, practice in ((ESSEN, BIKE_A), (KOELN, BIKE_B)):
        report, _ = reports.import_document(
            people[ags], factories.document(ags, cycle="2026", practices=[practice])
        )
        reports.submit(people[ags], report)
        reports.accept(people["r05"], report)
    similarity_service.rebuild()
    carried = next(x for x in judgements.view(nxt, "05", "similar") if x.identity == s.identity)
    assert carried.revisions != s.revisions
    assert (carried.status, carried.note) == ("dismissed", "bekannt")
    assert next(x for x in view("similar", "05") if x.identity == s.identity).status == (
        "dismissed"
    )
    # Köln edits its practice in the new cycle: the pair comes back there, marked.
    report = reports.get_report_for(people[KOELN], Action.REPORT_EDIT, "2026", KOELN)
    reports.reopen(people["r05"], report, "Korrektur")
    edited = dict(BIKE_B, description=BIKE_B["description"] + " Jetzt auch Lastenräder.")
    reports.save_document(
        people[KOELN],
        report,
        factories.document(KOELN, cycle="2026", practices=[edited]),
        edit_version=None,
    )
    reports.submit(people[KOELN], report)
    reports.accept(people["r05"], report)
    similarity_service.rebuild()
    back = next(x for x in judgements.view(nxt, "05", "similar") if x.identity == s.identity)
    assert back.status == "open" and back.was_dismissed


# --- transfer suggestions ---------------------------------------------------------------------

B3 = {
    "recommendations": ["B3"],
    "fields": ["berufliche_integration"],
    "criterion": "arbeitsmarkt",
}
STRONG = {
    "outcomes": "42 Vermittlungen in Ausbildung, 17 in Arbeit.",
    "transferability": "Übertragbar auf jede Kommune mit Jobcenter und Kammer. " * 5,
    "sources": ["https://www.example.org/a", "https://www.example.org/b"],
}
WEAK = {
    "outcomes": "Gut besucht.",
    "transferability": "Braucht einen Raum.",
    "sources": ["https://www.example.org/w"],
}


def b3(title: str, **kw: Any) -> dict[str, Any]:
    return factories.practice(title, **{**B3, **kw})


@pytest.fixture
def gap(people: dict[str, User]) -> dict[str, dict[str, Any]]:
    """Alheim (Hersfeld-Rotenburg) has a B3 gap: all its peers implement B3. Bebra (8 km) has
    a validated practice, Rotenburg (12 km) a well-evidenced one, Ludwigsau (nearby) only a
    weak one; Ravensburg (far, large) a validated one; Aitrach (far, small like Alheim) a
    well-evidenced one."""
    found = {
        ALHEIM: factories.practice("Sprachcafé", recommendations=["B1"]),
        BEBRA: b3("Ausbildungslotsen Bebra", **WEAK),
        ROTENBURG: b3("Jobpatenschaften Rotenburg", **STRONG),
        LUDWIGSAU: b3("Infoabend Arbeit", **WEAK),
        RAVENSBURG: b3("Ausbildungslotsen Ravensburg", **STRONG),
        AITRACH: b3("Jobpaten Aitrach", **STRONG),
    }
    for key, practice in found.items():
        publish(people, key, practice)
    for key in (BEBRA, RAVENSBURG):
        reviewer = people["r" + key[:2]]
        validation.validate(reviewer, found[key]["id"], MARKS, REASON, "validated")  # type: ignore[arg-type]
    return found


def test_transfers_respect_distance_structure_and_evidence(
    gap: dict[str, dict[str, Any]],
) -> None:
    found = view("transfer")
    assert all(s.a["id"] == ALHEIM for s in found)
    assert [s.b["id"] for s in found] == [BEBRA, ROTENBURG, AITRACH]
    assert [s.practice_id for s in found] == [gap[k]["id"] for k in (BEBRA, ROTENBURG, AITRACH)]
    bebra, rotenburg, aitrach = found
    assert bebra.a == {"type": "municipality", "id": ALHEIM, "label": "Alheim"}
    assert bebra.terms == ["B3"] and bebra.subject == f"B3:{gap[BEBRA]['id']}"
    # the recommendation by code and title, the practice's title quoted once
    assert bebra.explanation.startswith(
        "Alheim setzt die Empfehlung B3 (Zugang zum Arbeitsmarkt über niedrigschwellige "
        "Angebote) nicht um; Bebra, Stadt ("
    )
    assert bebra.explanation.endswith(f": „{gap[BEBRA]['title']}“.")
    assert "km" in bebra.explanation and "eine validierte Maßnahme" in bebra.explanation
    assert "gut belegte Maßnahme" in rotenburg.explanation
    # Aitrach is 300 km away but of Alheim's size: structure, not distance.
    assert "ähnliche Größe" in aitrach.explanation
    with force_locale("en"):
        assert bebra.explanation.startswith("Alheim does not implement recommendation B3 (")
        assert bebra.explanation.endswith(f": “{gap[BEBRA]['title']}”.")
        assert "a validated practice" in bebra.explanation
    assert bebra.explanation.startswith("Alheim setzt")  # and in German still
    assert bebra.score > rotenburg.score > aitrach.score
    # Ravensburg's practice is validated but far and large; Ludwigsau's is near but weak.
    assert RAVENSBURG not in {s.b["id"] for s in found}
    assert LUDWIGSAU not in {s.b["id"] for s in found}


def test_transfer_distance_and_structure_thresholds(
    gap: dict[str, dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    # the provider itself: a process keeps the suggestions made with its constants
    # (omk.synergies.cache), and these are changed here while it runs
    def computed() -> list[Suggestion]:
        return suggestions.ranked(transfer_provider.TransferProvider().suggestions(cycle(), ""))

    monkeypatch.setattr(transfer_provider, "SIMILAR_STRUCTURE", 0.0)
    assert [s.b["id"] for s in computed()] == [BEBRA, ROTENBURG]
    monkeypatch.setattr(transfer_provider, "NEARBY_KM", 1.0)
    assert computed() == []
    monkeypatch.setattr(transfer_provider, "NEARBY_KM", 1000.0)
    # Both validated: the better candidate score (Ravensburg's) first, however far.
    assert [s.b["id"] for s in computed()][:2] == [RAVENSBURG, BEBRA]


def test_great_circle_and_structural_distance() -> None:
    essen, koeln = (51.455843, 7.012583), (50.938107, 6.957068)
    assert 57 < peers.great_circle_km(essen, koeln) < 59
    small = peers.Candidate("a", 5000, 60.0)
    same = peers.Candidate("b", 5000, 60.0)
    big = peers.Candidate("c", 500000, 200.0)
    found = peers.distances(small, [small, same, big])
    assert found["b"] == 0.0 and found["c"] > 1 and "a" not in found


def test_transfer_drafts_never_enter_and_region_filters(
    people: dict[str, User], gap: dict[str, dict[str, Any]]
) -> None:
    draft(people, KOELN, b3("Entwurf", **STRONG))
    assert all(s.b["id"] != KOELN for s in view("transfer"))
    assert {s.b["id"] for s in view("transfer", "08")} == {AITRACH}
    assert view("transfer", "05") == []


def test_transfer_judgement_and_permissions(
    people: dict[str, User], gap: dict[str, dict[str, Any]]
) -> None:
    s = view("transfer")[0]
    with pytest.raises(Forbidden):
        judgements.judge(
            people["r05"], cycle(), s.kind, s.a["id"], s.b["id"], s.subject, "confirmed"
        )
    judgements.judge(
        people["r06"], cycle(), s.kind, s.a["id"], s.b["id"], s.subject, "dismissed", "läuft"
    )
    back = next(x for x in view("transfer", "06") if x.identity == s.identity)
    assert back.status == "dismissed"
    # Bebra publishes a new version of its practice: the suggestion comes back, marked.
    changed = dict(gap[BEBRA], summary="Neue Fassung mit mehr Lotsen.")
    report = reports.get_report_for(people[BEBRA], Action.REPORT_EDIT, "2025", BEBRA)
    reports.reopen(people["r06"], report, "Korrektur")
    reports.save_document(
        people[BEBRA], report, factories.document(BEBRA, practices=[changed]), edit_version=None
    )
    reports.submit(people[BEBRA], report)
    reports.accept(people["r06"], report)
    again = next(x for x in view("transfer", "06") if x.identity == s.identity)
    assert again.status == "open" and again.was_dismissed


def test_api_and_page_show_both_kinds(
    client: FlaskClient, people: dict[str, User], gap: dict[str, dict[str, Any]]
) -> None:
    token = {"Authorization": f"Bearer {accounts.create_token(None, people['staff'])}"}
    body = client.get("/api/v1/synergies?kind=transfer&region=06", headers=token).json
    assert body["total"] == 3 and body["page"] == 1
    item = body["items"][0]
    assert set(item) == {
        "kind",
        "a",
        "b",
        "practice_id",
        "score",
        "terms",
        "explanation",
        "status",
    }
    assert item["kind"] == "transfer" and item["a"]["id"] == ALHEIM
    assert item["b"] == {"type": "municipality", "id": BEBRA, "label": "Bebra, Stadt"}
    assert item["practice_id"] == gap[BEBRA]["id"] and item["status"] == "open"
    similar = client.get("/api/v1/synergies?kind=similar", headers=token).json
    assert similar["total"] == len(view("similar"))
    from tests.conftest import login

    login(client, people["r06"])
    page = client.get("/synergien/?cycle=2025&region=06&kind=transfer")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Alheim setzt die Empfehlung B3 (Zugang" in html and 'name="subject"' in html
