"""Participation: who has not reported (reviewers' region, the operator; reporters their own)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, or_, select

from omk.compare.definitions import comparison_level
from omk.compare.peers import GroupKind
from omk.extensions import db
from omk.models.accounts import Role, User
from omk.models.register import Municipality
from omk.models.reporting import Cycle, Report
from omk.policy import Action, can
from omk.services import register
from omk.services.compare.groups import GroupSpec, Member, _member


@dataclass(frozen=True)
class NotReported:
    """A municipality expected to report in the cycle without a published report."""

    member: Member
    status: str  # "none" (nothing submitted), "submitted", "returned", "correction"


def own_participation_key(user: Any) -> str | None:
    """The register key of the municipality whose participation a reporter sees (its own,
    DOMAIN.md: who may see what); None for every other user."""
    if getattr(user, "role", None) != Role.REPORTER:
        return None
    key = getattr(user, "municipality_key", None)
    return key if key and can(user, Action.PARTICIPATION_READ, key) else None


def participation_scope(user: Any) -> str | None:
    """The AGS prefix in which ``user`` sees who has not reported (a region's reviewers, the
    operator everywhere); None: nowhere (a reporter sees only its own:
    :func:`own_participation_key`)."""
    if not can(user, Action.COMPARE_PARTICIPATION):
        return None
    if getattr(user, "role", None) == Role.ADMIN:
        return ""
    return getattr(user, "scope", None)


def not_reported(user: Any, cycle: Cycle, spec: GroupSpec) -> list[NotReported] | None:
    """Expected municipalities of the cycle in the user's region (and in the peer group's
    region, if it is one) without a published report; None if the user may not see this.

    Expected: in a region the cycle covers, with at least one reporter account (DOMAIN.md).
    A draft is never told apart from "nothing": only submitted and returned show.

    A reporter sees its own municipality only, whatever the group: listed when it is
    expected and has no published report in the cycle, else an empty list."""
    own = own_participation_key(user)
    scope = participation_scope(user) if own is None else own
    if scope is None:
        return None
    prefixes = [r.prefix for r in cycle.regions] or [""]
    covered = or_(*(Municipality.key.startswith(p, autoescape=True) for p in prefixes))
    reporters = select(User.municipality_key).where(
        User.role == Role.REPORTER, User.is_active.is_(True), User.municipality_key.is_not(None)
    )
    query = (
        select(Municipality, Report)
        .outerjoin(
            Report, and_(Report.municipality_key == Municipality.key, Report.cycle_id == cycle.id)
        )
        .where(
            Municipality.key.in_(reporters),
            Municipality.key == own if own else Municipality.key.startswith(scope, autoescape=True),
            covered,
            or_(Report.id.is_(None), Report.published_revision_id.is_(None)),
        )
        .order_by(Municipality.key)
    )
    if spec.kind == GroupKind.REGION and spec.region and own is None:
        query = query.where(Municipality.key.startswith(spec.region, autoescape=True))
    rows = list(db.session.execute(query).unique())
    display = register.display_names([m for m, _ in rows])
    out = []
    for m, report in rows:
        if own is None and spec.kind == GroupKind.NAMES and m.key not in spec.keys:
            continue
        if (
            own is None
            and spec.level is not None
            and comparison_level(m.level, m.is_kreisfrei) != spec.level
        ):
            continue
        status = "none"
        if report is not None and report.revision_count > 0:
            status = report.state if report.state in ("submitted", "returned") else "none"
        out.append(NotReported(_member(m, register.shown(display[m.key]), False), status))
    return out
