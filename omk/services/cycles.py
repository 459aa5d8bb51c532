"""Reporting cycles: open and edit them, who is expected to report, who has not, reminders."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext
from sqlalchemy import Select, and_, or_, select

from omk.errors import FieldError, NotFound, ValidationFailed
from omk.extensions import db
from omk.messages import msg
from omk.models.accounts import Role, User
from omk.models.audit import AuditEntry
from omk.models.register import Level, Municipality
from omk.models.reporting import Cycle, CycleRegion, CycleStatus, Report, ReportState
from omk.policy import Action, Actor, authorize
from omk.services import audit
from omk.services.transaction import unit_of_work

log = logging.getLogger("omk.cycles")


def open_cycles() -> list[Cycle]:
    """Cycles currently open for reports, earliest deadline first."""
    return list(db.session.scalars(_open_cycles()))


def all_cycles() -> list[Cycle]:
    """Every cycle, newest period first."""
    return list(db.session.scalars(_all_cycles()))


# Built once: the start page and the reports page ask on every visit (building an ORM
# statement costs more CPU than running it).
@cache
def _open_cycles() -> Select[Cycle]:
    return select(Cycle).where(Cycle.status == CycleStatus.OPEN).order_by(Cycle.deadline)


@cache
def _all_cycles() -> Select[Cycle]:
    return select(Cycle).order_by(Cycle.period_start.desc(), Cycle.code)


def titles() -> tuple[tuple[str, str], ...]:
    """(code, title) of every cycle: a title changes without an outbox entry, so what is
    kept until the next publication and shows titles carries them in its key."""
    return tuple((code, title) for code, title in db.session.execute(_titles()))


@cache
def _titles() -> Select[str, str]:
    """Built once (building a statement costs more than running it)."""
    return select(Cycle.code, Cycle.title).order_by(Cycle.code)


def get_cycle(code: str) -> Cycle:
    cycle = db.session.scalar(select(Cycle).where(Cycle.code == code))
    if cycle is None:
        raise NotFound(msg("Die Berichtsrunde %(code)s gibt es nicht.", code=repr(code)))
    return cycle


#: A cycle code: it stands in URLs, download file names and workbooks, so ASCII only (a code like
#: "R日本" once broke every download of its workbooks). Cycles made before the rule keep their
#: code; downloads name files safely whatever it is (omk.downloads).
CODE_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,19}\Z")
CODE_RULE = lazy_gettext(
    "Der Code hat 1 bis 20 Zeichen: Buchstaben A–Z oder a–z (ohne Umlaute und ß), Ziffern "
    "und - _ . (am Anfang ein Buchstabe oder eine Ziffer), z. B. 2025 oder 2025-NRW."
)


def valid_code(code: str) -> bool:
    """Whether a text may be the code of a new cycle (see CODE_PATTERN)."""
    return CODE_PATTERN.match(code or "") is not None


def covers(cycle: Cycle, key: str) -> bool:
    """Whether the cycle's regions include the register key."""
    return any(key.startswith(prefix) for prefix in cycle.prefixes)


def _check_cycle(
    code: str,
    period_start: date,
    period_end: date,
    deadline: date,
    regions: list[str],
    template_version: str,
    *,
    existing: Cycle | None = None,
) -> list[FieldError]:
    errors: list[FieldError] = []
    content = current_app.extensions["omk_content"]
    if existing is None and not valid_code(code):  # the code of an existing cycle never changes
        errors.append(FieldError("code", str(CODE_RULE)))
    elif existing is None and db.session.scalar(select(Cycle.id).where(Cycle.code == code)):
        errors.append(
            FieldError("code", msg("Die Berichtsrunde %(code)s gibt es schon.", code=code))
        )
    if period_end < period_start:
        errors.append(FieldError("period_end", msg("Das Ende liegt vor dem Beginn des Zeitraums.")))
    if deadline < period_start:
        errors.append(FieldError("deadline", msg("Die Frist liegt vor dem Beginn des Zeitraums.")))
    if template_version not in content.templates:
        errors.append(
            FieldError(
                "template_version",
                msg(
                    "Unbekannte Vorlage %(template_version)s.",
                    template_version=repr(template_version),
                ),
            )
        )
    if not regions:
        errors.append(FieldError("regions", msg("Mindestens eine Region (AGS-Präfix) angeben.")))
    for prefix in regions:
        if prefix and (not prefix.isdigit() or db.session.get(Municipality, prefix) is None):
            errors.append(
                FieldError(
                    "regions",
                    msg("%(prefix)s ist kein Schlüssel des Verzeichnisses.", prefix=prefix),
                )
            )
    return errors


