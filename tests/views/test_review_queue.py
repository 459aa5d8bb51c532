"""The reviewer's queue counts days in German time, as every page shows times."""

from __future__ import annotations

from datetime import date, datetime
from types import SimpleNamespace
from typing import Any

from omk.views.review_queue import queue_rows


def _report(submitted_at: datetime | None) -> Any:
    return SimpleNamespace(
        submitted_at=submitted_at,
        cycle=SimpleNamespace(deadline=date(2026, 3, 31), code="2025"),
        municipality=SimpleNamespace(name="Düren, Stadt"),
        revision_count=1,
    )


def test_a_report_submitted_after_midnight_in_berlin_was_submitted_that_day() -> None:
    # 23:15 UTC on 7 December is 00:15 on 8 December in Berlin (winter time)
    row = queue_rows([_report(datetime(2026, 12, 7, 23, 15))], "frist", today=date(2026, 12, 8))[0]
    assert row.submitted_on == date(2026, 12, 8)
    assert row.days_waiting == 0


def test_summer_time_and_days_waiting() -> None:
    # 22:30 UTC on 30 June is 00:30 on 1 July in Berlin (summer time, UTC+2)
    row = queue_rows([_report(datetime(2026, 6, 30, 22, 30))], "frist", today=date(2026, 7, 4))[0]
    assert row.submitted_on == date(2026, 7, 1) and row.days_waiting == 3
    unsubmitted = queue_rows([_report(None)], "frist", today=date(2026, 7, 4))[0]
    assert unsubmitted.submitted_on is None and unsubmitted.days_waiting is None
