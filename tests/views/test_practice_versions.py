"""A practice's versions over the cycles (omk/views/practices.py): what changed since the
round before, in plain words and with old → new values, in German and in English."""

from __future__ import annotations

from datetime import date

from flask import Flask

from omk.models import User
from tests import factories
from tests.views.test_publication import ESSEN, as_user, people, publish

__all__ = ["people"]  # the fixture, used by name


def test_versions_show_old_and_new_values_in_the_readers_language(
    app: Flask, people: dict[str, User]
) -> None:
    cafe = factories.practice("Sprachcafé im Stadtteil", status="active", ended=None)
    publish(people, factories.document(ESSEN, practices=[cafe]))
    factories.make_cycle(
        "2026",
        period_start=date(2026, 1, 1),
        period_end=date(2026, 12, 31),
        deadline=date(2027, 3, 31),
    )
    newer = dict(
        cafe,
        title="Sprachcafé Weststadt",
        status="ended",
        ended="2026-05",
        description="Jeden Mittwoch und Freitag treffen sich Neuzugewanderte.",
    )
    publish(people, factories.document(ESSEN, cycle="2026", practices=[newer]))
    staff = as_user(app, people["staff"])
    page = f"/massnahmen/{cafe['id']}"

    german = staff.get(page).text
    assert "Titel: Sprachcafé im Stadtteil → Sprachcafé Weststadt" in german
    assert "Stand: laufend → abgeschlossen" in german
    assert "Ende: – → Mai 2026" in german
    assert "Beschreibung: überarbeitet" in german
    assert "JJJJ" not in german

    english = staff.get(page, headers={"Accept-Language": "en"}).text
    assert "changed since the cycle before:" in english
    assert "Title: Sprachcafé im Stadtteil → Sprachcafé Weststadt" in english
    assert "State: active → ended" in english
    assert "End: – → May 2026" in english
    assert "Description: revised" in english
    assert "geändert" not in english
