"""A second writer at the dangerous point of a transition never makes a write go lost.

Each test runs a transition and, at the moment it has read what decides its write (the
working copy, the revision to publish), lets a second session try a conflicting write from
another thread. The second writer either finishes before the transition reads (then the
transition sees its write) or waits for the transition's commit (then it finds the new
state): never in between. On code that reads before its transaction these tests fail.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from types import ModuleType
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from omk.errors import Conflict, OmkError
from omk.extensions import db
from omk.models import Report, Revision, User
from omk.services import reports
from tests import factories

# A second writer on a connection of its own at each dangerous point: a database of its own.
pytestmark = pytest.mark.fresh_db

ESSEN = "05113000"
#: How long the transition waits for the second writer before going on (it is blocked).
GRACE = 1.0


@pytest.fixture
def people(make_user: Callable[..., User]) -> dict[str, Any]:
    factories.make_cycle("2025")
    return {
        "reporter": make_user("reporter", municipality=ESSEN),
        "reviewer": make_user("reviewer", scope="05"),
        "other_reviewer": make_user("reviewer", scope="05"),
    }


class SecondWriter:
    """Runs ``write`` once, in a thread with an app context of its own, when triggered."""

    def __init__(self, app: Flask, write: Callable[[], Any]) -> None:
        self.app, self.write = app, write
        self.thread: threading.Thread | None = None
        self.outcome: Any = None

    def _run(self) -> None:
        with self.app.app_context():
            try:
                self.outcome = self.write()
            except OmkError as exc:
                self.outcome = exc
            finally:
                db.session.remove()

    def trigger(self) -> None:
        """Start the second writer (once) and give it time to finish, unless it is blocked."""
        if self.thread is None:
            self.thread = threading.Thread(target=self._run)
            self.thread.start()
            self.thread.join(GRACE)

    def finish(self) -> Any:
        assert self.thread is not None, "the dangerous point was never reached"
        self.thread.join(60)
        assert not self.thread.is_alive()
        return self.outcome


@pytest.fixture
def at_dangerous_point(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., None]]:
    """``at_dangerous_point(name, writer)``: trigger ``writer`` when reports.<name> is first
    called in the test's thread (the transition has just read what decides its write)."""
    main = threading.get_ident()

    def install(name: str, writer: SecondWriter) -> None:
        original = getattr(reports, name)

        def wrapped(*args: Any, **kwargs: Any) -> Any:
            result = original(*args, **kwargs)
            if threading.get_ident() == main:
                writer.trigger()
            return result

        # reports is a package: patch the name in every module of it that calls it
        for module in (reports, *vars(reports).values()):
            if isinstance(module, ModuleType) and getattr(module, name, None) is original:
                monkeypatch.setattr(module, name, wrapped)

    yield install


def _user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    assert user is not None
    return user


def _report() -> Report:
    return reports.get_report("2025", ESSEN)


def test_submit_freezes_what_the_working_copy_holds(
    app: Flask, people: dict[str, Any], at_dangerous_point: Callable[..., None]
) -> None:
    reporter_id = people["reporter"].id
    doc = factories.document(ESSEN)
    doc["indicators"]["unterbringung.zuweisungen"] = 35
    report, _ = reports.import_document(people["reporter"], doc)

    def save_999() -> Any:
        changed = dict(doc, indicators=dict(doc["indicators"]))
        changed["indicators"]["unterbringung.zuweisungen"] = 999
        return reports.save_document(_user(reporter_id), _report(), changed, edit_version=None)

    writer = SecondWriter(app, save_999)
    at_dangerous_point("completeness", writer)
    revision = reports.submit(people["reporter"], report)
    outcome = writer.finish()

    db.session.rollback()
    report = _report()
    frozen = reports.revision_document(db.session.get(Revision, revision.id))
    working = reports.working_document(report)
    assert report.state == "submitted"
    assert frozen == working, "the revision must hold what the working copy holds"
    if isinstance(outcome, Conflict):  # the save came after the submission: refused
        assert frozen["indicators"]["unterbringung.zuweisungen"] == 35
    else:  # the save came first: the submission froze it
        assert frozen["indicators"]["unterbringung.zuweisungen"] == 999


