"""The reviewer's queue on /berichte/: deadline, days since submission and state, sortable."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from omk import local_time
from omk.models.reporting import Report


@dataclass(frozen=True)
class QueueRow:
    """A submitted report in the reviewer's queue, with what decides what to take first."""

    report: Report
    deadline: date
    submitted_on: date | None
    days_waiting: int | None
    is_resubmission: bool


#: How the queue can be sorted (query ``sortierung``): deadline first by default.
QUEUE_ORDERS: dict[str, Callable[[QueueRow], Any]] = {
    "frist": lambda r: (r.deadline, -(r.days_waiting or 0), r.report.municipality.name),
    "wartezeit": lambda r: (-(r.days_waiting or 0), r.deadline, r.report.municipality.name),
    "kommune": lambda r: (r.report.municipality.name.casefold(), r.report.cycle.code),
    "runde": lambda r: (r.report.cycle.code, r.report.municipality.name.casefold()),
}


def queue_rows(queue: list[Report], order: str, today: date | None = None) -> list[QueueRow]:
    """The queue as rows with deadline, days since submission and state, sorted by ``order``.
    Days count in German time, as every page shows times: a report submitted at 00:30 in
    Berlin was submitted that day, not the day before (its UTC date)."""
    now = local_time(datetime.now(UTC))
    assert now is not None
    today = today or now.date()
    rows = []
    for report in queue:
        shown = local_time(report.submitted_at)
        submitted = shown.date() if shown else None
        rows.append(
            QueueRow(
                report=report,
                deadline=report.cycle.deadline,
                submitted_on=submitted,
                days_waiting=(today - submitted).days if submitted else None,
                is_resubmission=report.revision_count > 1,
            )
        )
    return sorted(rows, key=QUEUE_ORDERS[order])
