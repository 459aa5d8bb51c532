"""The suggestions of a kind for a whole cycle, kept by each web process until the published
state changes.

A provider computes its suggestions from published material only: reports and their
practices, validations, published peer reviews, the stored similar pairs, the register and
the synergy content. So the suggestions of a cycle (all of Germany; a region only filters
them) are kept with a :func:`signature` of that state, read with a few aggregate queries at
every request, and computed anew when it differs: a publication or correction (a new
published revision), a validation, a published peer review or its answers, similar pairs
stored by the outbox consumer, a register update (an outbox entry), an edited content file.
Judgements are not part of it: they are applied to every request's view
(:func:`omk.synergies.judgements.view_by_kind`), so a confirmation or dismissal shows at once.

Kept per process, cycle, kind and language (the explanations are translated), at most
:data:`MAX_KEPT` lists, sorted once, and filtered once per region asked for; the lists are
shared: callers copy a suggestion before changing it.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, TypeVar

from flask import current_app
from flask_babel import get_locale
from sqlalchemy import func, select

from omk.extensions import db
from omk.models.outbox import OutboxEntry
from omk.models.reporting import Cycle, Report
from omk.models.similarity import SimilarPractice
from omk.models.synergies import PeerReview, PeerReviewComment, PracticeValidation
from omk.synergies import content
from omk.synergies.suggestions import Provider, Suggestion, best_first, in_region

MAX_KEPT = 12  # lists (cycle × kind × language) per process
_EXTENSION = "omk_synergy_cache"
_OTHERS = "omk_synergy_cache_others"
T = TypeVar("T")
_live: ContextVar[bool] = ContextVar("synergies_live", default=False)
_lock = threading.Lock()


def signature(cycle: Cycle) -> tuple[Any, ...]:
    """What the suggestions of ``cycle`` are made from, in a few numbers: it changes with
    every publication, correction, validation, published peer review, stored similar pair,
    outbox entry and synergy content file."""
    reports = db.session.execute(
        select(
            func.count(Report.id),
            func.coalesce(func.sum(Report.published_revision_id), 0),
            func.coalesce(func.max(Report.published_revision_id), 0),
        ).where(Report.published_revision_id.is_not(None))
    ).one()
    validations = db.session.execute(
        select(func.count(PracticeValidation.id), func.max(PracticeValidation.id))
    ).one()
    reviews = db.session.execute(
        select(
            func.count(PeerReview.id),
            func.max(PeerReview.published_at),
            func.coalesce(func.sum(PeerReview.id), 0),
        ).where(PeerReview.status == "published")
    ).one()
    comments = db.session.execute(
        select(func.count(PeerReviewComment.id), func.max(PeerReviewComment.id))
    ).one()
    similar = db.session.execute(
        select(func.count(), func.max(SimilarPractice.computed_at)).select_from(SimilarPractice)
    ).one()
    outbox = db.session.scalar(select(func.max(OutboxEntry.id)))
    return (
        cycle.id,
        tuple(reports),
        tuple(validations),
        tuple(reviews),
        tuple(comments),
        tuple(similar),
        outbox,
        content.version(),
    )


@dataclass
class Kept:
    """One kind's suggestions of a cycle as kept: all of Germany in the order of
    :func:`~omk.synergies.suggestions.best_first`, and each region asked for since."""

    state: tuple[Any, ...]
    everywhere: list[Suggestion]
    regions: dict[str, Regional] = field(default_factory=dict)

    def of(self, region: str) -> Regional:
        """The suggestions with a side in ``region``, in the same order (filtered once)."""
        found = self.regions.get(region)
        if found is None:
            items = (
                self.everywhere
                if not region
                else [s for s in self.everywhere if in_region(s.municipality_keys, region)]
            )
            found = self.regions[region] = Regional(items)
        return found


@dataclass
class Regional:
    """The kept suggestions of one region, and where each is in the list."""

    items: list[Suggestion]

    @cached_property
    def index(self) -> dict[tuple[str, str, str, str], int]:
        return {s.identity: n for n, s in enumerate(self.items)}


def _kept() -> OrderedDict[tuple[Any, ...], Kept]:
    kept: Any = current_app.extensions.setdefault(_EXTENSION, OrderedDict())
    return kept  # type: ignore[no-any-return]  # the dict this module put there


def kept(
    provider: Provider, cycle: Cycle, region: str = "", state: tuple[Any, ...] | None = None
) -> Regional:
    """The provider's suggestions of the cycle with a side in ``region``, in the order of
    :func:`~omk.synergies.suggestions.best_first`: kept while the published state
    (``state``, else :func:`signature`) is unchanged, else computed for all of Germany (and
    kept). Shared: copy a suggestion before changing it."""
    if _live.get():
        return Kept((), sorted(provider.suggestions(cycle, ""), key=best_first)).of(region)
    key = (provider.kind, id(provider), cycle.id, str(get_locale() or "de"))
    if state is None:
        state = signature(cycle)
    with _lock:  # one computation at a time in a process: a second request waits for it
        lists = _kept()
        found = lists.get(key)
        if found is None or found.state != state:
            found = Kept(state, sorted(provider.suggestions(cycle, ""), key=best_first))
            lists[key] = found
        lists.move_to_end(key)
        while len(lists) > MAX_KEPT:
            lists.popitem(last=False)
        return found.of(region)


def suggestions(provider: Provider, cycle: Cycle) -> list[Suggestion]:
    """The provider's suggestions of the cycle for all of Germany (:func:`kept`)."""
    return kept(provider, cycle).items


def remembered(name: str, cycle: Cycle, region: str, compute: Callable[[], list[T]]) -> list[T]:
    """Another list made from the published state only (``name`` says which, e.g. the
    learning network), kept like the suggestions; shared: do not change it."""
    if _live.get():
        return compute()
    key = (name, cycle.id, region, str(get_locale() or "de"))
    state = signature(cycle)
    with _lock:
        others: Any = current_app.extensions.setdefault(_OTHERS, OrderedDict())
        found = others.get(key)
        if found is None or found[0] != state:
            found = others[key] = (state, compute())
        others.move_to_end(key)
        while len(others) > MAX_KEPT:
            others.popitem(last=False)
        return found[1]  # type: ignore[no-any-return]  # what compute() returned


def forget() -> None:
    """Drop every kept list of this process."""
    with _lock:
        _kept().clear()
        current_app.extensions.pop(_OTHERS, None)


@contextmanager
def computing_live() -> Iterator[None]:
    """Compute every list on every call, as before the lists were kept (the benchmark's
    "before")."""
    token = _live.set(True)
    try:
        yield
    finally:
        _live.reset(token)
