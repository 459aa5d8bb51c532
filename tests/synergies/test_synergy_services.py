"""Synergy judgements, validations, the candidate score, peer reviews and the learning trace,
with known answers (issue 12 items 1-5, 9)."""

from __future__ import annotations

import email
from collections.abc import Callable
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from omk.errors import Conflict, Forbidden, NotFound, ValidationFailed
from omk.extensions import db
from omk.models import AuditEntry, OutboxEntry, User
from omk.models.reporting import Cycle
from omk.policy import Action
from omk.services import reports
from omk.services.transaction import unit_of_work
from omk.synergies import candidates, judgements, learning, peer_review, suggestions, validation
from omk.synergies.suggestions import Side, Suggestion
from tests import factories

ESSEN, KOELN, AACHEN, ALHEIM = "05113000", "05315000", "05334002", "06632001"

CARITAS_E = {"name": "Caritasverband für das Bistum Essen e.V.", "type": "wohlfahrtsverband"}
CARITAS_K = {"name": "Caritasverband für das Bistum Essen", "type": "wohlfahrtsverband"}
AWO_E = {"name": "AWO Kreisverband Essen", "type": "wohlfahrtsverband"}
AWO_A = {"name": "AWO Alheim", "type": "wohlfahrtsverband"}
AWO_K = {"name": "AWO Köln", "type": "wohlfahrtsverband"}
BRIDGE = {"name": "Sprachbrücke Hessen-Ruhr e.V.", "type": "verein"}


@pytest.fixture
def people(make_user: Callable[..., User]) -> dict[str, User]:
    factories.make_cycle("2025")
    return {
        ESSEN: make_user("reporter", municipality=ESSEN, email="essen@example.org"),
        KOELN: make_user("reporter", municipality=KOELN, email="koeln@example.org"),
        AACHEN: make_user("reporter", municipality=AACHEN, email="aachen@example.org"),
        ALHEIM: make_user("reporter", municipality=ALHEIM, email="alheim@example.org"),
        "r05": make_user("reviewer", scope="05"),
        "r06": make_user("reviewer", scope="06"),
        "admin": make_user("admin"),
    }


def publish(people: dict[str, User], ags: str, *practices: dict[str, Any]) -> None:
    report, _ = reports.import_document(
        people[ags], factories.document(ags, practices=list(practices))
    )
    reports.submit(people[ags], report)
    reviewer = people["r06"] if ags.startswith("06") else people["r05"]
    reports.accept(reviewer, report)


def cycle() -> Cycle:
    found = db.session.scalar(select(Cycle).where(Cycle.code == "2025"))
    assert found is not None
    return found


def mails(app: Flask) -> list[email.message.Message]:
    folder = Path(app.instance_path) / "mail"
    return [email.message_from_bytes(p.read_bytes()) for p in sorted(folder.glob("*.eml"))]


# --- shared partners and judgements -----------------------------------------------------------


@pytest.fixture
def partnered(people: dict[str, User]) -> dict[str, dict[str, Any]]:
    found = {
        "essen": factories.practice("Beratung", actors=[CARITAS_E, AWO_E]),
        "koeln": factories.practice("Beratung Köln", actors=[CARITAS_K, AWO_K]),
        "alheim": factories.practice("Treffpunkt", actors=[AWO_A]),
    }
    publish(people, ESSEN, found["essen"])
    publish(people, KOELN, found["koeln"])
    publish(people, ALHEIM, found["alheim"])
    return found


def test_shared_partner_and_federation_suggestions(partnered: dict[str, Any]) -> None:
    found = judgements.view(cycle(), "")
    assert [(s.group, s.a["id"], s.b["id"]) for s in found] == [
        ("organisation", ESSEN, KOELN),
        ("federation", ESSEN, KOELN),
    ]
    org = found[0]
    assert org.subject == "organisation:caritasverband fuer das bistum essen"
    assert org.status == "open" and "Caritasverband" in org.explanation
    # counted in words ("1 Maßnahme"), never "Maßnahme(n)"
    assert "Essen, Stadt (1 Maßnahme) und in Köln, Stadt (1 Maßnahme)" in org.explanation
    # the federation named so that no declension is needed ("von Arbeiterwohlfahrt" is wrong)
    assert found[1].explanation == (
        "Zwei Gliederungen des Verbands Arbeiterwohlfahrt (AWO): AWO Kreisverband Essen in "
        "Essen, Stadt und AWO Köln in Köln, Stadt. Es sind eigenständige Organisationen; sie "
        "können Erfahrungen und Material austauschen."
        " Entfernung: 58 km."  # the register's positions: branches near each other can meet
    )
    # AWO Alheim is 191 km from Essen and more from Köln: beyond FEDERATION_MAX_KM, nobody's
    # partner; region 06 sees nothing.
    assert judgements.view(cycle(), "06") == []


