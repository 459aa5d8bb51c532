"""The synthesis chapters on good practice, synergies and the learning trace, from the
synergies module's own records: a validated practice with its justification and peer review,
a confirmed shared partner, a practice adopted from another municipality."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from omk.models import User
from omk.services import compare as compare_service
from omk.services import reports
from omk.synergies import judgements, learning, peer_review, validation
from omk.synergies.content import rubric
from omk.synthesis import build, to_markdown
from omk.synthesis.document import figures, table_by_id
from tests import factories

ESSEN, KOELN, ALHEIM = "05113000", "05315000", "06632001"
CARITAS_E = {"name": "Caritasverband für das Bistum Essen e.V.", "type": "wohlfahrtsverband"}
CARITAS_K = {"name": "Caritasverband für das Bistum Essen", "type": "wohlfahrtsverband"}
REASON = "Wirksam, gut beschrieben und übertragbar."
SYNTHESIS = "Die Lotsen wirken und lassen sich mit einer Kammer übertragen. "


@pytest.fixture
def world(make_user: Callable[..., User]) -> dict[str, User]:
    factories.make_cycle("2025")
    people = {
        ESSEN: make_user("reporter", municipality=ESSEN),
        KOELN: make_user("reporter", municipality=KOELN),
        ALHEIM: make_user("reporter", municipality=ALHEIM),
        "r05": make_user("reviewer", scope="05"),
    }
    origin = factories.practice("Ausbildungslotsen", actors=[CARITAS_E])
    publish(people, ESSEN, origin)
    adopted = factories.practice(
        "Ausbildungslotsen Köln",
        actors=[CARITAS_K],
        adopted_from={"practice": origin["id"], "municipality": ESSEN},
    )
    publish(people, KOELN, adopted)
    reviewer = people["r05"]
    marks: Any = {c.code: {"mark": "2", "note": "belegt"} for c in rubric().criteria}
    validation.validate(reviewer, origin["id"], marks, REASON, "validated")
    review = peer_review.open_review(reviewer, origin["id"], [KOELN])
    peer_review.answer(people[KOELN], review.id, "Ja.", "Ja.", "Mit Kammer.")
    peer_review.publish_synthesis(reviewer, review.id, SYNTHESIS)
    cycle = compare_service.get_cycle("2025")
    partner = next(s for s in judgements.view(cycle, "05") if s.kind == "partner")
    judgements.judge(
        reviewer, cycle, partner.kind, partner.a["id"], partner.b["id"], partner.subject,
        "confirmed", "Gemeinsamer Träger, Austausch angeregt.",
    )  # fmt: skip
    return people


def publish(people: dict[str, User], ags: str, *practices: dict[str, Any]) -> None:
    report, _ = reports.import_document(
        people[ags], factories.document(ags, practices=list(practices))
    )
    reports.submit(people[ags], report)
    reports.accept(people["r05"], report)


def test_good_practice_with_justification_and_peer_review(world: dict[str, User]) -> None:
    doc = build("2025", "05", names=False)
    table = table_by_id(doc, "t-good-practice")
    assert table is not None
    [row] = table["rows"]
    assert row[1] == "Ausbildungslotsen" and row[3] == 12 and row[4] == 18
    assert row[5] == REASON and row[6] == "1 Peer Review, Stellungnahmen: 1"
    chapter = next(c for c in doc["chapters"] if c["id"] == "good_practice")
    assert any(REASON in p and SYNTHESIS.strip() in p for p in chapter["paragraphs"])
    assert build("2025", "06", names=False)["chapters"][4]["tables"] == []


def test_confirmed_synergies_and_the_learning_trace(world: dict[str, User]) -> None:
    doc = build("2025", "05", names=False)
    synergies = table_by_id(doc, "t-synergies")
    assert synergies is not None
    [row] = synergies["rows"]
    assert row[0] == "gemeinsamer Partner" and row[4] == "Gemeinsamer Träger, Austausch angeregt."
    trace = table_by_id(doc, "t-learning")
    assert trace is not None
    [step] = trace["rows"]
    assert step[0] == "2025" and step[2] == "Ausbildungslotsen"
    assert step[4] == "Ausbildungslotsen Köln"
    text = to_markdown(doc)
    assert "Ausbildungslotsen Köln" in text and "Gemeinsamer Träger" in text


def test_the_learning_network_figure_gives_way_to_a_sentence_when_too_many(
    world: dict[str, User], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The document draws the learning network as the synergy page does, up to
    ``learning.MAX_LANES`` municipalities; above, a sentence says why, and the table stays."""
    monkeypatch.setattr(learning, "MAX_LANES", 2)  # Essen and Köln: drawn
    doc = build("2025", "05", names=False)
    assert "f-learning" in [f["id"] for f in figures(doc)]
    monkeypatch.setattr(learning, "MAX_LANES", 1)
    doc = build("2025", "05", names=False)
    assert "f-learning" not in [f["id"] for f in figures(doc)]
    trace = table_by_id(doc, "t-learning")
    assert trace is not None and len(trace["rows"]) == 1
    chapter = next(c for c in doc["chapters"] if trace in c["tables"])
    assert (
        "Zu viele Kommunen für eine Zeichnung: 2 Kommunen; die Tabelle zeigt alle Übernahmen."
        in chapter["paragraphs"]
    )
