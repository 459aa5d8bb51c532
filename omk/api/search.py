"""GET /api/v1/search, /api/v1/practices/<id> and /api/v1/practices/<id>/similar."""

from __future__ import annotations

from typing import Any

from flask import jsonify, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from omk import exchange
from omk.api import bp
from omk.api.envelope import PageQuery, _strict_int
from omk.api.openapi import operation
from omk.api.schemas import Error
from omk.api.validation import field_errors, query_args
from omk.errors import ValidationFailed
from omk.links import response_url
from omk.policy import Action, actor, authorize, permission
from omk.search import labels, service, snippets
from omk.search.records import FACETS
from omk.services import practices, register, similarity

TAGS = ("Suche",)
FACET_PARAMS = {param: facet for facet, param in FACETS.items()}


class SearchQuery(PageQuery):
    """Query, paging and facet filters of a search (each facet repeatable)."""

    model_config = ConfigDict(extra="forbid")

    q: str = Field("", max_length=service.MAX_QUERY_LENGTH, description="Suchbegriffe")
    per_page: int = Field(service.PER_PAGE, ge=1, le=service.MAX_PER_PAGE)
    sort: str = Field("relevance", pattern="^(relevance|newest)$")
    criterion: list[str] = Field(default_factory=list, max_length=20)
    field: list[str] = Field(default_factory=list, max_length=20)
    recommendation: list[str] = Field(default_factory=list, max_length=20)
    land: list[str] = Field(default_factory=list, max_length=20)
    kreis: list[str] = Field(default_factory=list, max_length=20)
    urbanisation: list[str] = Field(default_factory=list, max_length=20)
    size_class: list[str] = Field(default_factory=list, max_length=20)
    cycle: str | None = Field(None, max_length=20, description="Fassung dieser Berichtsrunde")
    actor_type: list[str] = Field(default_factory=list, max_length=20)
    target_group: list[str] = Field(default_factory=list, max_length=20)
    status: list[str] = Field(default_factory=list, max_length=20)
    validated: list[str] = Field(
        default_factory=list, max_length=1, description="1: nur als gute Praxis validierte"
    )

    _strict_page = field_validator("page", "per_page", mode="before")(_strict_int)


class SearchItem(BaseModel):
    practice_id: str
    url: str
    title: str
    ags: str
    name: str
    criterion: str
    cycles: list[str]
    score: float = Field(
        description="Relevanz nach den Wörtern (Gewichtung wie in der Volltextsuche); die "
        "Reihenfolge der items verbindet sie mit der Bedeutung und kann davon abweichen; 0 "
        "für Treffer, die nur nach Bedeutung gefunden wurden"
    )
    snippet: str = Field(description="Textausschnitt, HTML-maskiert, Treffer in <mark>")


class FacetValue(BaseModel):
    value: str
    label: str
    count: int


class SearchResult(BaseModel):
    total: int
    page: int
    per_page: int
    items: list[SearchItem]
    facets: dict[str, list[FacetValue]]
    suggestion: str | None = Field(
        description="„Meinten Sie …?“: die Anfrage mit korrigierten Wörtern; sind die Treffer "
        "bereits für sie (corrected_from gesetzt), die Anfrage, für die sie gelten"
    )
    corrected_from: str | None = Field(
        default=None,
        description="Die Anfrage wie gesendet, wenn die Treffer für die korrigierte Anfrage "
        "(suggestion) gelten, weil die gesendete nichts oder fast nichts fand",
    )


class SimilarItem(BaseModel):
    practice_id: str
    url: str
    title: str
    ags: str
    name: str
    score: float
    terms: list[str]


class SimilarList(BaseModel):
    total: int
    page: int
    per_page: int
    items: list[SimilarItem]


def _search_args() -> SearchQuery:
    data: dict[str, Any] = {}
    for name in request.args:
        values = [v for v in request.args.getlist(name) if v != ""]
        if not values:
            continue
        many = name in FACET_PARAMS and name != "cycle"
        data[name] = values if many else values[0]
    try:
        return SearchQuery.model_validate(data)
    except ValidationError as exc:
        raise ValidationFailed(field_errors(exc, "query."), "Ungültige Abfrageparameter.") from exc