def test_dismissed_stays_dismissed_in_its_region_until_the_practices_change(
    people: dict[str, User], partnered: dict[str, Any]
) -> None:
    s = judgements.view(cycle(), "05")[0]
    judgements.judge(
        people["r05"], cycle(), s.kind, s.a["id"], s.b["id"], s.subject, "dismissed", "bekannt"
    )
    again = judgements.view(cycle(), "05")
    assert again[-1].identity == s.identity and again[-1].status == "dismissed"
    assert again[-1].note == "bekannt"
    assert next(x.status for x in judgements.view(cycle(), "")) == "open"  # another region's view
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "synergy.judge"))
    assert entry is not None and entry.to_state == "dismissed" and entry.detail["region"] == "05"
    # Köln publishes a new version of its practice: the pair comes back, marked.
    changed = dict(partnered["koeln"], summary="Neue Fassung mit mehr Beratung.")
    report = reports.get_report_for(people[KOELN], Action.REPORT_EDIT, "2025", KOELN)
    reports.reopen(people["r05"], report, "Korrektur")
    reports.save_document(
        people[KOELN], report, factories.document(KOELN, practices=[changed]), edit_version=None
    )
    reports.submit(people[KOELN], report)
    reports.accept(people["r05"], report)
    back = next(x for x in judgements.view(cycle(), "05") if x.identity == s.identity)
    assert back.status == "open" and back.was_dismissed


def republish(people: dict[str, User], ags: str, *practices: dict[str, Any]) -> None:
    """Reopen a published report, save new practices (if given), resubmit and accept."""
    reviewer = people["r06"] if ags.startswith("06") else people["r05"]
    report = reports.get_report_for(people[ags], Action.REPORT_EDIT, "2025", ags)
    reports.reopen(reviewer, report, "Korrektur")
    if practices:
        document = factories.document(ags, practices=list(practices))
        reports.save_document(people[ags], report, document, edit_version=None)
    reports.submit(people[ags], report)
    reports.accept(reviewer, report)


def test_a_dismissal_survives_an_unchanged_resubmission_not_an_edit(
    people: dict[str, User], partnered: dict[str, Any]
) -> None:
    s = judgements.view(cycle(), "05")[0]
    judgements.judge(
        people["r05"], cycle(), s.kind, s.a["id"], s.b["id"], s.subject, "dismissed", "bekannt"
    )
    # Köln's report is reopened, resubmitted unchanged and accepted: a new revision, the
    # same practices; the pair stays dismissed.
    republish(people, KOELN)
    same = next(x for x in judgements.view(cycle(), "05") if x.identity == s.identity)
    assert same.revisions != s.revisions  # published anew
    assert (same.status, same.note, same.was_dismissed) == ("dismissed", "bekannt", False)
    # Whitespace is not content either.
    republish(people, KOELN, dict(partnered["koeln"], title="  Beratung   Köln "))
    same = next(x for x in judgements.view(cycle(), "05") if x.identity == s.identity)
    assert same.status == "dismissed"
    # A changed description brings it back, marked.
    republish(people, KOELN, dict(partnered["koeln"], description="Neu: auch abends Beratung."))
    back = next(x for x in judgements.view(cycle(), "05") if x.identity == s.identity)
    assert back.status == "open" and back.was_dismissed


def test_a_judgement_stored_with_a_revision_fingerprint_still_counts(
    people: dict[str, User], partnered: dict[str, Any]
) -> None:
    s = judgements.view(cycle(), "05")[0]
    row = judgements.judge(
        people["r05"], cycle(), s.kind, s.a["id"], s.b["id"], s.subject, "dismissed"
    )
    assert row.fingerprint == s.fingerprint
    # As stored before fingerprints were made of content: a digest of the revisions.
    assert s.revision_fingerprint is not None
    with unit_of_work():
        row.fingerprint = s.revision_fingerprint
    assert next(x for x in judgements.view(cycle(), "05") if x.identity == s.identity).status == (
        "dismissed"
    )
    republish(people, KOELN, dict(partnered["koeln"], summary="Neue Fassung."))
    back = next(x for x in judgements.view(cycle(), "05") if x.identity == s.identity)
    assert back.status == "open" and back.was_dismissed


