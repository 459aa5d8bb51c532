"""Search results kept per process until anything published changes (README "Speed and
weight").

A relevance search (the engine's ranking, the reordering by meaning, the database check of
the hits, snippets) costs far more CPU than the page around it. What it answers depends on
the request's query, filters, cycle, sort and page, on the language (names in the hits), on
what the user may see, and on what is published: the index, the stored vectors and the
database change only through outbox entries (and names through register imports), both in
the stamp of :mod:`omk.views.fragments`, so a new entry anywhere drops every kept result.

A result is kept only

- for users who see exactly the published practices (``policy.sees_published_only``: today
  every role; a rule that depends on the user would bypass the cache, never share it);
- when computed in step: the search and similarity consumers had applied every outbox entry
  of the stamp, so the index and the vectors held what the database holds;
- when the database check of the hits dropped nothing (a drifted index is not remembered).

Kept results are shared between requests and must not be changed by the view.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypedDict

from flask import request
from markupsafe import Markup

from omk.policy import Action, actor, sees_published_only
from omk.search import embeddings, service
from omk.services import cycles, outbox, similarity
from omk.views import fragments

#: Consumers whose state the answer is computed from: the index and the stored vectors.
INPUTS = (service.CONSUMER, similarity.CONSUMER)


class SearchPage(TypedDict):
    """A search's result and its rendered parts (the page adds the form and the user's)."""

    results: service.Results
    facets: list[dict[str, Any]]
    hits: Markup
    facet_form: Markup


def page(params: dict[str, Any], render: Callable[[service.Results], SearchPage]) -> SearchPage:
    """The result for the parsed parameters of a search page and its parts as ``render``
    makes them, remembered per request arguments (the parts' links carry them) and cycle
    titles (facet labels; edited without an outbox entry)."""
    if not sees_published_only(actor(), Action.PRACTICE_READ):
        return render(_compute(params))
    key = (
        tuple(sorted(request.args.items(multi=True))),
        request.script_root,
        cycles.titles(),
        "published",  # what the user may see: the published practices (checked above)
    )
    return fragments.remembered(
        "search.page",
        key,
        lambda: render(search(params)),
        keep=lambda shown: _sound(shown["results"]),
    )


def search(params: dict[str, Any]) -> service.Results:
    """``service.search`` for the parsed parameters of a search page, remembered."""
    if not sees_published_only(actor(), Action.PRACTICE_READ):
        return _compute(params)
    filters = tuple(
        sorted((facet, tuple(sorted(set(values)))) for facet, values in params["filters"].items())
    )
    key = (
        params["text"],
        filters,
        params["cycle"],
        params["sort"],
        params["page"],
        params["per_page"],
        "published",  # what the user may see: the published practices (checked above)
        embeddings.embeddings_available(),
    )
    return fragments.remembered("search.results", key, lambda: _compute(params), keep=_sound)


def _compute(params: dict[str, Any]) -> service.Results:
    return service.search(
        params["text"],
        filters=params["filters"],
        cycle=params["cycle"],
        sort=params["sort"],
        page=params["page"],
        per_page=params["per_page"],
    )


def _sound(results: service.Results) -> bool:
    """Whether a result may be kept: the consumers were in step with the stamp, and the
    database check of the hits kept every hit the engine gave for this page."""
    newest = fragments.stamp()[0] or 0
    if any(outbox.position(name) < newest for name in INPUTS):
        return False
    expected = max(0, min(results.per_page, results.total - (results.page - 1) * results.per_page))
    return len(results.hits) == expected
