"""Reading what the review produced: revisions, diffs, comments, events and the queue."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from omk import exchange
from omk.document_types import Change, ReportDocument
from omk.extensions import db
from omk.models.accounts import Role
from omk.models.reporting import (
    Report,
    ReportState,
    ReviewComment,
    ReviewEvent,
    Revision,
)
from omk.services.reports._shared import EDITABLE
from omk.services.reports.documents import revision_document
from omk.services.reports.lookup import get_revision

# --- reading: revisions, diffs, comments ------------------------------------------------------


def revisions(report: Report) -> list[Revision]:
    return list(
        db.session.scalars(
            select(Revision).where(Revision.report_id == report.id).order_by(Revision.number)
        )
    )


def revision_diff(report: Report, from_number: int, to_number: int) -> list[Change]:
    """Changes between two revisions of a report."""
    old = revision_document(get_revision(report, from_number))
    new = revision_document(get_revision(report, to_number))
    return exchange.diff(old, new)


@dataclass
class CommentStatus:
    """A review comment and whether the next revision (or a reply) answered it."""

    comment: ReviewComment
    revision_number: int
    answered: bool
    changes: list[Change]


def comments(report: Report) -> list[CommentStatus]:
    """Every review comment of the report, oldest revision first, with its answer status."""
    by_revision = {r.id: r for r in revisions(report)}
    rows = db.session.scalars(
        select(ReviewComment).where(ReviewComment.report_id == report.id).order_by(ReviewComment.id)
    ).all()
    docs: dict[int, ReportDocument] = {}

    def doc_of(number: int) -> ReportDocument | None:
        if number not in docs:
            rev = next((r for r in by_revision.values() if r.number == number), None)
            if rev is None:
                return None
            docs[number] = revision_document(rev)
        return docs[number]

    diffs: dict[int, list[Change]] = {}

    def diff_after(number: int) -> list[Change]:
        """Changes from revision ``number`` to the next one (computed once per revision)."""
        if number not in diffs:
            old, new = doc_of(number), doc_of(number + 1)
            diffs[number] = exchange.diff(old, new) if old and new else []
        return diffs[number]

    result = []
    for c in rows:
        number = by_revision[c.revision_id].number
        changes = [ch for ch in diff_after(number) if exchange.touches(ch["field"], c.field)]
        result.append(CommentStatus(c, number, bool(changes) or bool(c.reply), changes))
    return result


def open_comments(report: Report) -> list[CommentStatus]:
    """Comments of the latest returned revision (what the municipality has to look at now)."""
    if report.state not in EDITABLE or not report.revision_count:
        return []
    return [c for c in comments(report) if c.revision_number == report.revision_count]


def events(report: Report) -> list[ReviewEvent]:
    return list(
        db.session.scalars(
            select(ReviewEvent).where(ReviewEvent.report_id == report.id).order_by(ReviewEvent.id)
        )
    )


def review_queue(reviewer: Any, state: str = ReportState.SUBMITTED.value) -> list[Report]:
    """Reports of the reviewer's region in a state (submitted by default), oldest first."""
    query = select(Report).where(Report.state == state).order_by(Report.submitted_at)
    if getattr(reviewer, "role", None) != Role.ADMIN:
        query = query.where(Report.municipality_key.startswith(reviewer.scope or "-"))
    return list(db.session.scalars(query))
