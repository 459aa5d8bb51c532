"""What the report modules share: the content, the logger, the editable states and the
conditional transition helpers (``_claim``, ``_locked``, ``_expect``) with their messages.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import current_app
from sqlalchemy import select, update

from omk.content import Content, ReportTemplate
from omk.errors import Conflict, NotFound
from omk.extensions import db
from omk.messages import msg
from omk.models.reporting import (
    Report,
    ReportState,
    ReviewEvent,
)
from omk.models.types import utcnow
from omk.policy import Actor
from omk.services import audit
from omk.services.transaction import lock

log = logging.getLogger("omk.reports")

EDITABLE = (ReportState.DRAFT.value, ReportState.RETURNED.value)


def content() -> Content:
    result: Content = current_app.extensions["omk_content"]
    return result


def template_of(report: Report) -> ReportTemplate:
    return content().template(report.template_version)


def _event(
    report: Report,
    actor: Actor | None,
    action: str,
    before: str | None,
    after: str | None,
    **kw: Any,
) -> None:
    db.session.add(
        ReviewEvent(
            report_id=report.id,
            revision_id=kw.pop("revision_id", None),
            action=action,
            from_state=before,
            to_state=after,
            actor_id=getattr(actor, "id", None),
            message=kw.pop("message", None),
        )
    )
    audit.record(actor, f"report.{action}", report, from_state=before, to_state=after, **kw)


def _claim(
    report: Report,
    states: tuple[str, ...],
    to_state: str,
    expected_version: int | None,
    **values: Any,
) -> None:
    """Move the report to ``to_state`` if it is in one of ``states`` and at ``expected_version``;
    otherwise Conflict. One conditional UPDATE: of concurrent callers exactly one wins."""
    version = report.edit_version if expected_version is None else expected_version
    result = db.session.execute(
        update(Report)
        .where(Report.id == report.id, Report.state.in_(states), Report.edit_version == version)
        .values(state=to_state, edit_version=Report.edit_version + 1, updated_at=utcnow(), **values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]  # an UPDATE returns a CursorResult
        fresh = db.session.scalar(
            select(Report).where(Report.id == report.id).execution_options(populate_existing=True)
        )
        if fresh is not None and fresh.state not in states:
            raise Conflict(_state_message(fresh.state))
        raise Conflict(_EDITED_MEANWHILE)
    db.session.refresh(report)


_EDITED_MEANWHILE = msg(
    "Der Bericht wurde inzwischen von jemand anderem gespeichert. Ihre Eingaben sind "
    "noch da: bitte prüfen Sie die aktuelle Fassung und speichern Sie erneut."
)


def _locked(report: Report) -> Report:
    """``report`` locked for the unit of work in progress and read afresh: everything read
    after this decides the write that follows, and no other writer can change it meanwhile."""
    fresh = lock(Report, report.id)
    if fresh is None:
        raise NotFound(msg("Für diese Kommune gibt es in dieser Runde keinen Bericht."))
    return fresh


def _expect(report: Report, states: tuple[str, ...], edit_version: int | None) -> None:
    """Conflict unless the (locked) report is in one of ``states`` and at ``edit_version``."""
    if report.state not in states:
        raise Conflict(_state_message(report.state))
    if edit_version is not None and edit_version != report.edit_version:
        raise Conflict(_EDITED_MEANWHILE)


def _state_message(state: str) -> str:
    return {
        ReportState.SUBMITTED: msg(
            "Der Bericht ist eingereicht und kann erst nach der Prüfung wieder bearbeitet werden."
        ),
        ReportState.ACCEPTED: msg(
            "Der Bericht ist angenommen; für eine Korrektur muss die Prüfstelle ihn wieder öffnen."
        ),
        ReportState.DRAFT: msg("Der Bericht ist ein Entwurf und noch nicht eingereicht."),
        ReportState.RETURNED: msg("Der Bericht wurde zurückgegeben und ist in Überarbeitung."),
    }.get(ReportState(state), msg("Diese Aktion ist im aktuellen Zustand nicht möglich."))
