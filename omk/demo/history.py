"""Give the demo a plausible history: submissions around each closed cycle's deadline.

The demo builds its reports through the real workflow, so every timestamp is the moment
``omk demo`` ran – after the deadlines of the closed cycles. Participation figures (on time,
late; accounts that existed at the deadline) would then read "nobody on time". After the
reports of a cycle are built, this moves each new report's timestamps back as one block (the
order of its events is kept): most first submissions land in the weeks before the deadline,
about one in eight after it. Accounts the demo created are dated before the first deadline.
The audit log keeps the true times of the run.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select, update

from omk.demo.practices import _rng
from omk.extensions import db
from omk.models.accounts import User
from omk.models.reporting import Cycle, Report, ReviewComment, ReviewEvent, Revision
from omk.models.types import utcnow

#: The share of demo reports first submitted after the deadline.
LATE_SHARE = 0.125


def _deadline_end(cycle: Cycle) -> datetime:
    return datetime.combine(cycle.deadline + timedelta(days=1), time.min, tzinfo=UTC)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def backdate_accounts(user_ids: list[int], since: date, started: datetime) -> None:
    """Date the accounts the demo created in this run (``created_at >= started``) to ``since``."""
    moment = datetime.combine(since, time(9), tzinfo=UTC)
    db.session.execute(
        update(User)
        .where(User.id.in_(user_ids), User.created_at >= started)
        .values(created_at=moment)
    )
    db.session.commit()


def backdate_cycle(cycle: Cycle, seed: int, started: datetime) -> int:
    """Move the reports of ``cycle`` built in this run (``created_at >= started``) back so that
    their first submission falls around the deadline; returns how many were moved.

    Cycles whose deadline lies ahead are left as they are (a submission now is on time)."""
    end = _deadline_end(cycle)
    now = utcnow()
    if end > now:
        return 0
    firsts = db.session.execute(
        select(Report.id, Report.municipality_key, func.min(Revision.submitted_at))
        .join(Revision, Revision.report_id == Report.id)
        .where(Report.cycle_id == cycle.id, Report.created_at >= started)
        .group_by(Report.id, Report.municipality_key)
    ).all()
    for report_id, key, first in firsts:
        rng = _rng(seed, "history", cycle.code, key)
        if rng.random() < LATE_SHARE:
            target = end + timedelta(days=rng.randint(2, 40), hours=rng.randint(8, 16))
        else:
            target = end - timedelta(days=rng.randint(2, 70), hours=rng.randint(6, 14))
        delta = target - _aware(first)
        if delta >= timedelta(0):
            continue
        _shift(report_id, delta)
    db.session.commit()
    return len(firsts)


def _shift(report_id: int, delta: timedelta) -> None:
    """Move every timestamp of one report, its revisions and its review trail by ``delta``."""
    for model, columns, where in (
        (
            Report,
            ("created_at", "updated_at", "submitted_at", "accepted_at"),
            Report.id == report_id,
        ),
        (Revision, ("submitted_at", "decided_at"), Revision.report_id == report_id),
        (ReviewComment, ("created_at", "replied_at"), ReviewComment.report_id == report_id),
        (ReviewEvent, ("at",), ReviewEvent.report_id == report_id),
    ):
        rows = db.session.execute(
            select(model.id, *(getattr(model, c) for c in columns)).where(where)
        ).all()
        for row in rows:
            values = {c: _aware(v) + delta for c, v in zip(columns, row[1:], strict=True) if v}
            if values:
                db.session.execute(update(model).where(model.id == row[0]).values(**values))
