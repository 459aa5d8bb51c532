"""Coverage rules over plain data: cells, actor types, planted gaps found, peers per level."""

from __future__ import annotations

from typing import Any

from omk.compare import coverage as c
from omk.compare.coverage import Dimension, Member, PracticeFact

COLUMNS = ["A1", "A2", "B1", "B2", "C3"]


def fact(key: str, pid: str, recs: tuple[str, ...], **kw: object) -> PracticeFact:
    return PracticeFact(
        municipality_key=key,
        practice_id=pid,
        title=str(kw.get("title", f"Maßnahme {pid}")),
        criterion=str(kw.get("criterion", "arbeitsmarkt")),
        fields=tuple(kw.get("fields", ()) or ()),  # type: ignore[call-overload]
        recommendations=recs,
        actor_types=tuple(kw.get("actors", ()) or ()),  # type: ignore[call-overload]
    )


def municipal(*keys: str) -> list[Member]:
    return [Member(k, "municipal") for k in keys]


def test_planted_gaps_are_found_and_nothing_else() -> None:
    members = municipal("m1", "m2", "m3", "m4", "m5")
    facts = [
        fact("m1", "p1", ("B2", "C3")),
        fact("m2", "p2", ("B2", "C3")),
        fact("m3", "p3", ("B2", "C3")),
        fact("m4", "p4", ("B2",)),
        fact("m5", "p5", ("A1",)),
    ]
    matrix = c.build(members, facts, Dimension.RECOMMENDATIONS, COLUMNS)
    # m5: all 4 peers do B2, 3 of 4 do C3 (more than half); m4: 3 of 4 peers do C3.
    assert matrix.gaps == {"m1": [], "m2": [], "m3": [], "m4": ["C3"], "m5": ["B2", "C3"]}
    assert matrix.peers == {k: 4 for k in ("m1", "m2", "m3", "m4", "m5")}
    assert matrix.implemented_by == {"A1": 1, "A2": 0, "B1": 0, "B2": 4, "C3": 3}


def test_a_recommendation_for_rural_areas_is_no_gap_of_a_city() -> None:
    """ "Potenziale des ländlichen Raums nutzen" (applies_to: rural) done by most peers: a
    gap of the village that lacks it and of a municipality whose urbanisation is unknown,
    never of a city."""
    members = [
        Member("v1", "municipal", rural=True),
        Member("v2", "municipal", rural=True),
        Member("v3", "municipal", rural=True),
        Member("city", "municipal", rural=False),
        Member("village", "municipal", rural=True),
        Member("unknown", "municipal", rural=None),
    ]
    facts = [fact(k, f"p{k}", ("A5", "B2")) for k in ("v1", "v2", "v3")]
    columns = ["A5", "B2"]
    matrix = c.build(members, facts, Dimension.RECOMMENDATIONS, columns, rural_only={"A5"})
    assert matrix.gaps["city"] == ["B2"]
    assert matrix.gaps["village"] == ["A5", "B2"] and matrix.gaps["unknown"] == ["A5", "B2"]
    # without the taxonomy's rule every code applies everywhere
    everywhere = c.build(members, facts, Dimension.RECOMMENDATIONS, columns)
    assert everywhere.gaps["city"] == ["A5", "B2"]


def test_the_taxonomy_names_rural_areas_for_a5_only() -> None:
    from omk.content import load_content
    from omk.services.coverage import rural_only

    assert rural_only(load_content()) == frozenset({"A5"})


def test_exactly_half_is_no_gap() -> None:
    # m5 has 4 peers; two of them do A2: half, not most.
    members = municipal("m1", "m2", "m3", "m4", "m5")
    facts = [fact("m1", "p1", ("A2",)), fact("m2", "p2", ("A2",))]
    matrix = c.build(members, facts, Dimension.RECOMMENDATIONS, COLUMNS)
    assert all(matrix.gaps[k] == [] for k in ("m3", "m4", "m5"))


def test_too_few_peers_no_gap() -> None:
    members = municipal("m1", "m2", "m3")  # two peers each
    facts = [fact("m1", "p1", ("B1",)), fact("m2", "p2", ("B1",))]
    matrix = c.build(members, facts, Dimension.RECOMMENDATIONS, COLUMNS)
    assert matrix.gaps["m3"] == []
    assert c.MIN_PEERS == 3