def test_an_admins_judgement_applies_everywhere_a_reviewer_only_in_its_region(
    people: dict[str, User], partnered: dict[str, Any]
) -> None:
    def status(region: str, identity: Any) -> str:
        return next(s.status for s in judgements.view(cycle(), region) if s.identity == identity)

    # one organisation working in Essen (05) and Alheim (06): a pair across two regions
    republish(people, ESSEN, dict(partnered["essen"], actors=[CARITAS_E, AWO_E, BRIDGE]))
    republish(people, ALHEIM, dict(partnered["alheim"], actors=[AWO_A, BRIDGE]))
    across = next(s for s in judgements.view(cycle(), "") if s.b["id"] == ALHEIM)
    judgements.judge(
        people["r06"],
        cycle(),
        across.kind,
        across.a["id"],
        across.b["id"],
        across.subject,
        "confirmed",
    )
    statuses = {r: status(r, across.identity) for r in ("06", "05", "")}
    assert statuses == {"06": "confirmed", "05": "open", "": "open"}
    org = judgements.view(cycle(), "")[0]
    judgements.judge(
        people["admin"], cycle(), org.kind, org.a["id"], org.b["id"], org.subject, "dismissed"
    )
    assert status("05", org.identity) == "dismissed"
    assert status("", org.identity) == "dismissed"


def test_only_a_reviewer_of_a_side_judges_and_only_existing_suggestions(
    people: dict[str, User], partnered: dict[str, Any]
) -> None:
    org = judgements.view(cycle(), "")[0]  # Essen ↔ Köln, both in 05
    with pytest.raises(Forbidden):
        judgements.judge(
            people["r06"], cycle(), org.kind, org.a["id"], org.b["id"], org.subject, "dismissed"
        )
    with pytest.raises(NotFound):
        judgements.judge(
            people["r05"], cycle(), "partner", ESSEN, AACHEN, "organisation:x", "dismissed"
        )
    with pytest.raises(ValidationFailed):
        judgements.judge(people["r05"], cycle(), "partner", ESSEN, KOELN, "x", "maybe")
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "synergy.judge")) is None


def test_drafts_never_enter_the_suggestions(people: dict[str, User]) -> None:
    publish(people, ESSEN, factories.practice("Beratung", actors=[CARITAS_E]))
    reports.import_document(
        people[KOELN],
        factories.document(KOELN, practices=[factories.practice("Entwurf", actors=[CARITAS_K])]),
    )
    assert judgements.view(cycle(), "") == []


# --- validation and the candidate score -----------------------------------------------------

MARKS = {
    code: {"mark": "2", "note": "belegt"}
    for code in (
        "ergebnisse",
        "uebertragbarkeit",
        "ziele",
        "evaluiert_innovativ",
        "wirksamkeit",
        "zielbeitrag",
    )
}
REASON = "Wirksam, gut beschrieben und übertragbar."


def test_a_reviewer_of_the_region_validates_with_the_rubric(
    app: Flask, people: dict[str, User]
) -> None:
    p = factories.practice("Lotsen")
    publish(people, ESSEN, p)
    with pytest.raises(Forbidden):
        validation.validate(people["r06"], p["id"], MARKS, REASON, "validated")  # type: ignore[arg-type]
    with pytest.raises(ValidationFailed) as failed:
        validation.validate(people["r05"], p["id"], {}, "kurz", "ja")
    fields = {e.field for e in failed.value.errors}
    assert {"marks.ergebnisse", "notes.zielbeitrag", "justification", "verdict"} <= fields
    row = validation.validate(people["r05"], p["id"], MARKS, REASON, "validated")  # type: ignore[arg-type]
    assert row.marks["ergebnisse"] == {"mark": 2, "note": "belegt"}
    assert validation.is_validated(p["id"])
    assert [g.version.practice_id for g in validation.good_practices("05")] == [p["id"]]
    assert validation.good_practices("06") == []
    outbox = db.session.scalar(select(OutboxEntry).where(OutboxEntry.kind == "practice.validated"))
    assert outbox is not None and outbox.practice_ids == [p["id"]]
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "practice.validate"))


