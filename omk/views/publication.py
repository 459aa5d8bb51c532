"""The published report as a PDF download (the page itself is ``reports.published``)."""

from __future__ import annotations

from urllib.parse import quote

from flask import Blueprint, make_response, render_template
from flask.typing import ResponseReturnValue

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
        "publication/report_pdf.html", pub=pub, document_url=publication.document_url(report)
    )
    ascii_name, unicode_name = publication.pdf_filename(report)
    response = make_response(publication.pdf_for(html))
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = (
        f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(unicode_name)}"
    )
    return response
