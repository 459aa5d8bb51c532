"""Names shown to people: Destatis abbreviations spelled out, same-named entries told apart."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from omk.compare.names import (
    Abbreviation,
    DisplayName,
    NameEntry,
    disambiguate,
    kind_of,
    load_abbreviations,
    spell_out,
    split_name,
    unknown_abbreviations,
)
from omk.content import DEFAULT_CONTENT_DIR

ABBREVIATIONS = load_abbreviations(DEFAULT_CONTENT_DIR / "register" / "abbreviations.yaml")
REGISTER = DEFAULT_CONTENT_DIR / "register" / "AuszugGV4QAktuell.csv"


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("Abenberg, St", "Abenberg, Stadt"),
        ("Tüßling, M", "Tüßling, Markt"),
        ("Bad Reichenhall, GKSt", "Bad Reichenhall, Große Kreisstadt"),
        ("Gelnhausen, Barbarossast., Krst.", "Gelnhausen, Barbarossastadt, Kreisstadt"),
        ("Giebel, gemfr. Gebiet", "Giebel, gemeindefreies Gebiet"),
        (
            "Harz (Landkreis Göttingen), gemfr. Geb.",
            "Harz (Landkreis Göttingen), gemeindefreies Gebiet",
        ),
        (
            "Sachsenwald (Forstgutsbez.),gemfr.Geb.",
            "Sachsenwald (Forstgutsbezirk), gemeindefreies Gebiet",
        ),
        ("Lohheide, gemfr. Bezirk", "Lohheide, gemeindefreier Bezirk"),
        ("Reg.-Bez. Düsseldorf", "Regierungsbezirk Düsseldorf"),
        ("GVV Aidlingen/Grafenau", "Gemeindeverwaltungsverband Aidlingen/Grafenau"),
        ("VVG der Stadt Herrenberg", "Vereinbarte Verwaltungsgemeinschaft der Stadt Herrenberg"),
        ("Emmerting (VGem)", "Emmerting (Verwaltungsgemeinschaft)"),
        ("Ebstorf,Klosterflecken", "Ebstorf, Klosterflecken"),
        ("Meschede, Kreis- und  Hochschulstadt", "Meschede, Kreis- und Hochschulstadt"),
        # already spelled out, or part of the official place name: unchanged
        ("Flensburg, Stadt", "Flensburg, Stadt"),
        ("Kiel, Landeshauptstadt", "Kiel, Landeshauptstadt"),
        ("Neuburg a.d.Donau, GKSt", "Neuburg a.d.Donau, Große Kreisstadt"),
        ("St. Leon-Rot", "St. Leon-Rot"),
        ("Stolberg (Rhld.), Kupferstadt", "Stolberg (Rhld.), Kupferstadt"),
        ("Augsburg", "Augsburg"),
    ],
)
def test_spell_out(raw: str, shown: str) -> None:
    assert spell_out(raw, ABBREVIATIONS) == shown


def test_split_name() -> None:
    assert split_name("Gelnhausen, Barbarossast., Krst.") == (
        "Gelnhausen",
        ["Barbarossast.", "Krst."],
    )
    assert split_name("Augsburg") == ("Augsburg", [])


@pytest.mark.slow
def test_every_abbreviation_of_the_register_is_listed() -> None:
    """The shipped extract uses no abbreviated designation the data file does not spell out;
    without the file the check finds them all (so it would notice new ones)."""
    with REGISTER.open(encoding="utf-8-sig", newline="") as f:
        register_names = [row["gemeindename"] for row in csv.DictReader(f)]
    assert unknown_abbreviations(register_names, ABBREVIATIONS) == set()
    listed_suffixes = {a.short for a in ABBREVIATIONS if a.position == "suffix"}
    assert listed_suffixes <= unknown_abbreviations(register_names, ())
    used = {a.short for a in ABBREVIATIONS}
    text = "\n".join(register_names)
    assert all(short in text for short in used), "every listed abbreviation occurs"


def test_the_data_file_is_checked(tmp_path: Path) -> None:
    bad = tmp_path / "a.yaml"
    bad.write_text("abbreviations:\n  - {short: X, long: Y, position: middle}\n")
    with pytest.raises(ValueError, match="position"):
        load_abbreviations(bad)


@pytest.mark.parametrize(
    ("level", "type_code", "kreisfrei", "kind"),
    [
        ("kreis", "44", False, "Landkreis"),
        ("kreis", "43", False, "Kreis"),
        ("kreis", "45", False, "Regionalverband"),
        ("kreis", "41", True, "kreisfreie Stadt"),
        ("kreis", "42", True, "Stadtkreis"),
        ("gemeinde", "61", True, "kreisfreie Stadt"),
        ("gemeinde", "62", True, "Stadtkreis"),
        ("gemeinde", "63", False, "Gemeinde"),
        ("land", None, False, "Land"),
        ("regierungsbezirk", None, False, "Regierungsbezirk"),
    ],
)
def test_kind_of(level: str, type_code: str | None, kreisfrei: bool, kind: str) -> None:
    assert kind_of(level, type_code, kreisfrei) == kind


def test_same_names_are_told_apart_by_level_first() -> None:
    named = disambiguate(
        [
            NameEntry("09772000", "Augsburg", "Landkreis", "Bayern"),
            NameEntry("09761000", "Augsburg", "kreisfreie Stadt", "Bayern"),
            NameEntry("09162000", "München, Landeshauptstadt", "kreisfreie Stadt", "Bayern"),
        ]
    )
    assert str(named["09772000"]) == "Augsburg (Landkreis)"
    assert str(named["09761000"]) == "Augsburg (kreisfreie Stadt)"
    assert str(named["09162000"]) == "München, Landeshauptstadt"  # unique: bare


def test_a_bare_name_beside_the_same_place_with_a_designation_says_what_it_is() -> None:
    """People read "München" as the city: the Landkreis beside "München, Landeshauptstadt"
    says that it is the Landkreis; a place name of its own stays bare."""
    named = disambiguate(
        [
            NameEntry("09184", "München", "Landkreis", "Bayern"),
            NameEntry("09162000", "München, Landeshauptstadt", "kreisfreie Stadt", "Bayern"),
            NameEntry("05554", "Borken", "Kreis", "Nordrhein-Westfalen"),
            NameEntry("05554008", "Borken, Stadt", "Gemeinde", "Nordrhein-Westfalen"),
            NameEntry("06634003", "Borken (Hessen), Stadt", "Gemeinde", "Hessen"),
            NameEntry("05113000", "Essen, Stadt", "kreisfreie Stadt", "Nordrhein-Westfalen"),
        ]
    )
    assert str(named["09184"]) == "München (Landkreis)"
    assert str(named["09162000"]) == "München, Landeshauptstadt"
    assert str(named["05554"]) == "Borken (Kreis)"
    assert str(named["05554008"]) == "Borken, Stadt"
    assert str(named["06634003"]) == "Borken (Hessen), Stadt"
    assert str(named["05113000"]) == "Essen, Stadt"


def test_then_by_land_then_by_kreis() -> None:
    by_land = disambiguate(
        [
            NameEntry("12067336", "Neuendorf", "Gemeinde", "Brandenburg", "Landkreis Oder-Spree"),
            NameEntry("13075100", "Neuendorf", "Gemeinde", "Mecklenburg-Vorpommern", "Landkreis X"),
        ]
    )
    assert str(by_land["12067336"]) == "Neuendorf (Brandenburg)"
    by_kreis = disambiguate(
        [
            NameEntry("1", "Neuendorf", "Gemeinde", "Brandenburg", "Landkreis Oder-Spree"),
            NameEntry("2", "Neuendorf", "Gemeinde", "Brandenburg", "Landkreis Havelland"),
        ]
    )
    assert str(by_kreis["1"]) == "Neuendorf (Landkreis Oder-Spree)"
    last_resort = disambiguate(
        [NameEntry("1", "X", "Gemeinde", "B", "K"), NameEntry("2", "x", "Gemeinde", "B", "K")]
    )
    assert {str(n) for n in last_resort.values()} == {
        "X (Gemeinde, B, K, 1)",
        "x (Gemeinde, B, K, 2)",
    }


def test_one_identity_is_one_entry() -> None:
    """A kreisfreie Stadt's Kreis row and Gemeinde row share the reporting key: no qualifier."""
    named = disambiguate(
        [
            NameEntry("01001000", "Flensburg, Stadt", "kreisfreie Stadt", "Schleswig-Holstein"),
            NameEntry("01001000", "Flensburg, Stadt", "kreisfreie Stadt", "Schleswig-Holstein"),
        ]
    )
    assert str(named["01001000"]) == "Flensburg, Stadt"


def test_kinds_are_translated_names_are_not() -> None:
    name = DisplayName("Augsburg", ("Landkreis", "Bayern"))
    english = {"Landkreis": "rural district", "Bayern": "Bavaria"}
    assert name.render(lambda s: english.get(s, s)) == "Augsburg (rural district, Bayern)"
    assert DisplayName("Kiel").render(str.upper) == "Kiel"


def test_an_abbreviation_is_plain_data() -> None:
    assert Abbreviation("St", "Stadt", "suffix") in ABBREVIATIONS
