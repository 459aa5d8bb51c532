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

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from flask import current_app
from flask_babel import get_locale
from flask_babel import gettext as _

from omk.compare import coverage as rules
from omk.compare import peers
from omk.models.reporting import Cycle
from omk.services import coverage, register
from omk.synergies import candidates
from omk.synergies.partner_provider import names_of
from omk.synergies.suggestions import Side, Suggestion, in_region, versions_of
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
        coverage.rule_members(members),
        coverage.facts(cycle, ""),
        dimension,
        coverage.columns(content, dimension),
        rural_only=coverage.rural_only(content),
    )
    if not any(matrix.gaps.values()):
        return []
    profiles = register.profiles(members)
    positions = {
        k: (p.lat, p.lon) for k, p in profiles.items() if p.lat is not None and p.lon is not None
    }
    structure = [peers.Candidate(m.key, m.population, m.area_km2) for m in members]
    scored = {c.version.practice_id: c for c in candidates.candidates("", cycle)}
    return select_matches(matrix, positions, structure, scored)


def select_matches(
    matrix: rules.Matrix,
    positions: Mapping[str, tuple[float, float]],
    structure: Sequence[peers.Candidate],
    scored: Mapping[str, candidates.Candidate],
) -> list[Match]:
    """For every gap of every member, the :data:`PER_GAP` best practices of other members
    that are nearby or structurally similar and validated or well evidenced; best first.

    The same as comparing every member with every other one, without doing so: distances
    and structural distances of one member to all others are computed at once (numpy), and
    per gap only the options that can be among the best are looked at exactly (the
    register's positions, :func:`omk.compare.peers.great_circle_km` and
    :func:`omk.compare.peers.distances`' scale); should the exact check drop one of them,
    every option of that gap is looked at exactly."""
    keys = list(matrix.rows)
    index = {k: i for i, k in enumerate(keys)}
    by_key = {c.key: c for c in structure}
    features = {k: by_key[k].features if k in by_key else None for k in keys}
    placed = [f for f in features.values() if f is not None]
    scale = (
        (peers.spread([f[0] for f in placed]), peers.spread([f[1] for f in placed]))
        if placed
        else (1.0, 1.0)
    )
    lat, lon = np.full(len(keys), np.nan), np.full(len(keys), np.nan)
    pop, den = np.full(len(keys), np.nan), np.full(len(keys), np.nan)
    for i, k in enumerate(keys):
        if k in positions:
            lat[i], lon[i] = positions[k]
        f = features[k]
        if f is not None:
            pop[i], den[i] = f
    rad_lat, rad_lon = np.radians(lat), np.radians(lon)
    # per code: the options (member index, candidate) and their rank without the distance
    options: dict[str, list[tuple[int, candidates.Candidate]]] = {}
    for b in keys:
        for code, cell in matrix.cells[b].items():
            for ref in cell.practices:
                candidate = scored.get(ref.practice_id)
                if candidate is not None and (
                    _validated(candidate) or candidate.score >= WELL_EVIDENCED
                ):
                    options.setdefault(code, []).append((index[b], candidate))
    arrays = {
        code: (
            np.array([i for i, _c in found], dtype=np.int64),
            np.array([(0 if _validated(c) else 1) * 1000 - c.score for i, c in found], dtype=float),
        )
        for code, found in options.items()
    }

    def exactly(a: str, code: str, chosen: np.ndarray) -> list[Match]:
        return _exact(
            a, code, chosen, arrays[code][0], options[code], keys, positions, features, scale
        )

    found_all: list[Match] = []
    for a, gaps in matrix.gaps.items():
        if not gaps:
            continue
        i = index[a]
        with np.errstate(invalid="ignore"):
            h = (
                np.sin((rad_lat - rad_lat[i]) / 2) ** 2
                + np.cos(rad_lat[i]) * np.cos(rad_lat) * np.sin((rad_lon - rad_lon[i]) / 2) ** 2
            )
            km = 2 * 6371.0 * np.arcsin(np.minimum(1.0, np.sqrt(h)))
            apart = np.hypot((pop - pop[i]) / scale[0], (den - den[i]) / scale[1])
            near_enough = (km <= NEARBY_KM + _SLACK) | (apart <= SIMILAR_STRUCTURE + _SLACK)
        near_enough[i] = False
        ordering_km = np.where(np.isnan(km), _NO_KM, km)
        for code in gaps:
            if code not in arrays:
                continue
            members, tier = arrays[code]
            shown = np.flatnonzero(near_enough[members])
            if not shown.size:
                continue
            rank = tier[shown] * _TIER + ordering_km[members[shown]]
            chosen = shown
            if shown.size > PER_GAP:
                cut = np.partition(rank, PER_GAP - 1)[PER_GAP - 1]
                chosen = shown[rank <= cut + _SLACK]
            exact = exactly(a, code, chosen)
            if len(exact) < chosen.size:  # the exact check dropped one: look at every option
                exact = exactly(a, code, shown)
            exact.sort(key=_order)
            found_all.extend(exact[:PER_GAP])
    found_all.sort(key=_order)
    return found_all