def test_drafts_and_submitted_practices_cannot_be_validated(people: dict[str, User]) -> None:
    p = factories.practice("Entwurf")
    report, _ = reports.import_document(people[ESSEN], factories.document(ESSEN, practices=[p]))
    with pytest.raises(NotFound):
        validation.validate(people["admin"], p["id"], MARKS, REASON, "validated")  # type: ignore[arg-type]
    reports.submit(people[ESSEN], report)
    with pytest.raises(NotFound):
        validation.validate(people["r05"], p["id"], MARKS, REASON, "validated")  # type: ignore[arg-type]


def test_candidate_score_components_with_points_and_sources(people: dict[str, User]) -> None:
    origin = factories.practice(
        "Lotsen",
        outcomes="120 Vermittlungen in Ausbildung.",
        transferability="x" * 250,
        sources=["https://www.essen.de/lotsen", "https://www.waz.de/lotsen"],
    )
    plain = factories.practice(
        "Treff", outcomes="Gut besucht.", transferability="Raum.", sources=[]
    )
    publish(people, ESSEN, origin, plain)
    adopted = factories.practice(
        "Lotsen Köln", adopted_from={"practice": origin["id"], "municipality": ESSEN}
    )
    publish(people, KOELN, adopted)
    found = {c.version.practice.title: c for c in candidates.candidates("05113")}
    lotsen = {c.code: (c.points, c.source) for c in found["Lotsen"].components}
    assert lotsen["results"][0] == 3
    assert lotsen["transferability"][0] == 2
    assert lotsen["sources"] == (2, "Feld „Quellen“: www.essen.de, www.waz.de")
    assert lotsen["adopted"] == (2, "Übernommen in: Köln, Stadt")
    assert lotsen["sustained"][0] == 0 and lotsen["peer_review"][0] == 0
    treff = {c.code: c.points for c in found["Treff"].components}
    adopted = next(c for c in found["Treff"].components if c.code == "adopted")
    assert adopted.source == "Von keiner anderen Kommune übernommen"
    assert treff == {
        "results": 1,
        "sustained": 0,
        "transferability": 1,
        "sources": 0,
        "adopted": 0,
        "peer_review": 0,
    }
    assert list(found) == ["Lotsen", "Treff"]  # best first
    assert found["Lotsen"].maximum == 19


# --- peer review -------------------------------------------------------------------------------


def test_peer_review_from_invitation_to_synthesis(app: Flask, people: dict[str, User]) -> None:
    p = factories.practice("Lotsen")
    publish(people, ESSEN, p)
    with pytest.raises(Forbidden):
        peer_review.open_review(people["r06"], p["id"], [ALHEIM])
    with pytest.raises(ValidationFailed):
        peer_review.open_review(people["r05"], p["id"], [ESSEN, "99999999"])
    review = peer_review.open_review(people["r05"], p["id"], [KOELN, ALHEIM])
    invited = [m for m in mails(app) if "Einladung zur Peer Review" in m["Subject"]]
    assert sorted(m["To"] for m in invited) == ["alheim@example.org", "koeln@example.org"]
    with pytest.raises(Forbidden):  # not invited
        peer_review.answer(people[AACHEN], review.id, "ja", "ja", "ja")
    with pytest.raises(Forbidden):  # the host is not a peer
        peer_review.answer(people[ESSEN], review.id, "ja", "ja", "ja")
    with pytest.raises(NotFound):  # an open review is not for everyone's eyes
        peer_review.get(people[AACHEN], review.id)
    with pytest.raises(ValidationFailed):
        peer_review.answer(people[KOELN], review.id, "", "ja", "ja")
    peer_review.answer(people[KOELN], review.id, "Ja, 120 Vermittlungen.", "Ja.", "Mit Kammer.")
    peer_review.answer(people[KOELN], review.id, "Ja, sehr.", "Ja.", "Mit Kammer.")  # revised
    peer_review.answer(people[ALHEIM], review.id, "Ja.", "Teils.", "Im ländlichen Raum schwer.")
    assert peer_review.for_practice(people[AACHEN], p["id"]) == []
    with pytest.raises(Forbidden):
        peer_review.publish_synthesis(people["r06"], review.id, "Eine Synthese " * 5)
    peer_review.publish_synthesis(people["r05"], review.id, "Wirksam und übertragbar. " * 3)
    with pytest.raises(Conflict):
        peer_review.answer(people[KOELN], review.id, "x", "y", "z")
    seen = peer_review.get(people[AACHEN], review.id)  # published: everyone logged in
    assert [c.municipality_key for c in seen.comments] == [KOELN, ALHEIM]
    assert seen.comments[0].effective == "Ja, sehr."
    done = [m for m in mails(app) if "Synthese" in m["Subject"]]
    assert sorted(m["To"] for m in done) == [
        "alheim@example.org",
        "essen@example.org",
        "koeln@example.org",
    ]
    score = candidates.score_of(p["id"])
    assert score is not None
    assert {c.code: c.points for c in score.components}["peer_review"] == 4
    sources = {c.code: c.source for c in score.components}
    assert sources["peer_review"] == "1 veröffentlichte Peer Review mit 2 Antworten"
    actions = db.session.scalars(
        select(AuditEntry.action).where(AuditEntry.action.startswith("peer_review."))
    ).all()
    assert sorted(actions) == [
        "peer_review.answer",
        "peer_review.answer",
        "peer_review.open",
        "peer_review.publish",
        "peer_review.revise_answer",
    ]


