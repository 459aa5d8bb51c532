"""The published report as a PDF download (the page itself is ``reports.published``)."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue

from omk import downloads
from omk.policy import Action, actor, permission
from omk.services import publication, reports

bp = Blueprint("publication", __name__, url_prefix="/berichte")


@bp.get("/<cycle>/<ags>/bericht.pdf")
@permission(Action.REPORT_READ_PUBLISHED, per_object=True)
def pdf(cycle: str, ags: str) -> ResponseReturnValue:
    """The accepted revision as an A4 PDF, from the same data as the published page."""
    report = reports.get_report_for(actor(), Action.REPORT_READ_PUBLISHED, cycle, ags)
    pub = publication.published_report(report)
    html = render_template(
        "publication/report_pdf.html",
        pub=pub,
        document_url=publication.document_url(report),
        practice_url=publication.practice_url,
    )
    _ascii_name, unicode_name = publication.pdf_filename(report)
    return downloads.attachment(publication.pdf_for(html), unicode_name, "application/pdf")
