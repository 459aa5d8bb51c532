"""The explainable candidate score: which published practices to validate first.

Every component is shown with its points and where they came from; nothing else counts:

=====================  ======  ===============================================================
component              points  from
=====================  ======  ===============================================================
results with figures   0–3     the ``outcomes`` text: 3 with figures, 1 in words only
sustained              0–3     the cycles the practice was published in: 2 for two, 3 for more
transferability        0–2     the ``transferability`` text: 2 from 200 characters, else 1
sources                0–2     the ``sources`` links: 1 each, at most 2
adopted by others      0–4     published practices of other municipalities naming it in
                               ``adopted_from``: 2 each, at most 4
peer review            0–5     published peer reviews: 2 for the synthesis, 1 per peer
                               municipality's answers, at most 5
=====================  ======  ===============================================================
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from omk.extensions import db
from omk.models.reporting import Cycle
from omk.models.synergies import PeerReview, PracticeValidation
from omk.synergies import published, validation
from omk.synergies.partner_provider import names_of

_FIGURE = re.compile(r"\d")
LONG_TRANSFERABILITY = 200


@dataclass(frozen=True)
class Component:
    """One part of the score: what, how many points of how many, and from where."""

    code: str
    label: str
    points: int
    maximum: int
    source: str


@dataclass
class Candidate:
    """A published practice with its score, components and validation state."""

    version: published.Version
    components: list[Component] = field(default_factory=list)
    validation: PracticeValidation | None = None

    @property
    def score(self) -> int:
        return sum(c.points for c in self.components)

    @property
    def maximum(self) -> int:
        return sum(c.maximum for c in self.components)


def _results(text: str) -> Component:
    label = _("Ergebnisse mit Zahlen")
    if not text.strip():
        return Component("results", label, 0, 3, _("Feld „Ergebnisse“ ist leer."))
    if _FIGURE.search(text):
        return Component("results", label, 3, 3, _("Feld „Ergebnisse“ nennt Zahlen."))
    return Component("results", label, 1, 3, _("Feld „Ergebnisse“ beschreibt sie ohne Zahlen."))


def _sustained(cycles: Sequence[str]) -> Component:
    label = _("Über mehrere Runden fortgeführt")
    points = 0 if len(cycles) < 2 else (2 if len(cycles) == 2 else 3)
    return Component(
        "sustained",
        label,
        points,
        3,
        _("Veröffentlicht in den Runden: %(cycles)s", cycles=", ".join(cycles) or "–"),
    )


def _transferability(text: str) -> Component:
    label = _("Übertragbarkeit beschrieben")
    n = len(text.strip())
    points = 0 if n == 0 else (2 if n >= LONG_TRANSFERABILITY else 1)
    return Component(
        "transferability",
        label,
        points,
        2,
        _("Feld „Übertragbarkeit“: %(n)s Zeichen", n=n),
    )


def _sources(links: Sequence[str]) -> Component:
    hosts = [urlsplit(link).hostname or link for link in links]
    return Component(
        "sources",
        _("Quellen angegeben"),
        min(2, len(links)),
        2,
        _("Feld „Quellen“: %(hosts)s", hosts=", ".join(hosts) or "–"),
    )


def _adopted(adopters: Sequence[published.Version], names: dict[str, str]) -> Component:
    # "; " between names: a name may hold a comma ("Kiel, Landeshauptstadt")
    shown = "; ".join(sorted({names.get(v.municipality_key, v.municipality_key) for v in adopters}))
    return Component(
        "adopted",
        _("Von anderen übernommen"),
        min(4, 2 * len({v.municipality_key for v in adopters})),
        4,
        (
            _("Übernommen in: %(names)s", names=shown)
            if shown
            else _("Von keiner anderen Kommune übernommen")
        ),
    )


def _peer(reviews: Sequence[PeerReview]) -> Component:
    points = sum(2 + len(r.comments) for r in reviews)
    if reviews:
        answers = sum(len(r.comments) for r in reviews)
        source = _(
            "%(reviews)s mit %(answers)s",
            reviews=ngettext(
                "%(num)s veröffentlichte Peer Review",
                "%(num)s veröffentlichte Peer Reviews",
                len(reviews),
            ),
            answers=ngettext("%(num)s Antwort", "%(num)s Antworten", answers),
        )
    else:
        source = _("Keine veröffentlichte Peer Review")
    return Component("peer_review", _("In Peer Review bestätigt"), min(5, points), 5, source)


def candidates(region: str = "", cycle: Cycle | None = None) -> list[Candidate]:
    """The published practices of the region (newest version of each; of one cycle if
    given), scored, best first."""
    latest = published.latest(region, cycle)
    ids = [v.practice_id for v in latest]
    if not ids:
        return []
    cycles = published.cycles_of(ids)
    adopters = published.adopters_of(ids)
    adopters = {
        pid: [v for v in found if v.municipality_key != _owner(latest, pid)]
        for pid, found in adopters.items()
    }
    reviews: dict[str, list[PeerReview]] = {}
    for review in db.session.scalars(
        select(PeerReview)
        .where(PeerReview.practice_id.in_(ids), PeerReview.status == "published")
        .options(selectinload(PeerReview.comments))
    ):
        reviews.setdefault(review.practice_id, []).append(review)
    names = names_of({v.municipality_key for found in adopters.values() for v in found})
    validations = validation.current(ids)
    found = []
    for v in latest:
        p = v.practice
        found.append(
            Candidate(
                v,
                [
                    _results(p.outcomes or ""),
                    _sustained(cycles.get(p.uuid, [])),
                    _transferability(p.transferability or ""),
                    _sources(p.sources or []),
                    _adopted(adopters.get(p.uuid, []), names),
                    _peer(reviews.get(p.uuid, [])),
                ],
                validations.get(p.uuid),
            )
        )
    found.sort(key=lambda c: (-c.score, c.version.practice.title))
    return found


def _owner(latest: Sequence[published.Version], practice_id: str) -> str:
    return next((v.municipality_key for v in latest if v.practice_id == practice_id), "")


def score_of(practice_id: str) -> Candidate | None:
    """One practice's candidate score (its newest published version)."""
    versions = published.latest(practice_ids=[practice_id])
    if not versions:
        return None
    key = versions[0].municipality_key
    return next(
        (c for c in candidates(key) if c.version.practice_id == practice_id),
        None,
    )