def test_accept_publishes_the_revision_submitted_at_its_commit(
    app: Flask, people: dict[str, Any], at_dangerous_point: Callable[..., None]
) -> None:
    """While a reviewer accepts, another returns the report and it is resubmitted: the
    returned revision must never become the published one."""
    reporter_id, other_id = people["reporter"].id, people["other_reviewer"].id
    report, _ = reports.import_document(people["reporter"], factories.document(ESSEN))
    reports.submit(people["reporter"], report)

    def return_and_resubmit() -> Any:
        reports.return_report(
            _user(other_id), _report(), [("indicators.unterbringung.zuweisungen", "Zu hoch?")]
        )
        doc = reports.working_document(_report())
        doc["indicators"]["unterbringung.zuweisungen"] = 400
        reports.save_document(_user(reporter_id), _report(), doc, edit_version=None)
        return reports.submit(_user(reporter_id), _report())

    writer = SecondWriter(app, return_and_resubmit)
    at_dangerous_point("latest_revision", writer)
    try:
        accepted: Revision | None = reports.accept(people["reviewer"], report)
    except Conflict:
        accepted = None
    outcome = writer.finish()

    db.session.rollback()
    report = _report()
    numbers = {r.number: r for r in reports.revisions(report)}
    if accepted is None:  # the return won: revision 2 waits for review
        assert report.state == "submitted" and report.published_revision_id is None
    else:
        assert isinstance(outcome, Conflict), "nothing may return an accepted report"
        assert report.state == "accepted"
        published = db.session.get(Revision, report.published_revision_id)
        assert published is not None
        assert published.number == max(numbers), "the published revision is the latest"
        assert published.outcome == "accepted"
    assert not any(
        r.outcome == "returned" and r.id == report.published_revision_id for r in numbers.values()
    )


def test_reopen_and_a_second_accept_never_both_win(
    app: Flask, people: dict[str, Any], at_dangerous_point: Callable[..., None]
) -> None:
    """A correction is accepted while another reviewer reopens the report: either the
    reopening comes first (and the acceptance is refused) or after (and reopens what was
    accepted); the published revision is always one that was accepted."""
    other_id = people["other_reviewer"].id
    report, _ = reports.import_document(people["reporter"], factories.document(ESSEN))
    reports.submit(people["reporter"], report)
    reports.accept(people["reviewer"], report)
    reports.reopen(people["reviewer"], report, "Zahlen korrigieren")
    doc = reports.working_document(report)
    doc["indicators"]["unterbringung.zuweisungen"] = 400
    reports.save_document(people["reporter"], report, doc, edit_version=None)
    reports.submit(people["reporter"], report)

    writer = SecondWriter(
        app, lambda: reports.reopen(_user(other_id), _report(), "Noch eine Korrektur")
    )
    at_dangerous_point("latest_revision", writer)
    accepted = reports.accept(people["reviewer"], report)
    outcome = writer.finish()

    db.session.rollback()
    report = _report()
    assert accepted.number == 2
    published = db.session.get(Revision, report.published_revision_id)
    assert published is not None and published.outcome == "accepted"
    assert published.number == 2
    # The reopening waited for the acceptance and then reopened the accepted correction.
    assert outcome is None and report.state == "returned" and report.is_correction


def test_a_failed_import_leaves_nothing_behind(people: dict[str, Any]) -> None:
    """One import is one transaction: no empty draft is left when its save fails."""
    with pytest.raises(Conflict):
        reports.import_document(people["reporter"], factories.document(ESSEN), edit_version=7)
    db.session.rollback()
    assert db.session.scalar(select(func.count(Report.id))) == 0


def test_import_and_a_concurrent_save_never_mix(
    app: Flask, people: dict[str, Any], at_dangerous_point: Callable[..., None]
) -> None:
    """An import into the draft reads the working copy (to match practices without id);
    a save at that moment either comes before (and is replaced whole) or waits."""
    reporter_id = people["reporter"].id
    first = factories.document(ESSEN, practices=[factories.practice("Sprachcafé")])
    reports.import_document(people["reporter"], first)
    imported = factories.document(ESSEN, practices=[factories.practice("Lernpatenschaften")])
    imported["practices"][0].pop("id")
    imported["indicator_practices"] = {}

    def save_other() -> Any:
        doc = factories.document(ESSEN, practices=[factories.practice("Wohnraumakquise")])
        return reports.save_document(_user(reporter_id), _report(), doc, edit_version=None)

    writer = SecondWriter(app, save_other)
    at_dangerous_point("working_document", writer)
    reports.import_document(people["reporter"], imported)
    outcome = writer.finish()

    db.session.rollback()
    titles = [p["title"] for p in reports.working_document(_report())["practices"]]
    # Whole documents, never a mix; the last writer's document is the working copy.
    assert titles in (["Lernpatenschaften"], ["Wohnraumakquise"])
    assert outcome is True or isinstance(outcome, Conflict)
