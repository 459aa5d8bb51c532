"""The demo's synergy material, through the real services: two adoptions (``adopted_from``),
three validated good practices, one peer review with answers and a synthesis, and one
confirmed synergy suggestion, so that every synergy page shows something after ``omk demo``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy import select

from omk.document_types import PracticeDocument
from omk.extensions import db
from omk.models.accounts import User
from omk.models.reporting import Cycle
from omk.models.synergies import PeerReview, PracticeValidation, SynergyJudgement
from omk.synergies import content, judgements, learning, peer_review, published, validation
from omk.synergies.validation import MarkIn

log = logging.getLogger("omk.demo")

#: Adopter practice code → origin practice code (content/practices/practices.jsonl): the
#: adopter is first reported in a later cycle than its origin, by another municipality.
ADOPTIONS = {
    "d084": "d083",  # Fahrradwerkstatt (2025) after the Fahrradwerkstatt in Zossen (2024)
    "d056": "d035",  # ehrenamtlicher Dolmetscherdienst (2025) after the Gemeindedolmetscher
}
VALIDATED = ("d083", "d035", "d096")
PEER_REVIEWED = "d083"
JUSTIFICATION = (
    "Klare Ziele, belegte Ergebnisse und eine Beschreibung, mit der andere Kommunen die "
    "Maßnahme übernehmen können."
)
ANSWERS = (
    "Ja: die Zahlen zu Teilnehmenden und Reparaturen sind nachvollziehbar belegt.",
    "Sie dient dem Ziel der Runde, Ehrenamt und Teilhabe zu verbinden.",
    "Übertragbar, wenn ein Raum und zwei feste Ehrenamtliche gefunden werden.",
)
SYNTHESIS = (
    "Die eingeladenen Kommunen halten die Maßnahme für wirksam und übertragbar. "
    "Voraussetzungen: ein fester Raum, eine Koordination und Spenden für Ersatzteile."
)
CONFIRM_NOTE = "Im Austausch der Koordinierungsstellen besprochen; Kontakt hergestellt."


def with_origins(
    codes: list[str], practices: list[PracticeDocument], practice_id: Callable[[str], str]
) -> list[PracticeDocument]:
    """The practices, those of :data:`ADOPTIONS` naming their origin when it is published."""
    out = []
    for code, practice in zip(codes, practices, strict=True):
        origin_code = ADOPTIONS.get(code)
        origin = learning.origin(practice_id(origin_code)) if origin_code else None
        if origin is not None:
            practice = PracticeDocument(**practice)
            practice["adopted_from"] = {
                "practice": origin.practice_id,
                "municipality": origin.municipality_key,
            }
        out.append(practice)
    return out


def seed(
    admin: User,
    reporters: dict[str, int],
    practice_id: Callable[[str], str],
) -> None:
    """Validations, a peer review and a confirmed suggestion (once: skipped when any exist)."""
    if db.session.scalar(select(PracticeValidation.id).limit(1)) is not None:
        return
    rubric = content.rubric()
    marks = {
        c.code: MarkIn(mark=max(rubric.mark_values) - (i % 2), note="In der Quelle belegt.")
        for i, c in enumerate(rubric.criteria)
    }
    chosen = [practice_id(c) for c in VALIDATED if learning.origin(practice_id(c)) is not None]
    # a smaller register (tests) lacks them: the first published practices instead
    chosen = chosen or [v.practice_id for v in published.latest()[:3]]
    for pid in chosen:
        validation.validate(admin, pid, marks, JUSTIFICATION, "validated")
    host = practice_id(PEER_REVIEWED)
    _peer_review(admin, reporters, host if learning.origin(host) else chosen[0] if chosen else "")
    _confirm_one(admin)


def _peer_review(admin: User, reporters: dict[str, int], host_id: str) -> None:
    host = learning.origin(host_id) if host_id else None
    if host is None or db.session.scalar(select(PeerReview.id).limit(1)) is not None:
        return
    peers = [k for k in sorted(reporters) if k != host.municipality_key][:2]
    review = peer_review.open_review(admin, host_id, peers)
    for key in peers:
        reporter = db.session.get(User, reporters[key])
        if reporter is not None:
            peer_review.answer(reporter, review.id, *ANSWERS)
    peer_review.publish_synthesis(admin, review.id, SYNTHESIS)


def _confirm_one(admin: User) -> None:
    """Confirm the best transfer suggestion (else any suggestion) of the newest cycle that
    has one."""
    if db.session.scalar(select(SynergyJudgement.id).limit(1)) is not None:
        return
    newest = sorted(
        db.session.scalars(select(Cycle)), key=lambda c: (c.period_end, c.code), reverse=True
    )
    for cycle in newest:
        found = judgements.view(cycle, "")
        best = [s for s in found if s.kind == "transfer"] or found
        if not best:
            continue
        s = best[0]
        judgements.judge(
            admin, cycle, s.kind, s.a["id"], s.b["id"], s.subject, "confirmed", CONFIRM_NOTE
        )
        log.info(
            "demo: confirmed %s suggestion %s / %s in %s", s.kind, s.a["id"], s.b["id"], cycle.code
        )
        return
