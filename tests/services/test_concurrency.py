"""Simultaneous transitions of one report: exactly one succeeds, the others get 409."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from omk.extensions import db
from omk.models import AuditEntry
from omk.services import accounts, reports
from tests import factories

# Writers in threads, each on a connection of its own: a database of its own.
pytestmark = pytest.mark.fresh_db

ESSEN = "05113000"


def run_concurrently(n: int, call: Any) -> list[int]:
    barrier = threading.Barrier(n)
    statuses: list[int] = []
    lock = threading.Lock()

    def worker() -> None:
        barrier.wait()
        status = call()
        with lock:
            statuses.append(status)

    threads = [threading.Thread(target=worker) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return statuses


def test_twenty_simultaneous_accepts(app: Flask, make_user: Any) -> None:
    factories.make_cycle("2025")
    reporter = make_user("reporter", municipality=ESSEN)
    reviewer = make_user("reviewer", scope="05")
    report, _ = reports.import_document(reporter, factories.document(ESSEN))
    reports.submit(reporter, report)
    token = accounts.create_token(None, reviewer)

    def accept() -> int:
        client = app.test_client()
        return client.post(
            f"/api/v1/reports/{ESSEN}/2025/accept", headers={"Authorization": f"Bearer {token}"}
        ).status_code

    statuses = run_concurrently(20, accept)
    assert sorted(statuses) == [200] + [409] * 19
    entries = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "report.accepted")
    ).all()
    assert len(entries) == 1


def test_twenty_simultaneous_submits_and_saves(app: Flask, make_user: Any) -> None:
    """Submit races with saves of the same draft: one submit wins, no save sneaks into it."""
    factories.make_cycle("2025")
    reporter = make_user("reporter", municipality=ESSEN)
    token = accounts.create_token(None, reporter)
    doc = factories.document(ESSEN)
    report, _ = reports.import_document(reporter, doc)
    headers = {
        "Authorization": f"Bearer {token}",
        "If-Match": f'"{report.id}.{report.edit_version}"',
    }

    def submit() -> int:
        return (
            app.test_client()
            .post(f"/api/v1/reports/{ESSEN}/2025/submit", headers=headers)
            .status_code
        )

    statuses = run_concurrently(20, submit)
    assert statuses.count(200) == 1
    assert set(statuses) == {200, 409}
    db.session.rollback()  # end the test's read transaction to see the threads' commits
    assert [r.number for r in reports.revisions(reports.get_report("2025", ESSEN))] == [1]