# --- the learning trace ------------------------------------------------------------------------


def test_check_adopted_from(people: dict[str, User]) -> None:
    origin = factories.practice("Lotsen")
    publish(people, ESSEN, origin)
    draft = factories.practice("Entwurf von Aachen")
    reports.import_document(people[AACHEN], factories.document(AACHEN, practices=[draft]))

    def doc(adopted: dict[str, str] | None, own: str = KOELN) -> dict[str, Any]:
        p = factories.practice("Übernommen", adopted_from=adopted)
        return factories.document(own, practices=[p])

    def problems(adopted: dict[str, str] | None, own: str = KOELN, **kw: Any) -> Any:
        found = learning.check_adopted_from(doc(adopted, own), **kw)
        return [e.message for e in found.errors], [w.message for w in found.warnings]

    assert problems(None) == ([], [])
    assert problems({"practice": origin["id"], "municipality": ESSEN}) == ([], [])
    assert problems({"practice": origin["id"], "municipality": AACHEN})[0] != []
    assert problems({"practice": origin["id"], "municipality": ESSEN}, own=ESSEN)[0] != []
    unknown = {"practice": "5b0c2f0e-1d7a-4c53-9a51-0f3c2b8e7a11", "municipality": AACHEN}
    assert problems(unknown) == ([learning.NOT_PUBLISHED], [])
    # A draft of another municipality reads exactly like an unknown id.
    assert problems({"practice": draft["id"], "municipality": AACHEN}) == (
        [learning.NOT_PUBLISHED],
        [],
    )
    assert problems(unknown, allow_unknown=True) == ([], [learning.NOT_PUBLISHED])


def test_find_origins_and_the_network(people: dict[str, User]) -> None:
    origin = factories.practice("Ausbildungslotsen für Geflüchtete")
    publish(people, ESSEN, origin)
    publish(people, KOELN, factories.practice("Lotsen-Café"))
    found = learning.find_origins("lotsen", exclude_key=KOELN)
    assert [o.practice_id for o in found] == [origin["id"]]
    assert found[0].name.startswith("Essen")
    assert learning.find_origins("LOTSEN geflüchtete", exclude_key=None)[0].title == origin["title"]
    adopted = factories.practice(
        "Lotsen in Alheim", adopted_from={"practice": origin["id"], "municipality": ESSEN}
    )
    publish(people, ALHEIM, adopted)
    steps = learning.network()
    assert [(t.source, t.target, t.cycle) for t in steps] == [(ESSEN, ALHEIM, "2025")]
    assert learning.network("06") == steps and learning.network("09") == []
    drawing = learning.layout(steps)
    assert len(drawing.nodes) == 2 and len(drawing.edges) == 1
    # Every label fits inside the drawing (about 7.5 px a character beside its circle).
    for node in drawing.nodes:
        room = len(node.label) * 7.5 + 14
        if node.anchor == "start":
            assert node.x + room <= drawing.width
        elif node.anchor == "end":
            assert node.x - room >= 0


def test_the_learning_network_keeps_long_names_inside_the_drawing() -> None:
    names = {
        "03356": "Osterholz-Scharmbeck, Stadt",
        "12072": "Zossen, Stadt",
        "09184": "Taufkirchen (Landkreis München)",
        "14612": "Dresden, Landeshauptstadt",
        "05358": "Düren, Mittlere kreisangehörige Stadt",
    }
    keys = sorted(names)
    steps = [
        learning.Transfer(
            a, names[a], b, names[b], f"o{i}", "Herkunft", f"p{i}", "Maßnahme", "2025"
        )
        for i, (a, b) in enumerate(pairwise(keys))
    ]
    drawing = learning.layout(steps)
    for node in drawing.nodes:
        room = len(node.label) * 7.5 + 14
        if node.anchor == "start":
            assert node.x + room <= drawing.width, node
        elif node.anchor == "end":
            assert node.x - room >= 0, node
            # the names end before the first cycle's column: no arrow crosses a name
            assert node.x < drawing.periods[0].x, node
        else:
            assert node.x - room / 2 >= 0 and node.x + room / 2 <= drawing.width, node


