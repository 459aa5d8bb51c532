"""Inviting peers to a peer review by name (issue 12 item 4): names and keys resolved to
register keys, the suggested peers, and the form round trip with CSRF on."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select, update

from omk.compare import similarity as method
from omk.extensions import db
from omk.models import User
from omk.models.register import Municipality
from omk.models.synergies import PeerReview
from omk.services import reports
from omk.synergies import invitees
from tests import factories
from tests.conftest import PASSWORD, csrf_token, login
from tests.synergies.test_synergy_services import AACHEN, ALHEIM, ESSEN, KOELN, people

__all__ = ["people"]  # the synergy tests' users (cycle 2025, reporters, reviewer "r05")

HERSFELD_ROTENBURG = "06632"  # a Landkreis: invited (and reporting) under its 5-digit key
BIKE_A, BIKE_B = factories.BIKE_WORKSHOPS  # the same need solved twice
CHOIR = factories.practice(
    "Interkultureller Chor",
    summary="Ein Chor singt Lieder aus vielen Ländern.",
    description="Proben jeden Donnerstag im Gemeindehaus, Auftritte beim Stadtfest.",
)


def texts(resolution: invitees.Resolution) -> list[str]:
    return [str(e) for e in resolution.errors]


# --- names and keys ----------------------------------------------------------------------


@pytest.mark.usefixtures("register")
def test_names_as_the_register_shows_them_and_keys_resolve(app: Flask) -> None:
    found = invitees.resolve(
        "Köln, Stadt; Landkreis Hersfeld-Rotenburg\nAlheim, 05334002, Essen, Stadt"
    )
    assert found.errors == []
    assert found.keys == [KOELN, HERSFELD_ROTENBURG, ALHEIM, AACHEN, ESSEN]
    # the kind before or after the name, with or without a comma, in any case
    for typed in ("Hersfeld-Rotenburg, Landkreis", "hersfeld-rotenburg (landkreis)"):
        assert invitees.resolve(typed).keys == [HERSFELD_ROTENBURG]
    # a kreisfreie Stadt is one municipality (the Gemeinde), found by name or either key
    assert invitees.resolve("Köln").keys == [KOELN]
    assert invitees.resolve("05315").keys == [KOELN]
    # a Landkreis also by the key it reports under (DOMAIN.md: Kreis key + "000")
    assert invitees.resolve("06632000").keys == [HERSFELD_ROTENBURG]
    assert invitees.resolve("Köln, Stadt; 05315000").keys == [KOELN]  # once


@pytest.mark.usefixtures("register")
def test_ambiguous_and_unknown_names_and_keys_are_explained(app: Flask) -> None:
    found = invitees.resolve("Ravensburg; Hersfeld; Xyzzy; 99999999; 05")
    assert found.keys == []
    ambiguous, partial, unknown, key, land = texts(found)
    assert ambiguous.startswith("„Ravensburg“ passt auf mehrere Kommunen: ")
    # each candidate with its Kreis and Land, so that the reviewer can tell them apart
    assert "Ravensburg, Stadt – Landkreis Ravensburg, Baden-Württemberg – 08436064" in ambiguous
    assert "Ravensburg (Landkreis) – Baden-Württemberg – 08436;" in ambiguous
    # a part of names is no name: the whole names are offered
    assert partial.startswith("„Hersfeld“ ist kein vollständiger Name")
    assert "Bad Hersfeld, Kreisstadt – Landkreis Hersfeld-Rotenburg, Hessen – 06632002" in partial
    assert "Landkreis Hersfeld-Rotenburg – Hessen – 06632;" in partial
    assert unknown == "„Xyzzy“ gibt es im Gemeindeverzeichnis nicht."
    assert key == "Unbekannter Schlüssel: 99999999"
    assert land == (
        "05 ist der Schlüssel von Nordrhein-Westfalen. Eingeladen werden Gemeinden und Kreise."
    )


# --- suggestions -------------------------------------------------------------------------


@pytest.fixture
def published(people: dict[str, User], monkeypatch: pytest.MonkeyPatch) -> None:
    """Essen's and Köln's bicycle workshops (similar practices) and Aachen's choir."""
    # three practices are too few for z-scores to mean much: every pair counts as similar
    monkeypatch.setattr(method, "THRESHOLD", -100.0)
    monkeypatch.setattr(method, "LEXICAL_THRESHOLD", -100.0)
    monkeypatch.setattr(method, "LEXICAL_FLOOR_QUANTILE", 0.0)
    for ags, practice in ((ESSEN, BIKE_A), (KOELN, BIKE_B), (AACHEN, CHOIR)):
        report, _ = reports.import_document(
            people[ags], factories.document(ags, practices=[practice])
        )
        reports.submit(people[ags], report)
        reports.accept(people["r05"], report)


@pytest.mark.usefixtures("published")
def test_suggestions_name_a_similar_practice_and_never_the_host(people: dict[str, User]) -> None:
    suggested = invitees.suggestions(people["r05"], BIKE_A["id"])
    by_key = {s.key: s for s in suggested}
    assert ESSEN not in by_key  # the host does not invite itself
    assert suggested[0].key == KOELN  # the most similar practice first
    assert by_key[KOELN].name == "Köln, Stadt"
    assert by_key[KOELN].similar_titles == (BIKE_B["title"],)
    # Köln is also like Essen by population and density, and published in the cycle
    assert by_key[KOELN].alike_in == "2025"
    assert len(suggested) <= invitees.MAX_SUGGESTED


# --- the form ----------------------------------------------------------------------------


