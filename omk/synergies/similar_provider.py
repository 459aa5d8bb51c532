"""Similar practices in different municipalities: the same need solved twice.

Read from the stored neighbours of :mod:`omk.services.similarity` (kept up to date through the
outbox after each publication and by ``omk similar sync``); nothing is computed while a
reviewer waits. A pair is shown once (the better of its two directions) when both practices
have a published version in the cycle, belong to different municipalities and to different
lineages, and neither names the other as its origin (``adopted_from``: that learning is
already recorded, in the learning network).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from flask_babel import gettext as _
from sqlalchemy import select

from omk.extensions import db
from omk.models.reporting import Cycle, Practice, Report
from omk.models.similarity import SimilarPractice
from omk.synergies.partner_provider import names_of
from omk.synergies.suggestions import Side, Suggestion, in_region, versions_by_id


class Published(NamedTuple):
    """What a pair needs of a practice's published version in the cycle (not the whole
    practice: a country's 80,000 took 700 MB)."""

    row_id: int
    practice_id: str  # lineage
    title: str
    adopted_from: str | None
    municipality_key: str


def published_in(cycle: Cycle) -> dict[str, Published]:
    """The published version of each practice in the cycle, by lineage (the first in the
    reports' order if a lineage had two)."""
    found: dict[str, Published] = {}
    for row in db.session.execute(
        select(
            Practice.id,
            Practice.uuid,
            Practice.title,
            Practice.adopted_from_practice,
            Report.municipality_key,
        )
        .join(Report, Practice.revision_id == Report.published_revision_id)
        .where(Report.cycle_id == cycle.id)
        .order_by(Practice.position, Practice.id)
    ):
        version = Published(*row)
        found.setdefault(version.practice_id, version)
    return found


@dataclass(frozen=True)
class Stored:
    """What a pair needs of its stored neighbour row (the better of its two directions)."""

    score: float
    terms: list[str]
    reasons: list[object]


def explanation(reasons: list[object]) -> str:
    """The stored reasons in words, translated, capitalised: "Gleiche Zielgruppe, gleiches
    Kriterium, gemeinsame Begriffe: …"."""
    parts = []
    for reason in reasons:
        if not isinstance(reason, list | tuple) or len(reason) != 2:
            continue
        message, params = reason
        parts.append(_(str(message)) % dict(params or {}))
    text = ", ".join(parts) or _("ähnlicher Inhalt")
    return text[:1].upper() + text[1:] + "."


class SimilarProvider:
    """The ``similar`` kind: ``a`` and ``b`` are practices (lineage ids, ``a`` < ``b``)."""

    kind = "similar"
    label = "Ähnliche Maßnahmen"

    def suggestions(self, cycle: Cycle, region: str) -> list[Suggestion]:
        latest = published_in(cycle)
        if len(latest) < 2:
            return []
        best: dict[tuple[str, str], Stored] = {}
        rows = db.session.execute(
            select(
                SimilarPractice.practice_id,
                SimilarPractice.other_id,
                SimilarPractice.score,
                SimilarPractice.terms,
                SimilarPractice.reasons,
            )
        )
        for practice_id, other_id, score, terms, reasons in rows:
            if practice_id not in latest or other_id not in latest:
                continue  # not (or no longer) published in this cycle
            if practice_id == other_id:
                continue  # one lineage
            pair = (min(practice_id, other_id), max(practice_id, other_id))
            kept = best.get(pair)
            if kept is None or score > kept.score:
                best[pair] = Stored(float(score), list(terms or []), list(reasons or []))
        pairs = []
        for (a, b), row in best.items():
            va, vb = latest[a], latest[b]
            if va.municipality_key == vb.municipality_key:
                continue
            if b == va.adopted_from or a == vb.adopted_from:
                continue
            if not in_region((va.municipality_key, vb.municipality_key), region):
                continue
            pairs.append((va, vb, row))
        labels = names_of({v.municipality_key for va, vb, _row in pairs for v in (va, vb)})
        versions = versions_by_id(v.row_id for va, vb, _row in pairs for v in (va, vb))
        return [self._suggestion(va, vb, row, labels, versions) for va, vb, row in pairs]

    def explain(self, suggestion: Suggestion) -> str:
        reasons = suggestion.reason
        return explanation(reasons if isinstance(reasons, list) else [])

    def _suggestion(
        self,
        va: Published,
        vb: Published,
        row: Stored,
        labels: dict[str, str],
        versions: dict[int, tuple[str, str]],
    ) -> Suggestion:
        name_a, name_b = labels[va.municipality_key], labels[vb.municipality_key]
        a = Side(type="practice", id=va.practice_id, label=f"{va.title} ({name_a})")
        b = Side(type="practice", id=vb.practice_id, label=f"{vb.title} ({name_b})")
        return Suggestion(
            kind=self.kind,
            a=a,
            b=b,
            score=round(row.score, 4),
            reason=row.reasons,
            municipality_keys=(va.municipality_key, vb.municipality_key),
            versions=(versions[va.row_id][0], versions[vb.row_id][0]),
            revisions=(versions[va.row_id][1], versions[vb.row_id][1]),
            terms=[str(t) for t in row.terms],
            details=[
                (name_a, [(va.practice_id, va.title)]),
                (name_b, [(vb.practice_id, vb.title)]),
            ],
        )
