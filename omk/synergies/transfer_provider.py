"""Transfer suggestions: municipality A has a coverage gap for a recommendation where a
nearby or structurally similar municipality B has a validated or well-evidenced practice.

* **Gap**: :mod:`omk.compare.coverage` over the cycle's published practices, all of Germany
  (so the same suggestion is made whichever region is viewed; the region only filters).
* **Nearby**: great-circle distance between the register's positions (a Kreis: the
  population-weighted centroid of its Gemeinden) of at most :data:`NEARBY_KM`.
* **Structurally similar**: the standardised distance on log population and log density of
  :mod:`omk.compare.peers` (over the cycle's members) of at most :data:`SIMILAR_STRUCTURE`.
* **Evidence**: B's practice serving the recommendation is validated as good practice, or its
  candidate score (:mod:`omk.synergies.candidates`) is at least :data:`WELL_EVIDENCED`.

Ranked validated first, then by candidate score, then by distance; at most
:data:`PER_GAP` suggestions per gap. ``a`` is the municipality with the gap, ``b`` the one
with the practice, ``practice_id`` that practice; the subject is "<code>:<practice id>".
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from flask_babel import get_locale
from flask_babel import gettext as _

from omk.compare import coverage as rules
from omk.compare import peers
from omk.compare.definitions import comparison_level
from omk.models.reporting import Cycle
from omk.services import coverage, register
from omk.synergies import candidates
from omk.synergies.partner_provider import names_of
from omk.synergies.suggestions import (
    Side,
    Suggestion,
    content_version,
    in_region,
    revision_version,
)
from omk.wording import quoted

NEARBY_KM = 50.0
SIMILAR_STRUCTURE = 0.75
WELL_EVIDENCED = 6
PER_GAP = 3


@dataclass(frozen=True)
class Match:
    """One practice of B for A's gap, with why it fits."""

    gap: str
    a: str
    b: str
    candidate: candidates.Candidate
    km: float | None
    structure: float | None

    @property
    def validated(self) -> bool:
        v = self.candidate.validation
        return v is not None and v.verdict == "validated"

    @property
    def nearby(self) -> bool:
        return self.km is not None and self.km <= NEARBY_KM

    @property
    def similar(self) -> bool:
        return self.structure is not None and self.structure <= SIMILAR_STRUCTURE

    @property
    def score(self) -> float:
        """Validated first (0.6), then the candidate score (up to 0.3), then closeness (up to
        0.01, less than one candidate point): a lexicographic order in one number."""
        c = self.candidate
        closeness = 1.0 / (1.0 + (self.km if self.km is not None else 1000.0) / 100.0)
        return round(
            (0.6 if self.validated else 0.0) + 0.3 * c.score / max(c.maximum, 1) + 0.01 * closeness,
            6,
        )


def matches(cycle: Cycle) -> list[Match]:
    """Every transfer of the cycle (all of Germany), best first."""
    members = coverage.members(cycle, "")
    if len(members) < 2:
        return []
    content = current_app.extensions["omk_content"]
    dimension = rules.Dimension.RECOMMENDATIONS
    matrix = rules.build(
        [
            rules.Member(m.key, str(comparison_level(m.level, m.is_kreisfrei) or m.level))
            for m in members
        ],
        coverage.facts(cycle, ""),
        dimension,
        coverage.columns(content, dimension),
    )
    if not any(matrix.gaps.values()):
        return []
    profiles = register.profiles(members)
    positions = {
        k: (p.lat, p.lon) for k, p in profiles.items() if p.lat is not None and p.lon is not None
    }
    structure = [peers.Candidate(m.key, m.population, m.area_km2) for m in members]
    by_key = {c.key: c for c in structure}
    scored = {c.version.practice_id: c for c in candidates.candidates("", cycle)}
    found: list[Match] = []
    for a, gaps in matrix.gaps.items():
        if not gaps:
            continue
        near = peers.distances(by_key[a], structure)
        for code in gaps:
            options = []
            for b in matrix.rows:
                cell = matrix.cells[b].get(code)
                if b == a or cell is None:
                    continue
                km = (
                    peers.great_circle_km(positions[a], positions[b])
                    if a in positions and b in positions
                    else None
                )
                for ref in cell.practices:
                    candidate = scored.get(ref.practice_id)
                    if candidate is None:
                        continue
                    match = Match(code, a, b, candidate, km, near.get(b))
                    if not (match.nearby or match.similar):
                        continue
                    if match.validated or candidate.score >= WELL_EVIDENCED:
                        options.append(match)
            options.sort(key=_order)
            found.extend(options[:PER_GAP])
    found.sort(key=_order)
    return found


def _order(m: Match) -> tuple[bool, int, float, str, str]:
    return (
        not m.validated,
        -m.candidate.score,
        m.km if m.km is not None else float("inf"),
        m.b,
        m.candidate.version.practice_id,
    )


class TransferProvider:
    """The ``transfer`` kind."""

    kind = "transfer"
    label = "Übertragungsvorschläge"

    def suggestions(self, cycle: Cycle, region: str) -> list[Suggestion]:
        found = [m for m in matches(cycle) if in_region((m.a, m.b), region)]
        labels = names_of({k for m in found for k in (m.a, m.b)})
        return [self._suggestion(m, labels) for m in found]

    def _suggestion(self, m: Match, labels: dict[str, str]) -> Suggestion:
        practice = m.candidate.version.practice
        why = []
        if m.km is not None:
            why.append(_("%(km)s km", km=f"{m.km:.0f}"))
        if m.similar:
            why.append(_("ähnliche Größe"))
        if m.validated:
            evidence = _("eine validierte Maßnahme")
        else:
            evidence = _(
                "eine gut belegte Maßnahme (Kandidatenwert %(score)s von %(maximum)s)",
                score=m.candidate.score,
                maximum=m.candidate.maximum,
            )
        locale = str(get_locale() or "de")
        taxonomy = current_app.extensions["omk_content"].taxonomy
        label = taxonomy.label("recommendations", m.gap, locale)
        recommendation = (
            _("die Empfehlung %(code)s (%(label)s)", code=m.gap, label=label)
            if label != m.gap
            else _("die Empfehlung %(code)s", code=m.gap)
        )
        explanation = _(
            "%(a)s setzt %(recommendation)s nicht um; %(b)s (%(why)s) hat dafür %(evidence)s: "
            "%(title)s.",
            a=labels[m.a],
            recommendation=recommendation,
            b=labels[m.b],
            why=", ".join(why),
            evidence=evidence,
            title=quoted(practice.title, locale),
        )
        return Suggestion(
            kind=self.kind,
            a=Side(type="municipality", id=m.a, label=labels[m.a]),
            b=Side(type="municipality", id=m.b, label=labels[m.b]),
            score=m.score,
            explanation=explanation,
            municipality_keys=(m.a, m.b),
            versions=(content_version(practice),),
            revisions=(revision_version(practice),),
            subject=f"{m.gap}:{practice.uuid}",
            practice_id=practice.uuid,
            terms=[m.gap],
            details=[(labels[m.b], [(practice.uuid, practice.title)])],
        )
