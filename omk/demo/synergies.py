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
#: A reviewer's justification and marks per validated practice (rubric criterion → mark,
#: note), written from the practice's own text; a practice not listed (a smaller register in
#: tests) gets :data:`JUSTIFICATION` and the generic marks.
JUSTIFICATION = (
    "Klare Ziele, belegte Ergebnisse und eine Beschreibung, mit der andere Kommunen die "
    "Maßnahme übernehmen können."
)
VALIDATIONS: dict[str, tuple[str, dict[str, tuple[int, str]]]] = {
    "d083": (
        "Mit wenig Geld und wenigen Ehrenamtlichen macht die Werkstatt Geflüchtete in einer "
        "ländlichen Region mobil; mehr als 50 abgegebene Räder sind belegt, und die "
        "Beschreibung nennt, was eine andere Kommune braucht: einen Raum, Spenden, zwei bis "
        "drei handwerklich versierte Helfer.",
        {
            "ergebnisse": (2, "Über 50 Räder belegt; keine Zahlen zur Nutzung danach."),
            "uebertragbarkeit": (3, "Raum, Spenden und Helferzahl sind genannt."),
            "ziele": (3, "Mobilität für Geflüchtete auf dem Land."),
            "evaluiert_innovativ": (1, "Nicht evaluiert; bekannter Ansatz."),
            "wirksamkeit": (2, "Räder werden genutzt; Grenzen bei großen Reparaturen."),
            "zielbeitrag": (3, "Ehrenamt und Teilhabe, wie die Runde es verlangt."),
        },
    ),
    "d035": (
        "Ein großer, geschulter Dolmetscherpool mit fast 5.000 Einsätzen im Jahr und klaren "
        "Qualitätsstandards; die Grenzen (keine rechtlich oder medizinisch heiklen Gespräche) "
        "sind offen benannt.",
        {
            "ergebnisse": (3, "Knapp 5.000 Einsätze, 62 Dolmetscher, 32 Sprachräume."),
            "uebertragbarkeit": (3, "Träger, Schulung, Ausweis und Förderung beschrieben."),
            "ziele": (3, "Verständigung bei Behörden und Ärzten."),
            "evaluiert_innovativ": (2, "Einsatzstatistik über Jahre; keine externe Evaluation."),
            "wirksamkeit": (3, "Steigende Nachfrage, von Behörden genutzt."),
            "zielbeitrag": (2, "Dient der Teilhabe; Bezug zur Runde indirekt."),
        },
    ),
    "d096": (
        "Hat in der Akutphase 2015 rund 2.500 Geflüchtete ohne Krankenschein ärztlich "
        "versorgt; als gute Praxis für Notlagen, mit dem Hinweis, dass der Übergang in die "
        "Regelversorgung geplant sein muss.",
        {
            "ergebnisse": (3, "2.500 Betreute, 90 Ärztinnen und Ärzte beteiligt."),
            "uebertragbarkeit": (2, "Setzt ein ärztliches Netzwerk vor Ort voraus."),
            "ziele": (2, "Grundversorgung in Unterkünften; Dauer offen."),
            "evaluiert_innovativ": (2, "Neu in seiner Zeit; nicht evaluiert."),
            "wirksamkeit": (3, "Versorgung in der Akutphase gesichert."),
            "zielbeitrag": (1, "Gesundheit ist nicht Schwerpunkt der Runde."),
        },
    ),
}
#: Two invited municipalities answer the peer review differently (the three questions).
ANSWERS = (
    (
        "Ja: die Zahlen zu Teilnehmenden und Reparaturen sind nachvollziehbar belegt.",
        "Sie dient dem Ziel der Runde, Ehrenamt und Teilhabe zu verbinden.",
        "Übertragbar, wenn ein Raum und zwei feste Ehrenamtliche gefunden werden.",
    ),
    (
        "Für Orte ohne Busverbindung am Abend ja; in der Stadt bringt ein Fahrrad weniger.",
        "Teilweise: sie stärkt das Ehrenamt, der Bezug zur Arbeitsaufnahme fehlt noch.",
        "Bei uns nur mit einem Träger, der die Haftung für verkehrssichere Räder übernimmt.",
    ),
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
    generic = {
        c.code: MarkIn(mark=max(rubric.mark_values) - (i % 2), note="In der Quelle belegt.")
        for i, c in enumerate(rubric.criteria)
    }
    chosen = {practice_id(c): c for c in VALIDATED if learning.origin(practice_id(c)) is not None}
    # a smaller register (tests) lacks them: the first published practices instead
    chosen = chosen or {v.practice_id: "" for v in published.latest()[:3]}
    for pid, code in chosen.items():
        justification, marks = JUSTIFICATION, generic
        if code in VALIDATIONS:
            justification, given = VALIDATIONS[code]
            marks = {
                c.code: MarkIn(mark=given[c.code][0], note=given[c.code][1])
                for c in rubric.criteria
            }
        validation.validate(admin, pid, marks, justification, "validated")
    host = practice_id(PEER_REVIEWED)
    first = next(iter(chosen), "")
    _peer_review(admin, reporters, host if learning.origin(host) else first)
    _confirm_one(admin)


def _peer_review(admin: User, reporters: dict[str, int], host_id: str) -> None:
    host = learning.origin(host_id) if host_id else None
    if host is None or db.session.scalar(select(PeerReview.id).limit(1)) is not None:
        return
    peers = [k for k in sorted(reporters) if k != host.municipality_key][:2]
    review = peer_review.open_review(admin, host_id, peers)
    for key, answers in zip(peers, ANSWERS, strict=False):
        reporter = db.session.get(User, reporters[key])
        if reporter is not None:
            peer_review.answer(reporter, review.id, *answers)
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
