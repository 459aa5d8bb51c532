"""The search page (/suche): German full-text search of published practices with facets.

The whole state lives in the URL (shareable, the back button works); the page works
without JavaScript. Parameters: ``q``, ``sort`` (relevance|newest), ``page``, ``cycle`` (that
cycle's version of each practice) and every facet as a repeatable parameter.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict

from omk.errors import ValidationFailed
from omk.links import response_url
from omk.policy import Action, authorize, permission
from omk.search import atom, labels, service
from omk.search.records import FACETS
from omk.services import following
from omk.views import fragments, search_results
from omk.views.helpers import bounded_int

bp = Blueprint("search", __name__)

#: URL parameter → record field of each facet.
PARAMS = {param: facet for facet, param in FACETS.items()}
MAX_FILTER_VALUES = 20  # per facet: more is never a person's choice


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
        "page": bounded_int(args.get("page"), name="page", lower=1, upper=10_000, default=1),
        "per_page": bounded_int(
            args.get("per_page"),
            name="per_page",
            lower=1,
            upper=max_per_page,
            default=service.PER_PAGE,
        ),
    }


def facet_view(results: service.Results, params: dict[str, Any]) -> list[dict[str, Any]]:
    """Facets with labels, counts and whether each value is selected, in FACETS order."""
    out = []
    for facet, param in FACETS.items():
        counts = results.facets.get(facet, {})
        selected = set(params["filters"].get(facet, []))
        if facet == "cycles" and params["cycle"]:
            selected = {params["cycle"]}
        names = _labels(facet, set(counts) | selected)
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


def active_filters(facets: list[dict[str, Any]], args: MultiDict[str, str]) -> list[dict[str, str]]:
    """The selected facet values, each with the address of the same search without it (and
    from its first page): the list of active filters above the results."""
    active = []
    for f in facets:
        for v in f["values"]:
            if v["selected"]:
                rest = [
                    (name, value)
                    for name, value in args.items(multi=True)
                    if name != "page" and not (name == f["param"] and value == v["value"])
                ]
                active.append({"title": f["title"], "label": v["label"], "url": _with_args(rest)})
    return active


def _with_args(args: list[tuple[str, str]]) -> str:
    return url_for("search.index") + ("?" + urlencode(args) if args else "")


def _labels(facet: str, values: set[str]) -> dict[str, str]:
    """A facet's labels, kept until the next publication or register import (Land and Kreis
    names come from the register); cycle titles change without either and are asked anew."""
    if facet == "cycles":
        return labels.labels(facet, values)
    return fragments.remembered(
        "search.labels", (facet, frozenset(values)), lambda: labels.labels(facet, values)
    )


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
    shown = search_results.page(params, lambda results: _parts(results, params))
    return render_template(
        "search/index.html",
        params=params,
        searched=searched,
        results=shown["results"],
        facets=shown["facets"],
        hits=shown["hits"],
        facet_form=shown["facet_form"],
        save_form=CsrfForm(),
        active=active_filters(shown["facets"], request.args),
        relevance_url=_with_args(
            [(k, v) for k, v in request.args.items(multi=True) if k not in ("sort", "page")]
        ),
    )


def _parts(results: service.Results, params: dict[str, Any]) -> search_results.SearchPage:
    """The result's parts of the page: the same for every user who sees it."""
    facets = facet_view(results, params)
    pages = max(1, -(-results.total // results.per_page))
    return {
        "results": results,
        "facets": facets,
        "hits": fragments.rendered(
            "search/_hits.html",
            results=results,
            pages=pages,
            page_url=lambda n: _url(n),
            criterion_labels=_labels("criterion", {h.criterion for h in results.hits}),
        ),
        "facet_form": fragments.rendered(
            "search/_facets.html", results=results, facets=facets, params=params
        ),
    }


def _url(page: int) -> str:
    args: dict[str, Any] = request.args.to_dict(flat=False)
    args["page"] = [str(page)]
    return url_for("search.index", **args)


# --- following a topic: saved searches and their feeds ----------------------------------------


#: Session key of a feed address just created, until the saved searches page shows it once.
NEW_FEED_KEY = "search.new_feed"


class CsrfForm(FlaskForm):
    """A form with nothing but its CSRF token (buttons that change something)."""


def _user() -> Any:
    return current_user._get_current_object()


@bp.post("/suche/speichern")
@permission(Action.PRACTICE_READ)
def save() -> ResponseReturnValue:
    """Save the current search (its query string) under a name."""
    if not CsrfForm().validate_on_submit():
        abort(400)
    query = request.form.get("query", "")
    try:
        following.save(_user(), request.form.get("name", ""), query)
    except ValidationFailed as exc:
        flash(exc.errors[0].message if exc.errors else exc.message, "danger")
        return redirect(url_for("search.index") + ("?" + query if query else ""))
    flash(
        _("Die Suche ist gespeichert. Auf der Startseite sehen Sie, was neu dazukommt."), "success"
    )
    return redirect(url_for("search.saved"))


@bp.get("/suche/gespeichert")
@permission(Action.PRACTICE_READ)
def saved() -> ResponseReturnValue:
    """The user's saved searches with what is new for each, and their feeds; a feed address
    just created is shown once (kept in the session between the POST and this page)."""
    authorize(Action.PRACTICE_READ)
    followed = following.followed(_user())
    new_feed = None
    created = session.pop(NEW_FEED_KEY, None)
    if isinstance(created, dict):
        item = next((f.saved for f in followed if f.saved.id == created.get("id")), None)
        if item is not None:
            new_feed = (item, str(created.get("url", "")))
    response = make_response(
        render_template("search/saved.html", followed=followed, form=CsrfForm(), new_feed=new_feed)
    )
    if new_feed is not None:  # the address is a credential: never from a cache or history
        response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/suche/gespeichert/<int:search_id>/oeffnen")
@permission(Action.PRACTICE_READ, per_object=True)
def open_saved(search_id: int) -> ResponseReturnValue:
    """Open a saved search: its results, and nothing is new any more (a POST: it changes
    what the start page counts)."""
    item = following.get(_user(), search_id)
    if not CsrfForm().validate_on_submit():
        abort(400)
    following.mark_seen(_user(), item)
    return redirect(url_for("search.index") + "?" + item.query_string)


@bp.post("/suche/gespeichert/<int:search_id>/feed")
@permission(Action.PRACTICE_READ, per_object=True)
def create_feed(search_id: int) -> ResponseReturnValue:
    """A new feed address for a saved search, shown once on the page this redirects to (so
    reloading that page neither resends the form nor makes another address)."""
    item = following.get(_user(), search_id)
    if not CsrfForm().validate_on_submit():
        abort(400)
    token = following.create_feed_token(_user(), item)
    session[NEW_FEED_KEY] = {
        "id": item.id,
        "url": response_url("search.feed", feed_token=token),
    }
    return redirect(url_for("search.saved"), code=303)


@bp.post("/suche/gespeichert/<int:search_id>/feed-widerrufen")
@permission(Action.PRACTICE_READ, per_object=True)
def revoke_feed(search_id: int) -> ResponseReturnValue:
    item = following.get(_user(), search_id)
    if not CsrfForm().validate_on_submit():
        abort(400)
    following.revoke_feed(_user(), item)
    flash(_("Der Feed ist widerrufen; seine Adresse funktioniert nicht mehr."), "success")
    return redirect(url_for("search.saved"))


@bp.post("/suche/gespeichert/<int:search_id>/loeschen")
@permission(Action.PRACTICE_READ, per_object=True)
def delete_saved(search_id: int) -> ResponseReturnValue:
    item = following.get(_user(), search_id)
    if not CsrfForm().validate_on_submit():
        abort(400)
    following.delete(_user(), item)
    flash(_("Die gespeicherte Suche ist gelöscht."), "success")
    return redirect(url_for("search.saved"))


@bp.get("/feeds/<feed_token>.atom")
@permission(Action.PUBLIC)
def feed(feed_token: str) -> ResponseReturnValue:
    """The Atom feed of a saved search; its token is the credential (read-only, revocable)."""
    item, results = following.feed(feed_token)
    body = atom.render(
        title=_("OMK – %(name)s", name=item.name),
        feed_id=f"tag:omk,2026:saved-search/{item.id}",
        link=response_url("search.index") + "?" + item.query_string,
        entries=[
            atom.Entry(
                id=response_url("practices.detail", practice_id=h.practice_id),
                title=h.title,
                link=response_url("practices.detail", practice_id=h.practice_id),
                updated=h.published_at,
                summary=f"{h.name}: {h.summary}",
            )
            for h in results.hits
        ],
    )
    response = Response(body, mimetype="application/atom+xml")
    response.headers["Cache-Control"] = "private, max-age=300"
    return response
