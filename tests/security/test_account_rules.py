"""Issue 9, finding 3: a reviewer must not get a way into a municipality's drafts through
accounts it invites. Reviewers add only a municipality's first reporter, reporters invite
their colleagues, every account records who created it, the municipality's reporters are
told of every account added to it, and a report that a reviewer's invitee edited or
submitted needs another reviewer (or the operator) to accept it."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from omk.errors import Forbidden
from omk.extensions import db
from omk.models.accounts import User
from omk.models.reporting import Report
from omk.services import accounts, reports
from tests import factories
from tests.conftest import PASSWORD
from tests.security.test_accounts_ui import mails_to
from tests.security.world import A, F, World


def _invite(actor: Any, email: str, key: str | None = F, **kw: Any) -> User:
    kw.setdefault("role", "reporter")
    role = kw.pop("role")
    return accounts.create_user(actor, email, role, password=PASSWORD, municipality_key=key, **kw)


def _update(actor: Any, user: User, **changes: Any) -> User:
    """update_user with the account's own values for what is not changed."""
    values: dict[str, Any] = {
        "role": user.role,
        "municipality_key": user.municipality_key,
        "scope": user.scope,
        "is_active": user.is_active,
    }
    values.update(changes)
    return accounts.update_user(actor, user, **values)


def _submitted_report(*writers: User) -> Report:
    """Alsdorf's report of cycle 2025: each writer saves a version of it, the last submits."""
    report = None
    for n, writer in enumerate(writers):
        doc = factories.document(F, "2025", practices=[factories.practice(f"Maßnahme {n}")])
        report, _ = reports.import_document(writer, doc)
    assert report is not None
    reports.submit(writers[-1], report)
    db.session.rollback()
    return report


def _state(report: Report) -> str:
    db.session.rollback()
    fresh = db.session.get(Report, report.id)
    assert fresh is not None
    return fresh.state


def test_a_reviewer_adds_only_the_first_reporter(app: Flask, world: World) -> None:
    reviewer = world.user("reviewer_05")
    first = _invite(reviewer, "erste@example.org")
    assert first.created_by_id == reviewer.id
    with pytest.raises(Forbidden):
        _invite(reviewer, "zweite@example.org")
    with pytest.raises(Forbidden):  # A has reporters already
        _invite(reviewer, "dritte@example.org", key=A)
    # The municipality's own reporter and the operator invite further colleagues.
    colleague = _invite(first, "kollegin@example.org")
    assert colleague.created_by_id == first.id
    assert (
        _invite(world.user("admin"), "vierte@example.org").created_by_id == world.user_ids["admin"]
    )
    # A reporter invites reporters of its own municipality only.
    with pytest.raises(Forbidden):
        _invite(first, "fremd@example.org", key=A)
    with pytest.raises(Forbidden):
        _invite(first, "leser@example.org", role="staff")
    # The command line (no actor) is trusted, and recorded as nobody.
    assert _invite(None, "cli@example.org").created_by_id is None


def test_a_reviewer_never_accepts_what_its_invitee_submitted(app: Flask, world: World) -> None:
    reviewer = world.user("reviewer_05")
    invitee = _invite(reviewer, "erste@example.org")
    report = _submitted_report(invitee)
    with pytest.raises(Forbidden):
        reports.accept(reviewer, report)
    assert _state(report) == "submitted"
    reports.accept(world.user("reviewer_05_peer"), report)  # another reviewer may
    assert _state(report) == "accepted"


def test_the_review_page_offers_acceptance_only_to_who_may_accept(app: Flask, world: World) -> None:
    """The reviewer whose invitee submitted reads why it cannot accept instead of a button
    that would fail; a peer reviewer of the region gets the button."""
    report = _submitted_report(_invite(world.user("reviewer_05"), "erste@example.org"))
    page = f"/berichte/{report.cycle.code}/{report.municipality_key}/pruefung"
    own = world.client("reviewer_05").get(page)
    assert own.status_code == 200
    html = own.get_data(as_text=True)
    assert "/annehmen" not in html
    assert "andere Prüfstelle" in html
    peer = world.client("reviewer_05_peer").get(page).get_data(as_text=True)
    assert "/annehmen" in peer
    assert "andere Prüfstelle" not in peer


