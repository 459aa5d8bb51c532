"""The search page (/suche): German full-text search of published practices with facets.

The whole state lives in the URL (shareable, the back button works); the page works
without JavaScript. Parameters: ``q``, ``sort`` (relevance|newest), ``page``, ``cycle`` (that
cycle's version of each practice) and every facet as a repeatable parameter.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request, url_for
from flask.typing import ResponseReturnValue
from werkzeug.datastructures import MultiDict

from omk.errors import FieldError, ValidationFailed
from omk.policy import Action, authorize, permission
from omk.search import labels, service
from omk.search.records import FACETS

bp = Blueprint("search", __name__)

#: URL parameter → record field of each facet.
PARAMS = {param: facet for facet, param in FACETS.items()}
MAX_FILTER_VALUES = 20  # per facet: more is never a person's choice


def bounded_int(args: MultiDict[str, str], name: str, default: int, upper: int) -> int:
    """A positive integer parameter, strictly parsed and bounded; ValidationFailed otherwise."""
    raw = args.get(name, "")
    if raw == "":
        return default
    if not raw.isdigit() or len(raw) > 6 or not 1 <= int(raw) <= upper:
        raise ValidationFailed(
            [FieldError(name, f"Erwartet wird eine ganze Zahl von 1 bis {upper}.")]
        )
    return int(raw)


def parse_request(args: MultiDict[str, str], max_per_page: int) -> dict[str, Any]:
    """Query, filters, cycle, sort and page of a search request (pages and API alike)."""
    filters: dict[str, list[str]] = {}
    for param, facet in PARAMS.items():
        if param == "cycle":
            continue
        values = [v.strip() for v in args.getlist(param) if v.strip()][:MAX_FILTER_VALUES]
        if values:
            filters[facet] = [v[:40] for v in values]
    sort = args.get("sort", "relevance")
    return {
        "text": args.get("q", "")[: service.MAX_QUERY_LENGTH],
        "filters": filters,
        "cycle": (args.get("cycle") or "").strip()[:20] or None,
        "sort": sort if sort in service.SORTS else "relevance",
        "page": bounded_int(args, "page", 1, 10_000),
        "per_page": bounded_int(args, "per_page", service.PER_PAGE, max_per_page),
    }


def facet_view(results: service.Results, params: dict[str, Any]) -> list[dict[str, Any]]:
    """Facets with labels, counts and whether each value is selected, in FACETS order."""
    out = []
    for facet, param in FACETS.items():
        counts = results.facets.get(facet, {})
        selected = set(params["filters"].get(facet, []))
        if facet == "cycles" and params["cycle"]:
            selected = {params["cycle"]}
        names = labels.labels(facet, set(counts) | selected)
        values = [
            {"value": v, "label": names[v], "count": counts.get(v, 0), "selected": v in selected}
            for v in sorted(set(counts) | selected, key=lambda v: (-counts.get(v, 0), names[v]))
        ]
        if values:
            out.append(
                {
                    "facet": facet,
                    "param": param,
                    "title": labels.FACET_TITLES[facet],
                    "values": values,
                }
            )
    return out


@bp.get("/suche")
@permission(Action.PRACTICE_READ)
def index() -> ResponseReturnValue:
    """Search published practices."""
    authorize(Action.PRACTICE_READ)
    try:
        params = parse_request(request.args, service.PER_PAGE)
    except ValidationFailed:
        params = parse_request(MultiDict({"q": request.args.get("q", "")}), service.PER_PAGE)
    searched = bool(params["text"].strip() or params["filters"] or params["cycle"])
    results = service.search(
        params["text"],
        filters=params["filters"],
        cycle=params["cycle"],
        sort=params["sort"],
        page=params["page"],
        per_page=params["per_page"],
    )
    pages = max(1, -(-results.total // results.per_page))
    return render_template(
        "search/index.html",
        params=params,
        searched=searched,
        results=results,
        facets=facet_view(results, params),
        pages=pages,
        page_url=lambda n: _url(n),
        criterion_labels=labels.labels("criterion", {h.criterion for h in results.hits}),
    )


def _url(page: int) -> str:
    args: dict[str, Any] = request.args.to_dict(flat=False)
    args["page"] = [str(page)]
    return url_for("search.index", **args)
