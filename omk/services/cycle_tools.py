"""A reviewer's tools on a cycle page: its standings as CSV, sorted and filtered, and a
reminder to the municipalities that have not reported, sent now (not only by cron).

The reminders keep the rule of ``omk reminders send`` (services/cycles.py): at most one a day
per municipality and cycle, recorded in the audit log as ``reminder.sent``; sending them is
audited too (``reminder.requested``: who, which cycle, which region, how many).
"""

from __future__ import annotations

import csv
import functools
import io
from collections.abc import Callable
from datetime import date
from typing import Any

from omk.extensions import db
from omk.models.audit import AuditEntry
from omk.models.register import Municipality
from omk.models.reporting import Cycle, ReportState
from omk.services import audit
from omk.services.cycles import Standing, not_reported, reminder_marker, standings
from omk.services.transaction import after_commit, lock, unit_of_work

#: The state filter's values: what a standing shows in the table's "Stand" column.
STATES = ("nicht_begonnen", "in_arbeit", "submitted", "returned", "accepted")
#: Orders of the standings table (query ``sortierung``).
ORDERS: dict[str, Callable[[Standing], Any]] = {
    "kommune": lambda s: (s.municipality.name.casefold(), s.municipality.key),
    "schluessel": lambda s: s.municipality.key,
    "stand": lambda s: (STATES.index(state_of(s)), s.municipality.name.casefold()),
    "revisionen": lambda s: (-(s.report.revision_count if s.report else 0), s.municipality.key),
}
#: Characters that make a spreadsheet read a cell as a formula (SECURITY.md D).
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def state_of(standing: Standing) -> str:
    """The state a standing shows: not started, in progress (a draft never submitted), or
    the report's state."""
    report = standing.report
    if report is None:
        return "nicht_begonnen"
    if report.state == ReportState.DRAFT and not report.revision_count:
        return "in_arbeit"
    return str(report.state)


def filtered(
    rows: list[Standing], state: str | None, order: str, *, overdue_only: bool = False
) -> list[Standing]:
    """The standings of one state (all for None), sorted by ``order``."""
    chosen = [s for s in rows if (state is None or state_of(s) == state)]
    if overdue_only:
        chosen = [s for s in chosen if s.overdue]
    return sorted(chosen, key=ORDERS.get(order, ORDERS["kommune"]))


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA) else text


def as_csv(cycle: Cycle, rows: list[Standing], labels: dict[str, str]) -> bytes:
    """The standings as CSV for a spreadsheet (UTF-8 with BOM, semicolons, German headers)."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(["Schlüssel", "Kommune", "Stand", "Revisionen", "überfällig", "Runde"])
    for s in rows:
        writer.writerow(
            [
                _cell(s.municipality.reporting_ags or s.municipality.key),
                _cell(s.municipality.name),
                _cell(labels.get(state_of(s), state_of(s))),
                s.report.revision_count if s.report else 0,
                "ja" if s.overdue else "nein",
                _cell(cycle.code),
            ]
        )
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def remind(actor: Any, cycle: Cycle, within: str | None, today: date | None = None) -> int:
    """Remind the reporters of every municipality in ``within`` that has not reported (not
    those reminded today already); mails go out after the commit. Returns how many
    municipalities are reminded."""
    from omk.services import notify

    today = today or date.today()
    due: list[Municipality] = []
    with unit_of_work():
        lock(Cycle, cycle.id)
        for standing in not_reported(standings(cycle, within=within, today=today)):
            marker = reminder_marker(cycle, standing.municipality, today)
            if marker is None:
                continue
            db.session.add(
                AuditEntry(
                    actor_id=getattr(actor, "id", None),
                    action="reminder.sent",
                    object_type="reminder",
                    object_id=marker,
                )
            )
            due.append(standing.municipality)
        audit.record(actor, "reminder.requested", cycle, region=within or "", count=len(due))
        for municipality in due:
            after_commit(functools.partial(notify.reminder, cycle, municipality, today))
    return len(due)
