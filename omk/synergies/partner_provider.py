"""Shared partners: organisations named by published practices of several municipalities in
one cycle, and, apart, local branches of one federation (``omk.synergies.partners``); names
that identify no organisation are read from ``content/synergies/partner_names.yaml``."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from omk.compare.names import DisplayName
from omk.extensions import db
from omk.models.register import Municipality
from omk.models.reporting import Cycle, Practice, Report
from omk.services import register
from omk.synergies import content, partners
from omk.synergies.suggestions import Side, Suggestion, in_region, versions_of

#: Practices read at a time for :func:`partner_uses`: only their organisations and versions
#: are kept, so a country's practices (80,000 at 10,000 municipalities) never sit in memory
#: together (they took 740 MB).
USES_CHUNK = 2_000


def partner_uses(cycle: Cycle) -> list[partners.PartnerUse]:
    """Every organisation named by a practice of the cycle's published reports, by practice
    and the actors' order."""
    owners = dict(
        db.session.execute(
            select(Practice.id, Report.municipality_key)
            .join(Report, Practice.revision_id == Report.published_revision_id)
            .where(Report.cycle_id == cycle.id)
            .order_by(Practice.id)
        ).all()
    )
    ids = list(owners)
    uses: list[partners.PartnerUse] = []
    for start in range(0, len(ids), USES_CHUNK):
        practices = db.session.scalars(
            select(Practice)
            .where(Practice.id.in_(ids[start : start + USES_CHUNK]))
            .options(selectinload(Practice.actors))
            .order_by(Practice.id)
        ).all()
        versions = versions_of(practices)
        uses.extend(
            partners.PartnerUse(
                actor.name,
                owners[practice.id],
                practice.uuid,
                practice.title,
                *versions[practice.id],
            )
            for practice in practices
            for actor in practice.actors
        )
    return uses


def display_names_of(keys: set[str]) -> dict[str, DisplayName]:
    """The display names of the register keys that exist."""
    entries = db.session.scalars(select(Municipality).where(Municipality.key.in_(keys))).all()
    return register.display_names(entries)


def names_of(keys: set[str]) -> dict[str, str]:
    """Names shown to people for register keys, in the reader's language (an unknown key as
    it is)."""
    shown = display_names_of(keys)
    return {k: register.shown(shown[k]) if k in shown else k for k in keys}


def positions(keys: list[str]) -> dict[str, tuple[float, float]]:
    """The register's position (latitude, longitude) of each key that has one."""
    entries = db.session.scalars(select(Municipality).where(Municipality.key.in_(keys))).all()
    return {
        key: (p.lat, p.lon)
        for key, p in register.profiles(entries).items()
        if p.lat is not None and p.lon is not None
    }


def _practices(count: int) -> str:
    """ "1 Maßnahme", "2 Maßnahmen"."""
    return str(ngettext("%(num)s Maßnahme", "%(num)s Maßnahmen", count))


class PartnerProvider:
    """The ``partner`` kind: one suggestion per pair of municipalities and organisation (or
    federation); ``a`` and ``b`` are the municipalities, the subject names the partner."""

    kind = "partner"
    label = "Gemeinsame Partner"

    def suggestions(self, cycle: Cycle, region: str) -> list[Suggestion]:
        uses = partner_uses(cycle)
        shared = [
            s
            for s in partners.shared_partners(
                uses,
                content.federations(),
                content.partner_names(),
                positions(sorted({u.municipality_key for u in uses})),
            )
            if in_region((s.a, s.b), region)
        ]
        labels = names_of({k for s in shared for k in (s.a, s.b)})
        # each pair let go once it is a suggestion: 400,000 of both at once took 400 MB more
        shared.reverse()
        made: list[Suggestion] = []
        while shared:
            made.append(self._suggestion(shared.pop(), labels))
        return made

    def _suggestion(self, s: partners.SharedPartner, labels: dict[str, str]) -> Suggestion:
        a = Side(type="municipality", id=s.a, label=labels[s.a])
        b = Side(type="municipality", id=s.b, label=labels[s.b])
        if s.relation == "organisation":
            reason: dict[str, object] = {}
            score = min(1.0, 0.5 + 0.1 * s.practice_count)
        else:
            reason = {"names_a": s.names_a, "names_b": s.names_b, "km": s.km}
            score = min(0.5, 0.2 + 0.05 * s.practice_count)
        return Suggestion(
            kind=self.kind,
            a=a,
            b=b,
            score=round(score, 4),
            # the facts :meth:`explain` words besides the suggestion's own: the partner is
            # ``terms[0]``, its practices on each side are ``details``
            reason=reason,
            municipality_keys=(s.a, s.b),
            versions=tuple(s.versions),
            revisions=tuple(s.revisions),
            subject=f"{s.relation}:{s.key}",
            terms=[s.label],
            group=s.relation,
            details=[(a["label"], s.practices_a), (b["label"], s.practices_b)],
        )

    def explain(self, suggestion: Suggestion) -> str:
        facts = suggestion.reason if isinstance(suggestion.reason, dict) else {}
        label = suggestion.terms[0] if suggestion.terms else ""
        a, b = suggestion.a["label"], suggestion.b["label"]
        if suggestion.group == "organisation":
            n_a, n_b = (len(practices) for _side, practices in suggestion.details[:2])
            return str(
                _(
                    "%(organisation)s ist Partner in %(a)s (%(n_a)s) und in %(b)s (%(n_b)s): "
                    "Erfahrungen, Material oder Verträge lassen sich teilen.",
                    organisation=label,
                    a=a,
                    b=b,
                    n_a=_practices(n_a),
                    n_b=_practices(n_b),
                )
            )
        explanation = str(
            _(
                "Zwei Gliederungen des Verbands %(federation)s: %(names_a)s in %(a)s und "
                "%(names_b)s in %(b)s. Es sind eigenständige Organisationen; sie können "
                "Erfahrungen und Material austauschen.",
                federation=label,
                names_a=", ".join(facts.get("names_a") or ()),
                names_b=", ".join(facts.get("names_b") or ()),
                a=a,
                b=b,
            )
        )
        if facts.get("km") is not None:
            explanation += " " + _("Entfernung: %(km)s km.", km=f"{facts['km']:.0f}")
        return explanation