@bp.get("/search")
@permission(Action.PRACTICE_READ)
@operation(
    "get",
    "/api/v1/search",
    "Veröffentlichte Maßnahmen durchsuchen (mit Facetten)",
    query=SearchQuery,
    responses={200: SearchResult, 401: Error, 422: Error},
    auth=True,
    tags=TAGS,
)
def search() -> ResponseReturnValue:
    authorize(Action.PRACTICE_READ)
    args = _search_args()
    filters = {
        FACET_PARAMS[param]: getattr(args, param)
        for param in FACET_PARAMS
        if param != "cycle" and getattr(args, param)
    }
    results = service.search(
        args.q,
        filters=filters,
        cycle=args.cycle,
        sort=args.sort,
        page=args.page,
        per_page=args.per_page,
    )
    items = [
        SearchItem(
            practice_id=h.practice_id,
            url=response_url("practices.detail", practice_id=h.practice_id),
            title=h.title,
            ags=h.ags,
            name=h.name,
            criterion=h.criterion,
            cycles=h.cycles,
            score=round(h.score, 4),
            snippet=snippets.as_html(h.snippet),
        )
        for h in results.hits
    ]
    facets = {}
    for facet, param in FACETS.items():
        counts = results.facets.get(facet, {})
        names = labels.labels(facet, counts)
        facets[param] = [
            FacetValue(value=v, label=names[v], count=n)
            for v, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        ]
    body = SearchResult(
        total=results.total,
        page=results.page,
        per_page=results.per_page,
        items=items,
        facets=facets,
        # results for a correction say so: the query they are for, and the one as sent
        suggestion=results.query if results.corrected_from else results.suggestion,
        corrected_from=results.corrected_from,
    )
    return jsonify(body.model_dump(mode="json"))


@bp.get("/practices/<practice_id>")
@permission(Action.PRACTICE_READ, per_object=True)
@operation(
    "get",
    "/api/v1/practices/{practice_id}",
    "Die neueste veröffentlichte Fassung einer Maßnahme",
    responses={200: None, 401: Error, 404: Error},
    auth=True,
    tags=TAGS,
)
def get_practice(practice_id: str) -> ResponseReturnValue:
    published = practices.get_published(actor(), practice_id)
    latest = published.latest
    municipality = latest.report.municipality
    body: dict[str, Any] = {
        "practice_id": published.practice_id,
        "ags": municipality.reporting_ags or municipality.key,
        "name": register.display_name(municipality).render(gettext),  # as search items do
        "cycle": latest.cycle.code,
        "cycles": published.cycles,
        "url": response_url("practices.detail", practice_id=published.practice_id),
    }
    document = exchange.canonical_practice(latest.document)
    known = {k: v for k, v in document.items() if k in exchange.PRACTICE_FIELDS}
    body.update(known)
    body["practice_id"] = published.practice_id
    return jsonify(body)


class SimilarQuery(PageQuery):
    per_page: int = Field(10, ge=1, le=100)

    _strict_page = field_validator("page", "per_page", mode="before")(_strict_int)


@bp.get("/practices/<practice_id>/similar")
@permission(Action.PRACTICE_READ, per_object=True)
@operation(
    "get",
    "/api/v1/practices/{practice_id}/similar",
    "Ähnliche Maßnahmen anderer Kommunen (nur über der Ähnlichkeitsschwelle)",
    query=SimilarQuery,
    responses={200: SimilarList, 401: Error, 404: Error, 422: Error},
    auth=True,
    tags=TAGS,
)
def similar_practices(practice_id: str) -> ResponseReturnValue:
    published = practices.get_published(actor(), practice_id)  # NotFound, policy
    args = query_args(SimilarQuery)
    found = similarity.similar(published.practice_id, page=args.page, per_page=args.per_page)
    body = SimilarList(
        total=found["total"],
        page=found["page"],
        per_page=found["per_page"],
        items=[
            SimilarItem(
                practice_id=item["practice_id"],
                url=response_url("practices.detail", practice_id=item["practice_id"]),
                title=item["title"],
                ags=item["ags"],
                name=item["name"],
                score=round(float(item["score"]), 4),
                terms=list(item["terms"]),
            )
            for item in found["items"]
        ],
    )
    return jsonify(body.model_dump(mode="json"))
