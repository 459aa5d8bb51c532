"""The synthesis chapters on good practice, synergies and the learning trace, from the
synergies module's own records: a validated practice with its justification and peer review,
a confirmed shared partner, a practice adopted from another municipality."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
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


def test_the_learning_network_is_the_synergy_pages_drawing(world: dict[str, User]) -> None:
    """Time runs from left to right with a column per cycle and a lane per municipality, the
    arrow in the cycle's column between the lanes (the old drawing put circles by the names
    and the arrow apart from them)."""
    doc = build("2025", "05", names=False)
    [figure] = [f for f in figures(doc) if f["id"] == "f-learning"]
    svg = figure["svg"]
    assert "Runde 2025" in svg
    assert svg.count('stroke="#c9d1dc"') == 2  # one lane per municipality: Essen and Köln
    assert 'marker-end="url(#synthesis-net-arrow)"' in svg
    assert 'id="synthesis-net-arrow"' in svg and 'id="arrow"' not in svg


MARKDOWN_REASON = "Belegte Fallzahlen, **übertragbar** auf _andere_ Kreise & Städte."


def test_markdown_of_a_justification_is_never_shown_as_markup(world: dict[str, User]) -> None:
    """The rubric form takes Markdown; the report shows its text without the markers in the
    table and the paragraph, and so in HTML, Markdown and PDF alike."""
    from omk.synthesis import to_html

    practice_id = validation.good_practices("05")[0].version.practice_id
    marks: Any = {c.code: {"mark": "2", "note": "belegt"} for c in rubric().criteria}
    validation.validate(world["r05"], practice_id, marks, MARKDOWN_REASON, "validated")
    doc = build("2025", "05", names=False)
    table = table_by_id(doc, "t-good-practice")
    assert table is not None
    plain = "Belegte Fallzahlen, übertragbar auf andere Kreise & Städte."
    assert table["rows"][0][5] == plain
    chapter = next(c for c in doc["chapters"] if c["id"] == "good_practice")
    assert any(plain in p for p in chapter["paragraphs"])
    for text in (to_markdown(doc), to_html(doc)):
        assert "**übertragbar**" not in text and "_andere_" not in text
    assert "übertragbar auf andere Kreise &amp; Städte." in to_html(doc)


def test_a_cycle_counts_only_validations_of_its_own_or_earlier_versions(
    world: dict[str, User],
) -> None:
    """Validating the 2026 version of a practice does not change the 2025 report: it still
    shows the validation of the 2025 version; the 2026 report shows the new one."""
    factories.make_cycle(
        "2026",
        period_start=date(2026, 1, 1),
        period_end=date(2026, 12, 31),
        deadline=date(2027, 3, 31),
    )
    good = validation.good_practices("05")[0].version.practice
    again = factories.practice("Ausbildungslotsen", actors=[CARITAS_E])
    again["id"] = good.uuid
    later = factories.practice("Neu in 2026")
    report, _ = reports.import_document(
        world[ESSEN], factories.document(ESSEN, "2026", practices=[again, later])
    )
    reports.submit(world[ESSEN], report)
    reports.accept(world["r05"], report)
    reviewer = world["r05"]
    marks: Any = {c.code: {"mark": "3", "note": "sehr gut"} for c in rubric().criteria}
    newer = "Bewertung der Fassung von 2026, mit neuen Zahlen."
    validation.validate(reviewer, good.uuid, marks, newer, "validated")
    validation.validate(reviewer, later["id"], marks, newer, "validated")

    table = table_by_id(build("2025", "05", names=False), "t-good-practice")
    assert table is not None
    assert [(r[1], r[5]) for r in table["rows"]] == [("Ausbildungslotsen", REASON)]
    table = table_by_id(build("2026", "05", names=False), "t-good-practice")
    assert table is not None
    assert sorted((r[1], r[5]) for r in table["rows"]) == [
        ("Ausbildungslotsen", newer),
        ("Neu in 2026", newer),
    ]


def test_the_key_messages_say_which_cycle_they_count(world: dict[str, User]) -> None:
    doc = build("2025", "05", names=False)
    texts = [m["text"] for c in doc["chapters"] if c["id"] != "summary" for m in c["messages"]]
    assert "1 Maßnahme dieser Runde ist als gute Praxis bestätigt." in texts
    assert (
        "Die regionale Stelle hat 1 Synergie zwischen Maßnahmen dieser Runde bestätigt, "
        "darunter keine Übertragungsvorschläge." in texts
    )