_SLACK = 1e-5  # km or standard deviations: the numpy prefilter lets borderline options through
_NO_KM = 1e5  # a distance beyond any in Germany, for a member without a position
_TIER = 1e6  # one step of the rank without distance, in km


def _validated(candidate: candidates.Candidate) -> bool:
    v = candidate.validation
    return v is not None and v.verdict == "validated"


def _exact(
    a: str,
    code: str,
    chosen: np.ndarray,
    members: np.ndarray,
    options: list[tuple[int, candidates.Candidate]],
    keys: list[str],
    positions: Mapping[str, tuple[float, float]],
    features: Mapping[str, tuple[float, float] | None],
    scale: tuple[float, float],
) -> list[Match]:
    """The options ``chosen`` (positions in ``options``) as matches for ``a``'s gap, each
    checked exactly as the provider defines nearby and similar."""
    own = features[a]
    found = []
    for j in chosen.tolist():
        b = keys[int(members[j])]
        km = (
            peers.great_circle_km(positions[a], positions[b])
            if a in positions and b in positions
            else None
        )
        f = features[b]
        apart = (
            math.hypot((f[0] - own[0]) / scale[0], (f[1] - own[1]) / scale[1])
            if own is not None and f is not None
            else None
        )
        match = Match(code, a, b, options[j][1], km, apart)
        if match.nearby or match.similar:
            found.append(match)
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
        versions = versions_of(m.candidate.version.practice for m in found)
        return [self._suggestion(m, labels, versions) for m in found]

    def _suggestion(
        self, m: Match, labels: dict[str, str], versions: dict[int, tuple[str, str]]
    ) -> Suggestion:
        practice = m.candidate.version.practice
        return Suggestion(
            kind=self.kind,
            a=Side(type="municipality", id=m.a, label=labels[m.a]),
            b=Side(type="municipality", id=m.b, label=labels[m.b]),
            score=m.score,
            # the facts :meth:`explain` words; the gap is ``terms[0]``, the practice the
            # first of ``details``
            reason={
                "km": m.km,
                "similar": m.similar,
                "validated": m.validated,
                "score": m.candidate.score,
                "maximum": m.candidate.maximum,
            },
            municipality_keys=(m.a, m.b),
            versions=(versions[practice.id][0],),
            revisions=(versions[practice.id][1],),
            subject=f"{m.gap}:{practice.uuid}",
            practice_id=practice.uuid,
            terms=[m.gap],
            details=[(labels[m.b], [(practice.uuid, practice.title)])],
        )

    def explain(self, suggestion: Suggestion) -> str:
        """ "Kreis Borken setzt die Empfehlung B3 (…) nicht um; Kreis Steinfurt (42 km,
        ähnliche Größe) hat dafür eine validierte Maßnahme: „…“." """
        facts = suggestion.reason if isinstance(suggestion.reason, dict) else {}
        locale = str(get_locale() or "de")
        code = suggestion.terms[0] if suggestion.terms else ""
        label = current_app.extensions["omk_content"].taxonomy.label(
            "recommendations", code, locale
        )
        recommendation = (
            _("die Empfehlung %(code)s (%(label)s)", code=code, label=label)
            if label != code
            else _("die Empfehlung %(code)s", code=code)
        )
        why = []
        if facts.get("km") is not None:
            why.append(_("%(km)s km", km=f"{facts['km']:.0f}"))
        if facts.get("similar"):
            why.append(_("ähnliche Größe"))
        if facts.get("validated"):
            evidence = _("eine validierte Maßnahme")
        else:
            evidence = _(
                "eine gut belegte Maßnahme (Kandidatenwert %(score)s von %(maximum)s)",
                score=facts.get("score"),
                maximum=facts.get("maximum"),
            )
        title = suggestion.details[0][1][0][1] if suggestion.details else ""
        return str(
            _(
                "%(a)s setzt %(recommendation)s nicht um; %(b)s (%(why)s) hat dafür %(evidence)s: "
                "%(title)s.",
                a=suggestion.a["label"],
                recommendation=recommendation,
                b=suggestion.b["label"],
                why=", ".join(why),
                evidence=evidence,
                title=quoted(title, locale),
            )
        )