@pytest.mark.usefixtures("published")
def test_the_form_keeps_what_was_typed_and_ticked_and_opens_the_review(
    make_app: Callable[..., Flask], people: dict[str, User]
) -> None:
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        client = app.test_client()
        token = csrf_token(client.get("/anmelden").text)
        response = client.post(
            "/anmelden",
            data={"email": people["r05"].email, "password": PASSWORD} | {"csrf_token": token},
        )
        assert response.status_code == 302
        url = f"/massnahmen/{BIKE_A['id']}/peer-review"
        page = client.get(url).text
        assert re.search(rf'name="peer" value="{KOELN}"', page)
        assert f'value="{ESSEN}"' not in page
        assert f"ähnliche Maßnahme: „{BIKE_B['title']}“; ähnlich nach Einwohnern" in page
        assert 'list="f-invited-names"' in page and "data-lookup=" in page

        # without the token: refused, nothing opened
        assert client.post(url, data={"peer": KOELN}).status_code == 400

        typed = "Ravensburg; Xyzzy"
        response = client.post(
            url, data={"csrf_token": csrf_token(page), "peer": KOELN, "invited": typed}
        )
        assert response.status_code == 422
        html = response.text
        assert "„Ravensburg“ passt auf mehrere Kommunen" in html
        assert "„Xyzzy“ gibt es im Gemeindeverzeichnis nicht." in html
        assert f'value="{typed}"' in html  # nothing typed is lost
        assert re.search(rf'name="peer" value="{KOELN}"[^>]*checked', html)  # nor ticked
        assert db.session.scalar(select(PeerReview.id)) is None

        response = client.post(
            url,
            data={
                "csrf_token": csrf_token(html),
                "peer": KOELN,
                "invited": "Landkreis Hersfeld-Rotenburg; 05334002",
            },
        )
        assert response.status_code == 302
        review = db.session.scalar(select(PeerReview))
        assert review is not None
        assert sorted(review.invited_keys) == sorted([KOELN, HERSFELD_ROTENBURG, AACHEN])


@pytest.mark.usefixtures("published")
def test_the_form_in_english(client: Any, people: dict[str, User]) -> None:
    assert login(client, people["r05"]).status_code == 302
    url = f"/massnahmen/{BIKE_A['id']}/peer-review"
    page = client.get(url, headers={"Accept-Language": "en"}).text
    assert "Suggested municipalities" in page
    assert f"similar practice: “{BIKE_B['title']}”" in page
    response = client.post(url, data={"invited": "Xyzzy"}, headers={"Accept-Language": "en"})
    assert response.status_code == 422
    assert "“Xyzzy” is not in the municipality register." in response.text


@pytest.mark.usefixtures("published")
def test_ambiguous_names_in_english_keep_the_official_names(
    client: Any, people: dict[str, User]
) -> None:
    """In English the messages are English; the candidates keep their names as the register
    writes them ("Ravensburg (Landkreis)", "Landkreis Hersfeld-Rotenburg"): proper names,
    and what the entry field takes back."""
    assert login(client, people["r05"]).status_code == 302
    url = f"/massnahmen/{BIKE_A['id']}/peer-review"
    english = {"Accept-Language": "en"}
    assert "More municipalities (name or key)" in client.get(url, headers=english).text
    response = client.post(url, data={"invited": "Ravensburg; Hersfeld"}, headers=english)
    assert response.status_code == 422
    page = html.unescape(response.text)
    ambiguous = (
        "“Ravensburg” matches several municipalities: Ravensburg (Landkreis) – "
        "Baden-Württemberg – 08436; Ravensburg, Stadt – Landkreis Ravensburg, "
        "Baden-Württemberg – 08436064. Please give the name more precisely, or the key."
    )
    assert ambiguous in page
    partial = (
        "“Hersfeld” is not a whole name from the municipality register. Did you mean: "
        "Landkreis Hersfeld-Rotenburg – Hessen – 06632; Bad Hersfeld, Kreisstadt – "
        "Landkreis Hersfeld-Rotenburg, Hessen – 06632002? Please enter the whole name or the key."
    )
    assert partial in page
    for german in ("passt auf", "Meinten Sie", "Bitte geben", "kein vollständiger Name"):
        assert german not in page
    # a candidate as listed names exactly one municipality when typed back
    assert invitees.resolve("Ravensburg (Landkreis)").keys == ["08436"]
    assert invitees.resolve("Bad Hersfeld, Kreisstadt").keys == ["06632002"]


@pytest.mark.usefixtures("register")
def test_a_part_of_a_name_is_never_invited_and_nothing_is_dropped_unsaid(app: Flask) -> None:
    """Opening a review mails every invited municipality: a fragment ("Köl", "lheim") must
    not pick one, a retired key is unknown, keys may be separated by spaces, and entries
    beyond the limits are refused with a message, not dropped."""
    for fragment, meant in (("Köl", "Köln, Stadt"), ("lheim", "Alheim")):
        found = invitees.resolve(fragment)
        assert found.keys == []
        [error] = texts(found)
        assert error.startswith(f"„{fragment}“ ist kein vollständiger Name")
        assert meant in error
    assert invitees.resolve("05334002 05315000").keys == [AACHEN, KOELN]
    too_many = "; ".join([ESSEN] * (invitees.MAX_ENTRIES + 1))
    assert texts(invitees.resolve(too_many)) == [
        f"Bitte höchstens {invitees.MAX_ENTRIES} Kommunen auf einmal einladen; "
        "laden Sie weitere später ein."
    ]
    assert invitees.resolve("x" * (invitees.MAX_TYPED + 1)).keys == []
    db.session.execute(
        update(Municipality).where(Municipality.key == ALHEIM).values(is_current=False)
    )
    assert texts(invitees.resolve(ALHEIM)) == [f"Unbekannter Schlüssel: {ALHEIM}"]
