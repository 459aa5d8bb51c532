"""Tell people what concerns them: reviewers of new submissions, reporters of decisions,
municipalities of a nearing deadline. Mails go out after the transaction committed."""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

from flask import current_app, has_request_context, render_template, url_for
from sqlalchemy import select

from omk import mail
from omk.extensions import db
from omk.links import page_base_url
from omk.models.accounts import Role, User
from omk.models.register import Municipality
from omk.models.reporting import Cycle, Report
from omk.services import register

log = logging.getLogger("omk.notify")


def absolute_url(endpoint: str, **values: Any) -> str:
    """A link to a page for an e-mail, built from OMK_BASE_URL (works in requests and on the
    CLI; in debug mode with the default base, the request's host: omk/links.py)."""
    base = page_base_url()
    if has_request_context():
        return base + url_for(endpoint, **values)
    with current_app.test_request_context(base_url=base):
        return base + url_for(endpoint, **values)


def reviewers_of(key: str) -> list[User]:
    """Active reviewers whose region covers the register key."""
    users = db.session.scalars(
        select(User).where(User.role == Role.REVIEWER, User.is_active.is_(True))
    )
    return [u for u in users if u.scope and key.startswith(u.scope)]


def reporters_of(key: str) -> list[User]:
    """Active reporters of a municipality."""
    return list(
        db.session.scalars(
            select(User).where(
                User.role == Role.REPORTER,
                User.is_active.is_(True),
                User.municipality_key == key,
            )
        )
    )


def _send_all(users: list[User], subject: str, template: str, **context: Any) -> int:
    if mail.is_held():  # generated data (omk demo): nothing to render, nobody to tell
        return 0
    body = render_template(template, **context)
    for user in users:
        try:
            mail.send(user.email, subject, body)
        except Exception:  # a mail server outage must not undo a committed transition
            log.exception("mail to user %s failed (subject %r)", user.id, subject)
    return len(users)


def _report_link(report: Report, endpoint: str = "reports.detail") -> str:
    return absolute_url(
        endpoint,
        cycle=report.cycle.code,
        ags=report.municipality.reporting_ags or report.municipality_key,
    )


def submitted(report: Report, revision_number: int) -> int:
    """Reviewers of the region: a report was submitted."""
    name = str(register.display_name(report.municipality))
    return _send_all(
        reviewers_of(report.municipality_key),
        f"Bericht eingereicht: {name}, Runde {report.cycle.code}",
        "mail/submitted.txt",
        report=report,
        number=revision_number,
        link=_report_link(report, "reports.review"),
    )


def returned(report: Report, comments: list[Any], labels: dict[str, str]) -> int:
    """Reporters of the municipality: their report was returned with comments (or reopened)."""
    return _send_all(
        reporters_of(report.municipality_key),
        f"Bericht zurückgegeben: Runde {report.cycle.code}",
        "mail/returned.txt",
        report=report,
        comments=comments,
        labels=labels,
        link=_report_link(report),
    )


def accepted(report: Report) -> int:
    """Reporters of the municipality: their report was accepted and is published."""
    return _send_all(
        reporters_of(report.municipality_key),
        f"Bericht angenommen: Runde {report.cycle.code}",
        "mail/accepted.txt",
        report=report,
        link=_report_link(report, "reports.published"),
    )


def reminder(cycle: Cycle, municipality: Municipality, today: date) -> int:
    """Reporters of a municipality that has not submitted: the deadline nears (or passed)."""
    days_left = (cycle.deadline - today).days
    return _send_all(
        reporters_of(municipality.key),
        f"Erinnerung: Bericht für die Runde {cycle.code} bis {cycle.deadline:%d.%m.%Y}",
        "mail/reminder.txt",
        cycle=cycle,
        municipality=municipality,
        days_left=days_left,
        link=absolute_url(
            "reports.detail", cycle=cycle.code, ags=municipality.reporting_ags or municipality.key
        ),
    )


def login_attack(user: User) -> int:
    """The owner of an account: many failed logins from many addresses; logins now wait."""
    return _send_all(
        [user],
        "Viele fehlgeschlagene Anmeldeversuche bei Ihrem OMK-Konto",
        "mail/login_attack.txt",
        user=user,
        failures=current_app.config["LOGIN_FAILURES_PER_ACCOUNT"],
        minutes=current_app.config["LOGIN_THROTTLE_WINDOW_MINUTES"],
        link=absolute_url("auth.forgot"),
    )


def account_added(recipients: list[User], added: User, by: User | None) -> int:
    """A municipality's reporters: an account was added to their municipality (invited,
    moved there or reactivated), by whom, and where they see all of its accounts."""
    municipality = added.municipality
    name = (
        str(register.display_name(municipality))
        if municipality is not None
        else added.municipality_key
    )
    return _send_all(
        recipients,
        f"Neues Konto für {name} in OMK",
        "mail/account_added.txt",
        added=added,
        by=by,
        municipality_name=name,
        link=absolute_url("account.colleagues"),
    )


def peer_review_invited(review_id: int, keys: list[str], title: str, host: str) -> int:
    """Reporters of the invited municipalities: a peer review asks for their answers."""
    return _send_all(
        [u for key in keys for u in reporters_of(key)],
        f"Einladung zur Peer Review: {title}",
        "mail/peer_review_invited.txt",
        title=title,
        host=host,
        link=absolute_url("synergies.peer_review", review_id=review_id),
    )


def peer_review_published(review_id: int, practice_id: str, keys: list[str]) -> int:
    """Reporters of the host and the invited municipalities: the synthesis is published."""
    return _send_all(
        [u for key in keys for u in reporters_of(key)],
        "Peer Review abgeschlossen: die Synthese ist veröffentlicht",
        "mail/peer_review_published.txt",
        link=absolute_url("synergies.peer_review", review_id=review_id),
        practice_link=absolute_url("practices.detail", practice_id=practice_id),
    )
