"""A confirmed transfer suggestion becomes the learning trace: the reporter of the
municipality with the gap marks a practice of its draft as adopted from the suggested one."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from omk.models import User
from omk.models.types import utcnow
from omk.services import reports
from omk.synergies.cache import Freshness
from omk.synergies.suggestions import Suggestion
from tests import factories
from tests.conftest import login

ESSEN, KOELN = "05113000", "05315000"


@pytest.fixture
def world(make_user: Callable[..., User], monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    factories.make_cycle("2025")
    people = {
        "a": make_user("reporter", municipality=ESSEN),
        "b": make_user("reporter", municipality=KOELN),
        "reviewer": make_user("reviewer", scope="05"),
        "admin": make_user("admin"),
    }
    origin = factories.practice("Fahrradwerkstatt für alle")
    report, _ = reports.import_document(people["b"], factories.document(KOELN, practices=[origin]))
    reports.submit(people["b"], report)
    reports.accept(people["reviewer"], report)
    own = factories.practice("Unsere Fahrradwerkstatt")
    reports.import_document(people["a"], factories.document(ESSEN, practices=[own]))
    status = {"value": "confirmed"}

    def view(cycle: Any, region: str, kind: str | None = None) -> list[Suggestion]:
        return [
            Suggestion(
                kind="transfer",
                a={"type": "municipality", "id": ESSEN, "label": "Essen"},
                b={"type": "municipality", "id": KOELN, "label": "Köln"},
                score=0.9,
                reason="Essen setzt B3 nicht um; Köln hat dafür eine validierte Maßnahme.",
                municipality_keys=(ESSEN, KOELN),
                versions=(),
                practice_id=origin["id"],
                status=status["value"],
            )
        ]

    def view_with_freshness(*args: Any, **kwargs: Any) -> tuple[dict[str, Any], Freshness]:
        return {"transfer": view(*args, **kwargs)}, Freshness(utcnow(), True, False)

    monkeypatch.setattr("omk.synergies.adoption.judgements.view", view)
    monkeypatch.setattr("omk.views.synergies.judgements.view_with_freshness", view_with_freshness)
    return {"people": people, "origin": origin, "own": own, "status": status}


def adopted(practice_id: str) -> Any:
    document = reports.working_document(reports.get_report("2025", ESSEN))
    return next(p for p in document["practices"] if p["id"] == practice_id)["adopted_from"]


def test_the_reporter_turns_a_confirmed_transfer_into_adopted_from(
    app: Flask, world: dict[str, Any]
) -> None:
    client = app.test_client()
    login(client, world["people"]["a"])
    page = client.get("/synergien/?cycle=2025")
    assert "Als Übernahme erfassen" in page.text and "Unsere Fahrradwerkstatt" in page.text
    form = {"cycle": "2025", "origin": world["origin"]["id"], "practice": world["own"]["id"]}
    response = client.post("/synergien/uebernahme", data=form)
    assert response.status_code == 302, response.text
    assert adopted(world["own"]["id"]) == {"practice": world["origin"]["id"], "municipality": KOELN}
    # it passes the rule of the submit path
    reports.submit(world["people"]["a"], reports.get_report("2025", ESSEN))
    # the review names the practice it was adopted from, with its page, not only the town
    reviewer = app.test_client()
    login(reviewer, world["people"]["reviewer"])
    page = reviewer.get("/berichte/2025/05113000/pruefung").text
    origin = page.split("Übernommen von</dt>", 1)[1].split("</dd>", 1)[0]
    assert f'href="/massnahmen/{world["origin"]["id"]}"' in origin
    assert "Fahrradwerkstatt für alle" in origin and "Köln" in origin


@pytest.mark.parametrize("who", ["b", "reviewer", "admin"])
def test_only_the_municipality_with_the_gap_records_it(
    app: Flask, world: dict[str, Any], who: str
) -> None:
    client = app.test_client()
    login(client, world["people"][who])
    assert "Als Übernahme erfassen" not in client.get("/synergien/?cycle=2025").text
    form = {"cycle": "2025", "origin": world["origin"]["id"], "practice": world["own"]["id"]}
    response = client.post("/synergien/uebernahme", data=form)
    assert response.status_code in (403, 409)
    assert adopted(world["own"]["id"]) is None


def test_an_open_suggestion_or_a_foreign_practice_is_refused(
    app: Flask, world: dict[str, Any]
) -> None:
    client = app.test_client()
    login(client, world["people"]["a"])
    form = {"cycle": "2025", "origin": world["origin"]["id"], "practice": "nope"}
    assert client.post("/synergien/uebernahme", data=form).status_code == 422
    world["status"]["value"] = "open"
    assert "Als Übernahme erfassen" not in client.get("/synergien/?cycle=2025").text
    form["practice"] = world["own"]["id"]
    assert client.post("/synergien/uebernahme", data=form).status_code == 409
    assert adopted(world["own"]["id"]) is None