def test_peers_stay_within_their_level() -> None:
    members = [*municipal("m1", "m2", "m3", "m4"), Member("k1", "district")]
    facts = [fact(k, f"p{k}", ("B1",)) for k in ("m1", "m2", "m3", "m4")]
    matrix = c.build(members, facts, Dimension.RECOMMENDATIONS, COLUMNS)
    assert matrix.gaps["k1"] == []  # no district peers at all
    assert matrix.peers["k1"] == 0
    # a district that implements nothing does not make B1 "less common" among Gemeinden
    members.append(Member("m5", "municipal"))
    matrix = c.build(members, facts, Dimension.RECOMMENDATIONS, COLUMNS)
    assert matrix.gaps["m5"] == ["B1"]


def test_cells_list_practices_and_actor_types_once() -> None:
    members = municipal("m1")
    facts = [
        fact("m1", "b", ("B2",), title="Runder Tisch", actors=("wirtschaft", "verwaltung")),
        fact("m1", "a", ("B2", "B2"), title="Lotsen", actors=("jobcenter", "wirtschaft")),
        fact("x9", "z", ("B2",)),  # not a member: ignored
    ]
    order = ["verwaltung", "jobcenter", "wirtschaft"]
    matrix = c.build(members, facts, Dimension.RECOMMENDATIONS, COLUMNS, order)
    cell = matrix.cells["m1"]["B2"]
    assert [p.title for p in cell.practices] == ["Lotsen", "Runder Tisch"]
    assert cell.practice_ids == ["a", "b"]
    assert cell.actor_types == ["verwaltung", "jobcenter", "wirtschaft"]
    assert set(matrix.cells["m1"]) == {"B2"}


def test_switch_to_fields_and_criteria() -> None:
    members = municipal("m1")
    facts = [fact("m1", "p", ("B1",), criterion="sprache_bildung", fields=("netzwerke", "x"))]
    by_field = c.build(members, facts, Dimension.FIELDS, ["netzwerke", "querschnitt"])
    assert set(by_field.cells["m1"]) == {"netzwerke"}
    by_criterion = c.build(members, facts, Dimension.CRITERIA, ["sprache_bildung", "verwaltung"])
    assert set(by_criterion.cells["m1"]) == {"sprache_bildung"}
    assert c.practised_where(by_criterion, "verwaltung") == {"m1": 0}
    assert c.practised_where(by_criterion, "sprache_bildung") == {"m1": 1}


def test_projection_keeps_north_up_and_fits_the_box() -> None:
    positions = {"north": (54.0, 9.0), "south": (48.0, 10.0), "west": (51.0, 6.0)}
    points, width, height = c.project(positions, 600, 600, 20)
    by = {p.key: p for p in points}
    assert by["north"].y < by["west"].y < by["south"].y
    assert by["west"].x < by["north"].x < by["south"].x
    assert width == 600 and height <= 600
    for p in points:
        assert 20 - 0.1 <= p.x <= width - 20 + 0.1
        assert 20 - 0.1 <= p.y <= height - 20 + 0.1


def test_projection_of_one_place_and_none() -> None:
    points, _width, height = c.project({"only": (50.0, 8.0)}, 600, 600, 20)
    assert (points[0].x, points[0].y) == (300.0, height / 2)
    assert c.project({}, 600, 600, 20)[0] == []


def test_rural_follows_the_register() -> None:
    from omk.models.register import Level, Municipality
    from omk.services.coverage import is_rural

    def entry(level: Level, urbanisation: int | None = None, kreisfrei: bool = False) -> Any:
        return is_rural(
            Municipality(key="x", level=level, urbanisation=urbanisation, is_kreisfrei=kreisfrei)
        )

    assert entry(Level.GEMEINDE, 3) is True  # gering besiedelt
    assert entry(Level.GEMEINDE, 2) is False and entry(Level.GEMEINDE, 1) is False
    assert entry(Level.GEMEINDE, None) is None
    assert entry(Level.KREIS) is True  # a Landkreis has rural areas
    assert entry(Level.KREIS, kreisfrei=True) is False