def create_cycle(
    actor: Actor | None,
    code: str,
    period_start: date,
    period_end: date,
    deadline: date,
    *,
    regions: list[str],
    title: str = "",
    objectives: str = "",
    template_version: str | None = None,
) -> Cycle:
    """Open a reporting cycle for the given regions ('' = all of Germany)."""
    content = current_app.extensions["omk_content"]
    template_version = template_version or content.current_template.version
    regions = sorted({r.strip() for r in regions})
    errors = _check_cycle(code, period_start, period_end, deadline, regions, template_version)
    if errors:
        raise ValidationFailed(errors)
    if actor is not None:
        for prefix in regions:
            authorize(Action.CYCLE_MANAGE, prefix, user=actor)
    with unit_of_work():
        cycle = Cycle(
            code=code,
            title=title.strip() or f"Berichtsrunde {code}",
            period_start=period_start,
            period_end=period_end,
            deadline=deadline,
            objectives=objectives,
            template_version=template_version,
            status=CycleStatus.OPEN,
            created_by_id=getattr(actor, "id", None),
            regions=[CycleRegion(prefix=p) for p in regions],
        )
        db.session.add(cycle)
        db.session.flush()
        audit.record(actor, "cycle.create", cycle, to_state="open", regions=regions)
    return cycle


def update_cycle(
    actor: Actor | None,
    cycle: Cycle,
    *,
    title: str,
    objectives: str,
    period_start: date,
    period_end: date,
    deadline: date,
    status: str,
) -> Cycle:
    """Change a cycle's texts, dates or status (open/closed); regions and template stay."""
    authorize(Action.CYCLE_MANAGE, cycle, user=actor)
    errors = _check_cycle(
        cycle.code,
        period_start,
        period_end,
        deadline,
        cycle.prefixes,
        cycle.template_version,
        existing=cycle,
    )
    if status not in set(CycleStatus):
        errors.append(FieldError("status", msg("Status: offen oder geschlossen.")))
    if errors:
        raise ValidationFailed(errors)
    with unit_of_work():
        before = cycle.status
        cycle.title, cycle.objectives = title.strip() or cycle.title, objectives
        cycle.period_start, cycle.period_end, cycle.deadline = period_start, period_end, deadline
        cycle.status = CycleStatus(status)
        audit.record(actor, "cycle.update", cycle, from_state=before, to_state=status)
    return cycle


def visible_cycles(user: Any, every: list[Cycle] | None = None) -> list[Cycle]:
    """Cycles a user sees: all for staff and admins; those touching its area for the others
    (of ``every``, when the caller has read :func:`all_cycles` already)."""
    cycles = all_cycles() if every is None else list(every)
    role = getattr(user, "role", None)
    if role == Role.REPORTER:
        return [c for c in cycles if covers(c, user.municipality_key or "-")]
    if role == Role.REVIEWER:
        scope = user.scope or "-"
        return [
            c for c in cycles if any(p.startswith(scope) or scope.startswith(p) for p in c.prefixes)
        ]
    return cycles


# --- who is expected ------------------------------------------------------------------------


def _region_filter(prefixes: list[str], column: Any) -> Any:
    return or_(*[column.startswith(p) for p in prefixes]) if prefixes else False


