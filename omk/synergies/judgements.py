"""The judgement store for synergy suggestions of every kind: confirm or dismiss, with a note.

A judgement is stored with the judge's region (a reviewer's AGS prefix; '' for the operator)
and applies to the views of that region and the regions within it, so an operator's judgement
applies everywhere. Where several apply, the newest counts. A dismissed suggestion comes back
(as open, marked) only when the content of its practices changed since (its fingerprint): an
unchanged resubmission, or a practice carried unchanged into another cycle, keeps it dismissed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import select

from omk.errors import FieldError, NotFound, ValidationFailed
from omk.extensions import db
from omk.models.accounts import Role
from omk.models.reporting import Cycle
from omk.models.synergies import SynergyJudgement
from omk.models.types import utcnow
from omk.policy import SYSTEM, Action, authorize
from omk.services import audit
from omk.services.transaction import unit_of_work
from omk.synergies import cache, suggestions
from omk.synergies.suggestions import Suggestion

MAX_NOTE = 2000
JUDGED = ("confirmed", "dismissed", "open")


def region_of_judge(user: Any) -> str:
    """The region a user's judgement is stored for: a reviewer's scope, else '' (everywhere)."""
    if user is not SYSTEM and getattr(user, "role", None) == Role.REVIEWER:
        return str(user.scope or "")
    return ""


def applicable(judgements: Iterable[SynergyJudgement], region: str) -> SynergyJudgement | None:
    """The judgement that counts in the view of ``region``: the newest one stored for that
    region or a region containing it ('' contains all)."""
    fitting = [j for j in judgements if region.startswith(j.region)]
    return max(fitting, key=lambda j: (j.judged_at, j.id), default=None)


def _stored(kinds: Iterable[str]) -> dict[tuple[str, str, str, str], list[SynergyJudgement]]:
    stored: dict[tuple[str, str, str, str], list[SynergyJudgement]] = defaultdict(list)
    for j in db.session.scalars(select(SynergyJudgement).where(SynergyJudgement.kind.in_(kinds))):
        stored[(j.kind, j.a_id, j.b_id, j.subject)].append(j)
    return stored


def _judged(s: Suggestion, judgement: SynergyJudgement) -> Suggestion:
    """A copy of the suggestion with the judgement's status and note."""
    s = suggestions.copied(s, judged_region=judgement.region, note=judgement.note)
    if judgement.status == "dismissed" and not s.is_unchanged_since(judgement.fingerprint):
        s.status, s.was_dismissed = "open", True  # its practices changed: back again
    else:
        s.status = judgement.status
    return s


def view_by_kind(
    cycle: Cycle, region: str, kind: str | None = None
) -> dict[str, Sequence[Suggestion]]:
    """The suggestions of the cycle with a side in ``region``, judged, per kind: best first
    (by score, then labels), dismissed ones last (:func:`view_with_freshness`)."""
    return view_with_freshness(cycle, region, kind)[0]


def view_with_freshness(
    cycle: Cycle, region: str, kind: str | None = None
) -> tuple[dict[str, Sequence[Suggestion]], cache.Freshness]:
    """The suggestions of the cycle with a side in ``region``, judged, per kind: best first
    (by score, then labels), dismissed ones last; and how fresh they are.

    Made from the stored suggestions of each kind (:mod:`omk.synergies.cache`); shared: copy
    one before changing it (the judged ones are copies)."""
    state = cache.signature(cycle)
    chosen = [p for p in suggestions.providers() if kind is None or p.kind == kind]
    stored = _stored(p.kind for p in chosen)
    found: dict[str, Sequence[Suggestion]] = {}
    served = []
    for p in chosen:
        kept = cache.kept(p, cycle, region, state)
        served.append(kept)
        items = kept.items
        judged: dict[int, Suggestion] = {}
        for identity, judgements in stored.items():
            n = kept.find(identity) if identity[0] == p.kind else None
            judgement = applicable(judgements, region) if n is not None else None
            if n is not None and judgement is not None:
                judged[n] = _judged(items[n], judgement)
        found[p.kind] = cache.Reordered(items, judged) if judged else items
    return found, cache.freshness(served)


def view(cycle: Cycle, region: str, kind: str | None = None) -> list[Suggestion]:
    """The suggestions of the cycle with a side in ``region``, judged, best first: the kinds
    take turns (:func:`~omk.synergies.suggestions.ranked`), dismissed ones last."""
    return suggestions.interleaved(view_by_kind(cycle, region, kind))


def judge(
    user: Any,
    cycle: Cycle,
    kind: str,
    a_id: str,
    b_id: str,
    subject: str,
    status: str,
    note: str = "",
) -> SynergyJudgement:
    """Confirm or dismiss (or reopen) a current suggestion, for the judge's region; audited.

    Only a suggestion the provider makes now can be judged, and only by a reviewer whose
    region covers at least one side (or the operator)."""
    errors = []
    if status not in JUDGED:
        errors.append(FieldError("status", "Bitte „bestätigen“ oder „verwerfen“ wählen."))
    if len(note) > MAX_NOTE:
        errors.append(FieldError("note", "Die Notiz ist zu lang."))
    if kind not in suggestions.KINDS:
        errors.append(FieldError("kind", "Unbekannte Art von Vorschlag."))
    if errors:
        raise ValidationFailed(errors)
    with unit_of_work():
        suggestion = suggestions.find(cycle, kind, a_id, b_id, subject)
        if suggestion is None:
            raise NotFound("Diesen Vorschlag gibt es (nicht mehr).")
        authorize(Action.SYNERGY_JUDGE, suggestion, user=user)
        region = region_of_judge(user)
        row = db.session.scalar(
            select(SynergyJudgement)
            .where(
                SynergyJudgement.kind == kind,
                SynergyJudgement.a_id == a_id,
                SynergyJudgement.b_id == b_id,
                SynergyJudgement.subject == subject,
                SynergyJudgement.region == region,
            )
            .with_for_update()
        )
        before = row.status if row is not None else "open"
        if row is None:
            row = SynergyJudgement(
                kind=kind,
                a_type=suggestion.a["type"],
                a_id=a_id,
                b_type=suggestion.b["type"],
                b_id=b_id,
                subject=subject,
                region=region,
            )
            db.session.add(row)
        row.status = status
        row.note = note.strip()
        row.fingerprint = suggestion.fingerprint
        row.judged_by_id = getattr(user, "id", None)
        row.judged_at = utcnow()
        db.session.flush()
        audit.record(
            user,
            "synergy.judge",
            row,
            from_state=before,
            to_state=status,
            kind=kind,
            a=a_id,
            b=b_id,
            subject=subject,
            region=region,
            cycle=cycle.code,
        )
    return row