def test_the_learning_network_is_drawn_up_to_max_lanes_municipalities() -> None:
    """30 municipalities are drawn, one lane each (1,252 px); a 31st leaves only the table."""
    assert learning.MAX_LANES == 30

    def chain(count: int) -> list[learning.Transfer]:
        keys = [f"05{n:06d}" for n in range(count)]
        return [
            learning.Transfer(a, a, b, b, f"o{i}", "Herkunft", f"p{i}", "M", "2025")
            for i, (a, b) in enumerate(pairwise(keys))
        ]

    assert learning.lanes([]) == 0 and not learning.drawable([])
    at_most = chain(learning.MAX_LANES)
    assert learning.lanes(at_most) == 30 and learning.drawable(at_most)
    drawing = learning.layout(at_most)
    assert len(drawing.nodes) == 30 and drawing.height == 1252
    too_many = chain(learning.MAX_LANES + 1)
    assert learning.lanes(too_many) == 31 and not learning.drawable(too_many)
    # one municipality learning from many counts each of them once
    star = [
        learning.Transfer(f"05{n:06d}", "x", "06000000", "y", f"o{n}", "H", f"p{n}", "M", "2025")
        for n in range(learning.MAX_LANES)
    ]
    assert learning.lanes(star) == 31 and not learning.drawable(star)


def test_the_learning_network_runs_in_time_from_left_to_right() -> None:
    """One labelled column per cycle, a later cycle right of an earlier one, and each arrow
    in its cycle's column from the origin's lane to the adopter's."""
    names = {"05113000": "Essen", "05315000": "Köln", "06632002": "Alheim"}
    essen, koeln, alheim = names
    steps = [
        learning.Transfer(a, names[a], b, names[b], f"o{i}", "Herkunft", f"p{i}", "M", cycle)
        for i, (a, b, cycle) in enumerate(
            [(essen, koeln, "2024"), (essen, alheim, "2025"), (koeln, alheim, "2025")]
        )
    ]
    drawing = learning.layout(steps)
    assert [p.cycle for p in drawing.periods] == ["2024", "2025"]
    early, late = drawing.periods
    assert early.x + early.width <= late.x and late.x + late.width <= drawing.width
    lanes = {n.key: n.y for n in drawing.nodes}
    for edge, step in zip(drawing.edges, steps, strict=True):
        period = early if step.cycle == "2024" else late
        assert period.x < edge.x1 == edge.x2 < period.x + period.width
        assert edge.end_y == lanes[step.target]
        assert min(edge.y1, edge.y2) > min(lanes[step.source], lanes[step.target]) - 1
    assert drawing.edges[1].x1 != drawing.edges[2].x1  # two steps of one cycle side by side
    assert all(n.y > drawing.top for n in drawing.nodes)  # the cycles' labels above the lanes


def test_several_kinds_take_turns_each_ranked_by_its_own_score() -> None:
    """Scores compare within a kind only (a similar pair's standardised blend runs past 1,
    a transfer's or partner's stays within 0..1): a list of every kind interleaves them,
    best of each first, dismissed ones last."""

    def made(kind: str, label: str, score: float, status: str = "open") -> Suggestion:
        side: Side = {"type": "municipality", "id": label, "label": label}
        return Suggestion(kind, side, side, score, "", (), (), status=status)

    found = [
        made("similar", "s1", 4.2),
        made("similar", "s2", 3.1),
        made("similar", "s3", 2.5),
        made("similar", "s0", 9.0, "dismissed"),
        made("partner", "p1", 0.9),
        made("transfer", "t1", 0.7),
        made("transfer", "t2", 0.65),
    ]
    order = [s.a["label"] for s in suggestions.ranked(found)]
    assert order == ["s1", "t1", "p1", "s2", "t2", "s3", "s0"]
    same_kind = [s.a["label"] for s in suggestions.ranked(f for f in found if f.kind == "similar")]
    assert same_kind == ["s1", "s2", "s3", "s0"]
