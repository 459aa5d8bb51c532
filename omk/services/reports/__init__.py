"""Reports: the working copy, revisions, the review workflow, import and export.

Every change of content goes through one path: an ``omk-report/1`` document is checked
(:func:`omk.exchange.check_document`) and written with :func:`save_document`. Transitions are
conditional updates (``WHERE state = … AND edit_version = …``), so of simultaneous attempts
exactly one succeeds and the others get a Conflict.

One module per concern, all names re-exported here so callers write ``reports.submit(...)``:
:mod:`.lookup` (finding reports and revisions), :mod:`.documents` (the document in rows,
checks, completeness), :mod:`.workflow` (transitions, the working copy, continuation),
:mod:`.review` (revisions, diffs, comments, the queue) and :mod:`.transfer` (import, export).
"""

from __future__ import annotations

from omk.services import cycles
from omk.services.reports._shared import (
    EDITABLE,
    content,
    log,
    template_of,
)
from omk.services.reports.documents import (
    assign_ids,
    check,
    completeness,
    new_practice_id,
    practice_to_dict,
    prepare,
    published_document,
    revision_document,
    working_document,
)
from omk.services.reports.lookup import (
    find_report,
    get_report,
    get_report_as,
    get_report_for,
    get_revision,
    latest_revision,
    resolve_municipality,
)
from omk.services.reports.review import (
    CommentStatus,
    comments,
    events,
    open_comments,
    review_queue,
    revision_diff,
    revisions,
)
from omk.services.reports.transfer import (
    carry_forward,
    export_documents,
    import_document,
    previous_report,
    report_counts,
    reviewer_may,
    source_of_continuation,
)
from omk.services.reports.workflow import (
    accept,
    foreign_practice_ids,
    mark_synthetic,
    move_practice,
    remove_practice,
    reopen,
    reply,
    return_report,
    save_document,
    save_indicators,
    save_practice,
    start_report,
    submit,
)

__all__ = [
    "EDITABLE",
    "CommentStatus",
    "accept",
    "assign_ids",
    "carry_forward",
    "check",
    "comments",
    "completeness",
    "content",
    "cycles",
    "events",
    "export_documents",
    "find_report",
    "foreign_practice_ids",
    "get_report",
    "get_report_as",
    "get_report_for",
    "get_revision",
    "import_document",
    "latest_revision",
    "log",
    "mark_synthetic",
    "move_practice",
    "new_practice_id",
    "open_comments",
    "practice_to_dict",
    "prepare",
    "previous_report",
    "published_document",
    "remove_practice",
    "reopen",
    "reply",
    "report_counts",
    "resolve_municipality",
    "return_report",
    "review_queue",
    "reviewer_may",
    "revision_diff",
    "revision_document",
    "revisions",
    "save_document",
    "save_indicators",
    "save_practice",
    "source_of_continuation",
    "start_report",
    "submit",
    "template_of",
    "working_document",
]