def expected_query(cycle: Cycle, within: str | None = None) -> Select[Any]:
    """Municipalities expected to report: in the cycle's regions, with a reporter account."""
    reporters = (
        select(User.municipality_key)
        .where(User.role == Role.REPORTER, User.is_active.is_(True))
        .scalar_subquery()
    )
    query = select(Municipality).where(
        Municipality.key.in_(reporters),
        Municipality.level.in_([Level.GEMEINDE.value, Level.KREIS.value]),
        _region_filter(cycle.prefixes, Municipality.key),
    )
    if within:
        query = query.where(Municipality.key.startswith(within))
    return query.order_by(Municipality.name)


@dataclass
class Standing:
    """Where one expected municipality stands in a cycle."""

    municipality: Municipality
    report: Report | None
    overdue: bool

    @property
    def has_submitted(self) -> bool:
        return self.report is not None and (
            self.report.revision_count > 0 and self.report.state != ReportState.RETURNED
        )


def standings(cycle: Cycle, within: str | None = None, today: date | None = None) -> list[Standing]:
    """Every expected municipality with its report (if any) and whether it is overdue."""
    today = today or date.today()
    municipalities = list(db.session.scalars(expected_query(cycle, within)))
    reports = {
        r.municipality_key: r
        for r in db.session.scalars(
            select(Report).where(
                Report.cycle_id == cycle.id,
                Report.municipality_key.in_([m.key for m in municipalities]),
            )
        )
    }
    result = []
    for m in municipalities:
        report = reports.get(m.key)
        done = report is not None and report.state in (ReportState.SUBMITTED, ReportState.ACCEPTED)
        result.append(Standing(m, report, overdue=not done and today > cycle.deadline))
    return result


def is_overdue(report: Report, today: date | None = None) -> bool:
    """A report not submitted or accepted after its cycle's deadline."""
    today = today or date.today()
    return (
        report.state in (ReportState.DRAFT, ReportState.RETURNED) and today > report.cycle.deadline
    )


# --- reminders ----------------------------------------------------------------------------


def not_reported(rows: list[Standing]) -> list[Standing]:
    """The municipalities a reminder is for: nothing submitted or accepted."""
    return [
        s
        for s in rows
        if s.report is None or s.report.state not in (ReportState.SUBMITTED, ReportState.ACCEPTED)
    ]


def reminder_marker(cycle: Cycle, municipality: Municipality, today: date) -> str | None:
    """The audit marker of today's reminder to ``municipality`` in ``cycle``; None when it
    was reminded today already (at most one reminder a day)."""
    marker = f"{cycle.code}:{municipality.key}:{today.isoformat()}"
    already = db.session.scalar(
        select(AuditEntry.id).where(
            and_(AuditEntry.action == "reminder.sent", AuditEntry.object_id == marker)
        )
    )
    return None if already else marker


def send_reminders(
    days: int = 14, today: date | None = None
) -> list[tuple[Cycle, Municipality, int]]:
    """E-mail the reporters of every expected municipality that has not submitted, for open
    cycles whose deadline is within ``days`` (or passed); at most once a day per municipality.
    Returns (cycle, municipality, mails sent)."""
    from omk.services import notify

    today = today or date.today()
    sent: list[tuple[Cycle, Municipality, int]] = []
    for cycle in open_cycles():
        if cycle.deadline - today > timedelta(days=days):
            continue
        for standing in not_reported(standings(cycle, today=today)):
            marker = reminder_marker(cycle, standing.municipality, today)
            if marker is None:
                continue
            count = notify.reminder(cycle, standing.municipality, today)
            with unit_of_work():
                db.session.add(
                    AuditEntry(action="reminder.sent", object_type="reminder", object_id=marker)
                )
            sent.append((cycle, standing.municipality, count))
    log.info("reminders: %d municipalities", len(sent))
    return sent
