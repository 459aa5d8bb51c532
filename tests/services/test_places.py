"""The one resolver of names typed into fields (omk.services.places): the comparison, the
region filters, the peer-review invitation and the account form all read names alike."""

from __future__ import annotations

import pytest
from flask import Flask
from flask_babel import force_locale

from omk.extensions import db
from omk.models.register import Level, Municipality
from omk.services import places
from omk.synergies import invitees


def region(text: str) -> str | None:
    """The region key ``text`` names, if any."""
    match = places.find(text, places.REGION_LEVELS, key_of=places.region_key).match
    return match.key if match is not None else None


def municipality(text: str) -> str | None:
    """The reporting key ``text`` names, if any."""
    match = places.find(text).match
    return match.key if match is not None else None


@pytest.mark.usefixtures("register")
def test_names_with_qualifiers_ignored_and_kinds_in_any_order(app: Flask) -> None:
    # a kreisfreie Stadt by its place name, once, though it is a Kreis and a Gemeinde
    found = places.find("Essen")
    assert found.match is not None and found.match.key == "05113000"
    assert [m.key for m in found.candidates] == ["05113000"]
    # "Köln" is the city; the Regierungsbezirk is named with its kind
    assert region("Köln") == "05315"
    assert region("Regierungsbezirk Köln") == "053"
    # a Landkreis as people write it; "Kreis" is what people call every Kreis
    for typed in ("Landkreis Ravensburg", "Ravensburg, Landkreis", "Kreis Ravensburg"):
        assert municipality(typed) == "08436000", typed
        assert region(typed) == "08436", typed
    # a place name of several entries names none; the candidates come best first
    several = places.find("Ravensburg")
    assert several.match is None
    assert [str(m.name) for m in several.candidates] == [
        "Ravensburg (Landkreis)",
        "Ravensburg, Stadt",
    ]
    # the invitation reads names the same way (and keys its Kreise by 5 digits)
    assert invitees.resolve("Kreis Ravensburg").keys == ["08436"]
    assert invitees.resolve("Essen").keys == ["05113000"]


@pytest.mark.usefixtures("register")
def test_an_english_reader_is_offered_and_may_type_names_in_english(app: Flask) -> None:
    from omk.services import compare

    with app.test_request_context(), force_locale("en"):
        offered = dict(compare.region_names())
        assert offered["08436"] == "Ravensburg (district)"
        several = places.resolve("Ravensburg", region=False)
        assert [c.label for c in several.candidates] == [
            "Ravensburg (district) (08436000)",
            "Ravensburg, Stadt (08436064)",
        ]
        # what is offered names that entry; the German name still does too
        assert region("Ravensburg (district)") == "08436"
        assert region("Ravensburg (Landkreis)") == "08436"
    with app.test_request_context(), force_locale("de"):
        assert dict(compare.region_names())["08436"] == "Ravensburg (Landkreis)"
        assert region("Ravensburg (district)") == "08436"  # a link an English reader shared


@pytest.mark.usefixtures("register")
def test_a_land_and_the_city_state_within_it_are_one_region(app: Flask) -> None:
    """A city state is a Land and a Kreis under two keys: its name names the Land; a Kreis
    and a town in it ("Ravensburg") stay two."""
    rows = [
        Municipality(key="02", level=Level.LAND, name="Hamburg", land_key="02"),
        Municipality(
            key="02000",
            level=Level.KREIS,
            name="Hamburg, Freie und Hansestadt",
            type_code="41",
            land_key="02",
            parent_key="02",
            is_kreisfrei=True,
        ),
    ]
    db.session.add_all(rows)
    db.session.flush()
    assert region("Hamburg") == "02"
    assert region("Hamburg, Freie und Hansestadt") == "02000"


@pytest.mark.usefixtures("register")
def test_a_land_by_its_common_abbreviation_in_a_region_field_only(app: Flask) -> None:
    assert region("NRW") == "05"
    assert region("nw") == "05"
    assert region("HE") == "06"
    # a municipality field takes no Land: "NRW" names nothing there
    assert municipality("NRW") is None
