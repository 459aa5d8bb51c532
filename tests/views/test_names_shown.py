"""Municipality names as DOMAIN.md shows them to people, on the pages a browser walk found
ambiguous: the register name with its level where another entry reads the same ("Ravensburg
(Landkreis)", not the city's "Ravensburg"), lists of names that may hold commas separated by "; ",
and the same qualifier spelling in English."""

from __future__ import annotations

import re
from email.header import decode_header, make_header
from typing import Any

import pytest
from flask import Flask

from omk.compare import names
from omk.compare import similarity as method
from omk.models import User
from omk.services import accounts, reports, similarity
from omk.synergies import peer_review
from tests import factories
from tests.conftest import login
from tests.synergies.test_synergy_services import ESSEN, KOELN, mails, people

__all__ = ["people"]

#: Landkreis Ravensburg; its Stadt Ravensburg (08436064) reads the same.
LANDKREIS_RAVENSBURG = "08436000"


def publish_as_admin(ags: str, *practices: dict[str, Any]) -> None:
    from omk.policy import SYSTEM

    reports.import_document(
        SYSTEM, factories.document(ags, practices=list(practices)), publish=True
    )


def test_similar_practices_name_a_kreis_with_its_level(
    app: Flask, people: dict[str, User], monkeypatch: pytest.MonkeyPatch
) -> None:
    # two practices are too few for z-scores: show every allowed pair
    monkeypatch.setattr(method, "THRESHOLD", -100.0)
    monkeypatch.setattr(method, "LEXICAL_THRESHOLD", -100.0)
    monkeypatch.setattr(method, "LEXICAL_FLOOR_QUANTILE", 0.0)
    mine, theirs = factories.BIKE_WORKSHOPS
    publish_as_admin(ESSEN, mine)
    publish_as_admin(LANDKREIS_RAVENSBURG, theirs)
    similarity.sync()
    token = accounts.create_token(None, people["admin"])

    similar = app.test_client().get(
        f"/api/v1/practices/{mine['id']}/similar", headers={"Authorization": f"Bearer {token}"}
    )

    assert [i["name"] for i in similar.json["items"]] == ["Ravensburg (Landkreis)"]
    client = app.test_client()
    login(client, people["admin"])
    page = client.get(f"/massnahmen/{mine['id']}").text
    section = page[page.index('id="similar-h"') :]
    assert re.search(r"– <a [^>]*>Ravensburg \(Landkreis\)</a>", section)


def test_invited_names_with_commas_are_separated_by_semicolons(
    app: Flask, people: dict[str, User]
) -> None:
    practice = factories.practice("Lotsen für Neuzugewanderte")
    publish_as_admin(LANDKREIS_RAVENSBURG, practice)
    review = peer_review.open_review(people["admin"], practice["id"], [ESSEN, KOELN])

    client = app.test_client()
    login(client, people["admin"])
    page = client.get(f"/peer-reviews/{review.id}").text

    assert "Eingeladen: Essen, Stadt; Köln, Stadt" in re.sub(r"\s+", " ", page)


def test_the_invitation_mail_names_the_host_as_pages_do(
    app: Flask, people: dict[str, User]
) -> None:
    practice = factories.practice("Lotsen für Neuzugewanderte")
    publish_as_admin(LANDKREIS_RAVENSBURG, practice)
    peer_review.open_review(people["admin"], practice["id"], [ESSEN])

    invited = [m for m in mails(app) if "Einladung zur Peer Review" in m["Subject"]]
    body = invited[0].get_payload(decode=True).decode()
    assert "von Ravensburg (Landkreis)." in body


def test_a_translated_kind_reads_the_same_for_every_entry() -> None:
    english = {"Kreis": "District", "Landkreis": "district", "Land": "State"}.get
    kreis = names.DisplayName("Warendorf", ("Kreis",))
    landkreis = names.DisplayName("Zwickau", ("Landkreis",))

    assert kreis.render(lambda s: english(s) or s) == "Warendorf (district)"
    assert landkreis.render(lambda s: english(s) or s) == "Zwickau (district)"
    assert kreis.render() == "Warendorf (Kreis)"  # German keeps its noun capitalised
    assert names.DisplayName("Essen", ("Bayern",)).render(str.upper) == "Essen (Bayern)"


def test_the_practice_api_names_the_municipality_as_search_does(
    app: Flask, people: dict[str, User]
) -> None:
    practice = factories.practice("Lotsen für Neuzugewanderte")
    publish_as_admin(LANDKREIS_RAVENSBURG, practice)
    token = accounts.create_token(None, people["admin"])

    found = app.test_client().get(
        f"/api/v1/practices/{practice['id']}", headers={"Authorization": f"Bearer {token}"}
    )

    assert found.json["name"] == "Ravensburg (Landkreis)"


def test_the_new_account_mail_names_the_municipality_as_pages_do(
    app: Flask, people: dict[str, User], make_user: Any
) -> None:
    make_user("reporter", municipality=LANDKREIS_RAVENSBURG, email="kreis@example.org")
    accounts.create_user(
        people["admin"], "neu@example.org", "staff", municipality_key=LANDKREIS_RAVENSBURG
    )

    subjects = [
        str(make_header(decode_header(m["Subject"])))
        for m in mails(app)
        if m["To"] == "kreis@example.org"
    ]
    assert subjects == ["Neues Konto für Ravensburg (Landkreis) in OMK"]
