"""Partner names: one key per organisation, federations apart (issue 12 items 1 and 9)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from omk.synergies import partners
from omk.synergies.partners import NameKind, PartnerUse

CONTENT = Path(__file__).resolve().parents[2] / "content" / "synergies"
FEDERATIONS = partners.federations_from(
    yaml.safe_load((CONTENT / "federations.yaml").read_text())["federations"]
)
NAMES = partners.name_lists_from(yaml.safe_load((CONTENT / "partner_names.yaml").read_text()))
ORGANISATION, BRANCH, LOCAL, GENERIC = (
    NameKind.ORGANISATION,
    NameKind.BRANCH,
    NameKind.LOCAL,
    NameKind.GENERIC,
)

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


#: (name, what it tells about the organisation's identity).
KIND = [
    # A name with a word of its own: one organisation wherever it is named.
    ("Caritasverband für das Bistum Essen e.V.", ORGANISATION),
    ("Flüchtlingshilfe Musterstadt e.V.", ORGANISATION),
    ("AWO Kreisverband Essen", ORGANISATION),
    ("DRK-Kreisverband Köln e.V.", ORGANISATION),
    ("Deutsches Rotes Kreuz, Ortsverein Alheim", ORGANISATION),
    ("Volkshochschule der Stadt Bochum", ORGANISATION),
    ("Jobcenter Kreis Minden-Lübbecke", ORGANISATION),
    ("Jugendamt Essen", ORGANISATION),
    ("Stadt Essen, Kommunales Integrationszentrum", ORGANISATION),
    ("Sportverein Drakensee", ORGANISATION),
    ("Essener Tafel", ORGANISATION),
    ("Arbeit & Bildung e.V.", ORGANISATION),
    ("Café Welcome", ORGANISATION),
    ("Sprachbrücke UG (haftungsbeschränkt)", ORGANISATION),
    # Only a federation's name: a local branch, which one we do not know.
    ("DRK", BRANCH),
    ("Deutsches Rotes Kreuz", BRANCH),
    ("Deutsches Rotes Kreuz e.V.", BRANCH),
    ("DRK-Kreisverband", BRANCH),
    ("Caritas", BRANCH),
    ("Caritasverband", BRANCH),
    ("Deutscher Caritasverband e.V.", BRANCH),
    ("Caritas Flüchtlingsberatung", BRANCH),
    ("AWO", BRANCH),
    ("Arbeiterwohlfahrt", BRANCH),
    ("Diakonie", BRANCH),
    ("Diakonisches Werk", BRANCH),
    ("Der Paritätische", BRANCH),
    ("Paritätischer Wohlfahrtsverband", BRANCH),
    ("Malteser Hilfsdienst e.V.", BRANCH),
    ("Johanniter-Unfall-Hilfe e.V.", BRANCH),
    ("Volkshochschule", BRANCH),
    ("VHS", BRANCH),
    ("Jobcenter", BRANCH),
    ("Agentur für Arbeit", BRANCH),
    ("Bundesagentur für Arbeit", BRANCH),
    ("IHK", BRANCH),
    # Only the name of a body every place has: each municipality's own.
    ("Ausländerbehörde", LOCAL),
    ("Jugendamt", LOCAL),
    ("Kreisjugendamt", LOCAL),
    ("Sozialamt der Stadt", LOCAL),
    ("Gesundheitsamt des Kreises", LOCAL),
    ("Staatliches Schulamt", LOCAL),
    ("Kommunales Integrationszentrum", LOCAL),
    ("Integrationsbeauftragte", LOCAL),
    ("Integrationsbeauftragte der Stadt", LOCAL),
    ("Stadtverwaltung", LOCAL),
    ("Tafel", LOCAL),
    ("Flüchtlingshilfe", LOCAL),
    # No organisation at all.
    ("Unternehmen der Region", GENERIC),
    ("Unternehmen aus der Region", GENERIC),
    ("lokale Arbeitgeber", GENERIC),
    ("Ehrenamtliche", GENERIC),
    ("Schulen", GENERIC),
    ("Schulen und Kitas", GENERIC),
    ("Vereine", GENERIC),
    ("Sportvereine", GENERIC),
    ("Kitas", GENERIC),
    ("Arbeitgeber", GENERIC),
    ("verschiedene Bildungsträger", GENERIC),
    ("Stadt", GENERIC),
    ("  e.V. ", GENERIC),
]


@pytest.mark.parametrize(("name", "kind"), KIND)
def test_what_a_name_tells_about_the_organisation(name: str, kind: NameKind) -> None:
    assert partners.classify(name, FEDERATIONS, NAMES) == kind


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


def test_identical_specific_names_are_one_shared_organisation() -> None:
    uses = [
        use("Flüchtlingshilfe Musterstadt e.V.", "05113000", "p1"),
        use("Flüchtlingshilfe Musterstadt e.V.", "05911000", "p2"),
        use("Caritasverband für das Bistum Essen e.V.", "05113000", "p1"),
        use("Caritasverband für das Bistum Essen", "05911000", "p2"),
    ]
    found = partners.shared_partners(uses, FEDERATIONS, NAMES)
    assert sorted((s.relation, s.key, s.a, s.b) for s in found) == [
        ("organisation", "caritasverband fuer das bistum essen", "05113000", "05911000"),
        ("organisation", "fluechtlingshilfe musterstadt", "05113000", "05911000"),
    ]


def test_bare_federation_names_are_branches_not_one_organisation() -> None:
    # As in the audit: the same bare name in two municipalities is two local branches.
    uses = [
        use("Deutsches Rotes Kreuz", "05770024", "p1"),
        use("Deutsches Rotes Kreuz", "07232201", "p2"),
        use("DRK", "07232201", "p3"),
        use("Caritas", "05113000", "p4"),
        use("Caritas", "05911000", "p5"),
    ]
    found = partners.shared_partners(uses, FEDERATIONS, NAMES)
    assert all(s.relation == "federation" for s in found)
    assert sorted((s.key, s.a, s.b, s.names_a, s.names_b) for s in found) == [
        ("caritas", "05113000", "05911000", ["Caritas"], ["Caritas"]),
        (
            "drk",
            "05770024",
            "07232201",
            ["Deutsches Rotes Kreuz"],
            ["DRK", "Deutsches Rotes Kreuz"],
        ),
    ]


def test_a_bare_branch_and_a_named_one_are_two_branches() -> None:
    uses = [
        use("DRK", "05770024", "p1"),
        use("DRK Kreisverband Bitburg-Prüm e.V.", "07232201", "p2"),
    ]
    found = partners.shared_partners(uses, FEDERATIONS, NAMES)
    assert [(s.relation, s.key, s.names_a, s.names_b) for s in found] == [
        ("federation", "drk", ["DRK"], ["DRK Kreisverband Bitburg-Prüm e.V."])
    ]


def test_local_bodies_and_generic_phrases_are_never_shared() -> None:
    uses = [
        use("Jugendamt", "06634017", "p1"),
        use("Jugendamt", "07231000", "p2"),
        use("Kommunales Integrationszentrum", "05770024", "p3"),
        use("Kommunales Integrationszentrum", "05558000", "p4"),
        use("Unternehmen der Region", "05770024", "p3"),
        use("Unternehmen der Region", "09479000", "p5"),
        use("Ehrenamtliche", "05770024", "p3"),
        use("Ehrenamtliche", "09479000", "p5"),
    ]
    assert partners.shared_partners(uses, FEDERATIONS, NAMES) == []
    # The same body named with its place is one organisation.
    uses = [use("Jugendamt Essen", "05113000", "p1"), use("Jugendamt Essen", "05911000", "p2")]
    assert [s.key for s in partners.shared_partners(uses, FEDERATIONS, NAMES)] == [
        "jugendamt essen"
    ]


def test_the_content_lists_are_valid() -> None:
    raw = yaml.safe_load((CONTENT / "partner_names.yaml").read_text())
    assert {"version", "filler", "local_bodies", "generic"} <= set(raw)
    assert NAMES.filler and NAMES.local_bodies and NAMES.generic
    # No entry is empty after folding.
    assert len(NAMES.local_bodies) == len(raw["local_bodies"])
    assert len(NAMES.generic) == len(raw["generic"])


def test_federation_branches_pair_with_their_nearest_not_with_everyone() -> None:
    """A federation present almost everywhere must not pair every municipality with every
    other: each branch is paired with the branches of its nearest municipalities."""
    places = {  # (latitude, longitude): five along the Ruhr, one far away in Bavaria
        "05113000": (51.46, 7.01),  # Essen
        "05911000": (51.48, 7.22),  # Bochum
        "05913000": (51.51, 7.47),  # Dortmund
        "05112000": (51.43, 6.76),  # Duisburg
        "05513000": (51.54, 7.10),  # Gelsenkirchen
        "09162000": (48.14, 11.58),  # München
    }
    uses = [use(f"Jobcenter {n}", key, f"p{n}") for n, key in enumerate(places)]
    everyone = partners.shared_partners(uses, FEDERATIONS, NAMES)
    assert len(everyone) == 15, "without positions: every pair"
    near = partners.shared_partners(uses, FEDERATIONS, NAMES, places)
    pairs = {(s.a, s.b) for s in near}
    assert len(pairs) < 15
    assert ("05113000", "05911000") in pairs  # Essen and Bochum are neighbours
    assert ("05112000", "05913000") not in pairs  # Duisburg and Dortmund each have nearer ones
    # München is more than FEDERATION_MAX_KM from all: a far branch is nobody's partner.
    assert not any("09162000" in pair for pair in pairs)
    # Each Ruhr city is paired with its three nearest, all within 100 km.
    assert all(sum(key in pair for pair in pairs) >= 3 for key in places if key != "09162000")
    essen_bochum = next(s for s in near if (s.a, s.b) == ("05113000", "05911000"))
    assert essen_bochum.km is not None and 10 < essen_bochum.km < 20