def test_invitees_of_invitees_and_reviewers_a_reviewer_made_count_too(
    app: Flask, world: World
) -> None:
    reviewer = world.user("reviewer_05")
    invitee = _invite(reviewer, "erste@example.org")
    colleague = _invite(invitee, "kollege@example.org")
    narrower = _invite(reviewer, "kreis@example.org", key=None, role="reviewer", scope="05334")
    report = _submitted_report(colleague)
    for actor in (reviewer, narrower):
        with pytest.raises(Forbidden):
            reports.accept(actor, report)
    assert _state(report) == "submitted"
    reports.accept(world.user("admin"), report)  # the operator may
    assert _state(report) == "accepted"


def test_an_earlier_edit_by_an_invitee_counts_though_another_submitted(
    app: Flask, world: World
) -> None:
    """ "Edited or submitted": the revision's submitter, the report's last editor, and every
    save of the report in the audit log (here the invitee's edit is overwritten by a
    colleague the operator invited, who also submits)."""
    reviewer = world.user("reviewer_05")
    invitee = _invite(reviewer, "erste@example.org")
    by_admin = _invite(world.user("admin"), "zweite@example.org")
    report = _submitted_report(invitee, by_admin)
    assert report.updated_by_id == by_admin.id
    with pytest.raises(Forbidden):
        reports.accept(reviewer, report)
    reports.accept(world.user("reviewer_053"), report)
    assert _state(report) == "accepted"


def test_reports_of_accounts_the_reviewer_did_not_invite_are_accepted_as_before(
    app: Flask, world: World
) -> None:
    report = _submitted_report(_invite(world.user("admin"), "erste@example.org"))
    reports.accept(world.user("reviewer_05"), report)
    assert _state(report) == "accepted"


def test_a_reviewer_cannot_take_away_the_last_reporter_nor_add_a_second(
    app: Flask, world: World
) -> None:
    reviewer = world.user("reviewer_05")
    with pytest.raises(Forbidden):  # B's only reporter
        _update(reviewer, world.user("reporter_b"), is_active=False)
    with pytest.raises(Forbidden):  # a reader of A made a reporter of A (A has reporters)
        _update(reviewer, world.user("staff_a"), role="reporter", municipality_key=A)
    with pytest.raises(Forbidden):  # a peer of the same region
        _update(reviewer, world.user("reviewer_05_peer"), is_active=False)
    db.session.rollback()
    assert world.user("reporter_b").is_active and world.user("reviewer_05_peer").is_active
    assert world.user("staff_a").role == "staff"
    _update(world.user("admin"), world.user("reporter_b"), is_active=False)


def test_reporters_are_told_of_every_account_added_to_their_municipality(
    app: Flask, world: World
) -> None:
    _invite(world.user("admin"), "leserin@example.org", key=A, role="staff")
    for name in ("reporter_a", "invitee_a"):
        (body,) = mails_to(app, world.emails[name])
        assert "leserin@example.org" in body and world.emails["admin"] in body
        assert "/konto/kommune" in body
    assert mails_to(app, world.emails["reporter_b"]) == []
    # Through the page: the inviting reporter is not told of its own invitation.
    browser = world.client("reporter_a")
    response = browser.post(
        "/konto/kommune/einladen",
        data={"email": "kollege@example.org", "name": "Kollege", "municipality": F},
    )
    assert response.status_code == 302
    assert len(mails_to(app, world.emails["invitee_a"])) == 2
    assert len(mails_to(app, world.emails["reporter_a"])) == 1
    assert len(mails_to(app, "kollege@example.org")) == 1  # the invitation itself
    made = accounts.find_user_by_email("kollege@example.org")
    assert made is not None and made.municipality_key == A  # the field was ignored
    # Moving an account into the municipality tells them too.
    _update(world.user("admin"), world.user("reporter_d"), municipality_key=A)
    assert len(mails_to(app, world.emails["invitee_a"])) == 3


def test_the_municipality_page_lists_its_accounts_and_who_created_them(
    app: Flask, world: World
) -> None:
    browser = world.client("reporter_a")
    assert (
        browser.post(
            "/konto/kommune/einladen", data={"email": "kollege@example.org", "name": ""}
        ).status_code
        == 302
    )
    html = browser.get("/konto/kommune").get_data(as_text=True)
    assert "kollege@example.org" in html and world.emails["staff_a"] in html
    row = html[html.index(">kollege@example.org</td>") :].split("</tr>")[0]
    assert world.emails["reporter_a"] in row  # who created it
    assert "Betrieb (Kommandozeile) oder unbekannt" in html
    assert world.emails["reporter_b"] not in html
    assert "/konto/kommune" in browser.get("/konto/").get_data(as_text=True)
    # The operator sees the creators in the account list.
    listing = world.client("admin").get("/konten/").get_data(as_text=True)
    assert "Angelegt von" in listing
