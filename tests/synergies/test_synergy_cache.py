"""The kept suggestions (omk.synergies.cache over omk.synergies.store): computed once per
published state for every language, never stale after a publication, a correction, a validation or a
peer review, judgements applied at once, and the region and role policy unchanged."""

from __future__ import annotations

import random
from typing import Any

import pytest
from flask.testing import FlaskClient

from omk.compare import similarity as method
from omk.models import User
from omk.services import accounts, reports, similarity
from omk.synergies import cache, judgements, peer_review, suggestions, validation
from omk.synergies.partner_provider import PartnerProvider
from omk.synergies.suggestions import Side, Suggestion
from tests import factories
from tests.conftest import login
from tests.synergies.test_synergy_services import (
    ALHEIM,
    CARITAS_E,
    CARITAS_K,
    ESSEN,
    KOELN,
    MARKS,
    REASON,
    cycle,
    people,
    publish,
    republish,
)

__all__ = ["people"]

BRIDGE = {"name": "Sprachbrücke Hessen-Ruhr e.V.", "type": "verein"}


@pytest.fixture
def computed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The regions the partner provider was asked for, one entry per computation."""
    calls: list[str] = []
    original = PartnerProvider.suggestions

    def counting(self: PartnerProvider, cycle: Any, region: str) -> Any:
        calls.append(region)
        return original(self, cycle, region)

    monkeypatch.setattr(PartnerProvider, "suggestions", counting)
    return calls


def pairs(client: FlaskClient, region: str, user: User) -> list[tuple[str, str, str]]:
    headers = {"Authorization": f"Bearer {accounts.create_token(None, user)}"}
    body = client.get(
        f"/api/v1/synergies?cycle=2025&kind=partner&region={region}", headers=headers
    ).json
    return [(s["a"]["id"], s["b"]["id"], s["status"]) for s in body["items"]]


def test_a_publication_shows_at_once_and_nothing_else_recomputes(
    client: FlaskClient, people: dict[str, User], computed: list[str], make_user: Any
) -> None:
    staff = make_user("staff")
    publish(people, ESSEN, factories.practice("Beratung", actors=[CARITAS_E]))
    # the outbox consumer computed all of Germany once, for every language
    assert computed == [""]
    assert pairs(client, "", staff) == []
    publish(people, KOELN, factories.practice("Beratung Köln", actors=[CARITAS_K]))
    assert pairs(client, "", staff) == [(ESSEN, KOELN, "open")]
    assert pairs(client, "05", staff) == [(ESSEN, KOELN, "open")]
    assert pairs(client, "06", staff) == []  # the region only filters what was stored
    assert computed == ["", ""]  # once more after the publication; requests read
    # a draft is no publication: nothing changes, nothing is computed
    reports.import_document(
        people[ALHEIM],
        factories.document(ALHEIM, practices=[factories.practice("Entwurf", actors=[CARITAS_K])]),
    )
    assert pairs(client, "", staff) == [(ESSEN, KOELN, "open")]
    assert len(computed) == 2
    # a correction that names another partner: the pair leaves at once
    republish(people, KOELN, factories.practice("Beratung Köln", actors=[BRIDGE]))
    assert pairs(client, "", staff) == []


def test_a_judgement_shows_at_once_in_its_region_only(
    client: FlaskClient, people: dict[str, User], computed: list[str]
) -> None:
    publish(people, ESSEN, factories.practice("Beratung", actors=[CARITAS_E]))
    publish(people, KOELN, factories.practice("Beratung Köln", actors=[CARITAS_K]))
    login(client, people["r05"])
    page = client.get("/synergien/?cycle=2025&kind=partner")
    assert page.status_code == 200 and "Caritasverband" in page.text
    assert 'value="dismissed"' in page.text  # the reviewer of a side may judge it
    s = judgements.view(cycle(), "05", "partner")[0]
    response = client.post(
        "/synergien/urteil",
        data={
            "kind": s.kind,
            "a": s.a["id"],
            "b": s.b["id"],
            "subject": s.subject,
            "status": "dismissed",
            "note": "kennen sich",
            "cycle": "2025",
            "region": "05",
        },
    )
    assert response.status_code in (302, 303)
    assert [x.status for x in judgements.view(cycle(), "05", "partner")] == ["dismissed"]
    assert "kennen sich" in client.get("/synergien/?cycle=2025&kind=partner").text
    # another region's view, and the kept list itself, are untouched
    assert [x.status for x in judgements.view(cycle(), "", "partner")] == ["open"]
    partner = suggestions.provider("partner")
    assert partner is not None
    kept = cache.suggestions(partner, cycle())
    assert [(x.status, x.note, x.may_judge) for x in kept] == [("open", "", False)]
    assert len(computed) == 2  # two publications; judging never recomputes
    # the staff member's view of the same kept list: no judging
    client.post("/abmelden")
    login(client, people["r06"])
    assert 'value="dismissed"' not in client.get("/synergien/?cycle=2025&region=05").text


def test_validations_peer_reviews_and_similar_pairs_change_the_signature(
    people: dict[str, User], monkeypatch: pytest.MonkeyPatch
) -> None:
    lotsen = factories.practice("Lotsen", actors=[CARITAS_E])
    publish(people, ESSEN, lotsen)
    publish(people, KOELN, factories.practice("Café", actors=[CARITAS_K]))
    seen = [cache.signature(cycle())]

    def changed() -> bool:
        now = cache.signature(cycle())
        fresh = now not in seen
        seen.append(now)
        return fresh

    assert not changed()  # reading changes nothing
    validation.validate(people["r05"], lotsen["id"], MARKS, REASON, "validated")  # type: ignore[arg-type]
    assert changed()
    review = peer_review.open_review(people["r05"], lotsen["id"], [KOELN])
    peer_review.answer(people[KOELN], review.id, "Ja.", "Ja.", "Mit Kammer.")
    assert changed()  # an answer (counted once the review is published)
    peer_review.publish_synthesis(people["r05"], review.id, "Wirksam und übertragbar.")
    assert changed()
    # the consumer stores similar pairs (every pair counts once the thresholds are off)
    monkeypatch.setattr(method, "THRESHOLD", -100.0)
    monkeypatch.setattr(method, "LEXICAL_THRESHOLD", -100.0)
    monkeypatch.setattr(method, "LEXICAL_FLOOR_QUANTILE", 0.0)
    assert similarity.recompute() > 0
    assert changed()
    republish(people, KOELN)
    assert changed()


def test_computing_live_bypasses_the_kept_lists(
    people: dict[str, User], computed: list[str]
) -> None:
    publish(people, ESSEN, factories.practice("Beratung", actors=[CARITAS_E]))
    publish(people, KOELN, factories.practice("Beratung Köln", actors=[CARITAS_K]))
    partner = suggestions.provider("partner")
    assert partner is not None
    stored = len(computed)
    with cache.computing_live():
        cache.suggestions(partner, cycle())
        cache.suggestions(partner, cycle())
    assert len(computed) == stored + 2
    cache.suggestions(partner, cycle())
    cache.suggestions(partner, cycle())
    assert len(computed) == stored + 2


def test_kept_lists_interleave_as_ranked_does() -> None:
    rng = random.Random(7)

    def side(n: int) -> Side:
        return Side(type="municipality", id=str(n), label=f"L{n % 5}")

    found = [
        Suggestion(
            kind=rng.choice(suggestions.KINDS),
            a=side(rng.randrange(20)),
            b=side(rng.randrange(20)),
            score=rng.choice([0.2, 0.5, 0.5, 1.0, 2.5]),
            reason="",
            municipality_keys=(),
            versions=(),
            subject=str(n),
            status=rng.choice(["open", "open", "confirmed", "dismissed"]),
        )
        for n in range(300)
    ]
    by_kind = {
        kind: [s for s in sorted(found, key=suggestions.best_first) if s.kind == kind]
        for kind in suggestions.KINDS
    }
    by_kind = {
        kind: [s for s in items if s.status != "dismissed"]
        + [s for s in items if s.status == "dismissed"]
        for kind, items in by_kind.items()
    }
    assert suggestions.interleaved(by_kind) == suggestions.ranked(found)


def test_the_learning_network_shows_a_new_adoption_at_once(
    client: FlaskClient, people: dict[str, User]
) -> None:
    origin = factories.practice("Ausbildungslotsen")
    publish(people, ESSEN, origin)
    login(client, people["admin"])

    def adopters() -> int:
        page = client.get("/synergien/?cycle=2025&region=").text
        section = page.split('id="learning-h"')[1].split("</section>")[0]
        return section.count("Lotsen in Köln")

    assert adopters() == 0
    adopted = {"practice": origin["id"], "municipality": ESSEN}
    publish(people, KOELN, factories.practice("Lotsen in Köln", adopted_from=adopted))
    assert adopters() > 0
