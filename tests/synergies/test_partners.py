"""Partner names: one key per organisation, federations apart (issue 12 items 1 and 9)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from omk.synergies import partners
from omk.synergies.partners import PartnerUse

CONTENT = Path(__file__).resolve().parents[2] / "content" / "synergies" / "federations.yaml"
FEDERATIONS = partners.federations_from(yaml.safe_load(CONTENT.read_text())["federations"])

#: (one spelling, another spelling): the same organisation.
SAME = [
    ("Caritasverband für das Bistum Essen e.V.", "Caritasverband für das Bistum Essen"),
    ("Caritasverband für das Bistum Essen e. V.", "caritasverband für das bistum essen"),
    ("Caritasverband für das Bistum Essen eV", "CARITASVERBAND FÜR DAS BISTUM ESSEN"),
    ("Caritasverband Bistum Essen, eingetragener Verein", "Caritasverband Bistum Essen"),
    ("Diakoniewerk Essen gGmbH", "Diakoniewerk Essen"),
    ("Diakoniewerk Essen g.GmbH", "Diakoniewerk Essen"),
    ("Diakoniewerk Essen gemeinnützige GmbH", "Diakoniewerk Essen"),
    ("Neue Arbeit der Diakonie Essen gGmbH", "Neue Arbeit der Diakonie Essen"),
    ("Der Paritätische NRW", "Paritätische NRW"),
    ("Paritätischer Wohlfahrtsverband", "Paritaetischer Wohlfahrtsverband"),
    ("Jobcenter Essen", "JOBCENTER  ESSEN"),
    ("Volkshochschule Essen", "Volkshochschule  Essen."),
    ("Katholische Kirchengemeinde St. Lamberti KdöR", "Katholische Kirchengemeinde St. Lamberti"),
    ("Kath. Kirchengemeinde St. Lamberti K.d.ö.R.", "Kath. Kirchengemeinde St. Lamberti"),
    ("Wohnungsbau GmbH & Co. KG", "Wohnungsbau"),
    ("Flüchtlingshilfe Rhein-Sieg e.V.", "Flüchtlingshilfe Rhein Sieg"),
    ("Flüchtlingshilfe „Rhein-Sieg“ e.V.", "Flüchtlingshilfe Rhein-Sieg"),
    ("Arbeit & Bildung e.V.", "Arbeit und Bildung"),
    ("Café Welcome", "Cafe Welcome"),
    ("Bürgerstiftung Essen", "Buergerstiftung Essen"),
    ("Bürgergenossenschaft Oberland eG", "Bürgergenossenschaft Oberland"),
    ("Sprachbrücke UG (haftungsbeschränkt)", "Sprachbrücke"),
]

#: (one name, another name): two organisations, whatever they share.
DIFFERENT = [
    ("AWO Kreisverband Essen", "AWO Bochum"),
    ("Caritasverband für das Bistum Essen", "Caritasverband Bochum"),
    ("DRK Kreisverband Köln", "DRK Kreisverband Bonn"),
    ("Volkshochschule Essen", "Volkshochschule Bochum"),
    ("Diakonie Essen", "Diakoniewerk Essen"),
    ("Malteser Hilfsdienst Essen", "Johanniter-Unfall-Hilfe Essen"),
]

#: (name, federation code or None).
FEDERATION = [
    ("AWO Kreisverband Essen e.V.", "awo"),
    ("AWO Bochum", "awo"),
    ("Arbeiterwohlfahrt Unterbezirk Ruhr-Mitte", "awo"),
    ("Caritasverband für das Bistum Essen e.V.", "caritas"),
    ("Caritas Flüchtlingsberatung", "caritas"),
    ("Diakonisches Werk Gelsenkirchen und Wattenscheid", "diakonie"),
    ("Diakoniestation Mitte", "diakonie"),
    ("DRK-Kreisverband Köln e.V.", "drk"),
    ("Deutsches Rotes Kreuz, Ortsverein Alheim", "drk"),
    ("Der Paritätische NRW", "paritaetischer"),
    ("Malteser Hilfsdienst e.V.", "malteser"),
    ("Johanniter-Unfall-Hilfe e.V., Regionalverband Ruhr", "johanniter"),
    ("VHS Essen", "vhs"),
    ("Volkshochschule der Stadt Bochum", "vhs"),
    ("Volkshochschulen im Kreis Borken", "vhs"),
    ("IHK zu Köln", "ihk"),
    ("Handwerkskammer Düsseldorf", "hwk"),
    ("Jobcenter Essen", "jobcenter"),
    ("Agentur für Arbeit Essen", "jobcenter"),
    # Not a federation: words that only look like one.
    ("Sprachcafé im Stadtteilzentrum", None),
    ("Sportverein Drakensee", None),
    ("Stadt Essen, Kommunales Integrationszentrum", None),
    ("Kinderschutzbund Essen", None),
    ("Caritative Initiative Sankt Martin", None),
]


@pytest.mark.parametrize(("one", "other"), SAME)
def test_spellings_of_one_organisation_share_a_key(one: str, other: str) -> None:
    assert partners.normalise(one) == partners.normalise(other)
    assert partners.normalise(one)


@pytest.mark.parametrize(("one", "other"), DIFFERENT)
def test_different_organisations_keep_different_keys(one: str, other: str) -> None:
    assert partners.normalise(one) != partners.normalise(other)


@pytest.mark.parametrize(("name", "code"), FEDERATION)
def test_federation_of_a_branch(name: str, code: str | None) -> None:
    found = partners.federation_of(name, FEDERATIONS)
    assert (found.code if found else None) == code


def test_keys_read_well() -> None:
    assert partners.normalise("Caritasverband für das Bistum Essen e.V.") == (
        "caritasverband fuer das bistum essen"
    )
    assert partners.normalise("  e.V. ") == ""


def use(name: str, key: str, practice: str) -> PartnerUse:
    return PartnerUse(name, key, practice, f"Maßnahme {practice}", f"{practice}@1")


def test_shared_organisation_and_federation_branches_shown_apart() -> None:
    uses = [
        use("Caritasverband für das Bistum Essen e.V.", "05113000", "p1"),
        use("Caritasverband für das Bistum Essen", "05911000", "p2"),
        use("AWO Kreisverband Essen", "05113000", "p1"),
        use("AWO Bochum", "05911000", "p3"),
        use("Sprachcafé Team", "05113000", "p1"),
    ]
    found = partners.shared_partners(uses, FEDERATIONS)
    organisations = [s for s in found if s.relation == "organisation"]
    federations = [s for s in found if s.relation == "federation"]
    assert [(s.key, s.a, s.b) for s in organisations] == [
        ("caritasverband fuer das bistum essen", "05113000", "05911000")
    ]
    # The Caritas is one organisation on both sides: never also a "federation" pair; the
    # two AWO branches are two organisations of one federation.
    assert [(s.key, s.names_a, s.names_b) for s in federations] == [
        ("awo", ["AWO Kreisverband Essen"], ["AWO Bochum"])
    ]
    assert found[0].relation == "organisation"  # shown first, federations apart
    assert federations[0].practices_b == [("p3", "Maßnahme p3")]


def test_one_municipality_alone_shares_nothing() -> None:
    uses = [use("AWO Essen", "05113000", "p1"), use("AWO Kreisverband Essen", "05113000", "p2")]
    assert partners.shared_partners(uses, FEDERATIONS) == []
