"""The suggestions of a kind for a whole cycle as a request reads them: stored
(:mod:`omk.synergies.store`), loaded once per stored list and kept by each web process.

A provider computes its suggestions from published material only: reports and their
practices, validations, published peer reviews, the stored similar pairs, the register and
the synergy content. :func:`signature` sums that state up in a few aggregate queries, read at
every request; a stored list made from another state is stale. The store computes stale lists
after the response or by cron, and here only when that is cheap
(:func:`omk.synergies.store.may_compute_now`); meanwhile the stored list is served with its
"Stand" (:class:`Freshness`). Judgements are not part of it: they are applied to every
request's view (:func:`omk.synergies.judgements.view_with_freshness`), so a confirmation or
dismissal shows at once.

Kept per process, cycle and kind, at most :data:`MAX_KEPT` lists, filtered once per region
asked for; a suggestion is made from its stored text only when it is read, once per language.
The lists are shared: callers copy a suggestion before changing it.
"""

from __future__ import annotations

import threading
from bisect import bisect_left
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any, TypeVar, overload

from flask import current_app
from flask_babel import get_locale
from sqlalchemy import func, select

from omk.extensions import db
from omk.models.outbox import OutboxEntry
from omk.models.reporting import Cycle, Report
from omk.models.similarity import SimilarPractice
from omk.models.synergies import PeerReview, PeerReviewComment, PracticeValidation
from omk.synergies import content, store
from omk.synergies.suggestions import Provider, Suggestion, best_first, in_region

MAX_KEPT = 12  # lists (cycle × kind) per process
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


class Listed:
    """Suggestions already made (computed in this process), read as :class:`Stored` is."""

    def __init__(self, items: list[Suggestion]) -> None:
        self.items = items

    def __len__(self) -> int:
        return len(self.items)

    @cached_property
    def _positions(self) -> dict[tuple[str, str, str, str], int]:
        return {s.identity: n for n, s in enumerate(self.items)}

    def candidates(self, identity: tuple[str, str, str, str]) -> list[int]:
        found = self._positions.get(identity)
        return [] if found is None else [found]

    def positions(self, region: str) -> Sequence[int]:
        everything = range(len(self.items))
        if not region:
            return everything
        return [n for n in everything if in_region(self.items[n].municipality_keys, region)]

    def suggestion(self, n: int, locale: str = "") -> Suggestion:
        return self.items[n]  # made in the language of the request that computed them


class Kept:
    """One kind's stored suggestions of a cycle as loaded by this process, all of Germany in
    the order of :func:`~omk.synergies.suggestions.best_first`, and each region asked for
    since. ``state`` names the snapshot they were loaded from. A suggestion is made from its
    stored text only when asked for, once per language."""

    def __init__(self, state: tuple[Any, ...], source: store.Stored | Listed) -> None:
        self.state = state
        self.source = source
        self.made: dict[tuple[int, str], Suggestion] = {}
        self.regions: dict[str, Regional] = {}

    def suggestion(self, n: int) -> Suggestion:
        """The suggestion at position ``n``, in the language of the request."""
        key = (n, store.language())
        found = self.made.get(key)
        if found is None:
            found = self.made[key] = self.source.suggestion(*key)
        return found

    def of(self, region: str) -> Regional:
        """The suggestions with a side in ``region``, in the same order (filtered once)."""
        found = self.regions.get(region)
        if found is None:
            found = self.regions[region] = Regional(self, self.source.positions(region))
        return found


class Regional:
    """The kept suggestions of one region (:attr:`items`, made when read), and where one is
    among them (:meth:`find`, by identity)."""

    def __init__(self, kept: Kept | None, positions: Sequence[int]) -> None:
        self.items: Sequence[Suggestion] = Made(kept, positions) if kept is not None else []
        self._kept = kept
        self._positions = positions

    def find(self, identity: tuple[str, str, str, str]) -> int | None:
        """The place in :attr:`items` of the suggestion with this identity, if the region
        has it: the list finds its position by its hash; only a position in the region (they
        are in order) is confirmed on the suggestion, so a judgement elsewhere reads nothing."""
        if self._kept is None:
            return None
        for n in self._kept.source.candidates(identity):
            at = bisect_left(self._positions, n)
            inside = at < len(self._positions) and self._positions[at] == n
            if inside and self._kept.suggestion(n).identity == identity:
                return at
        return None


class _ByPosition(Sequence[Suggestion]):
    """Suggestions read at positions (:attr:`_order`) of something else, when asked for."""

    _order: Sequence[int]

    def _at(self, n: int) -> Suggestion:
        raise NotImplementedError

    def __len__(self) -> int:
        return len(self._order)

    @overload
    def __getitem__(self, i: int) -> Suggestion: ...

    @overload
    def __getitem__(self, i: slice) -> list[Suggestion]: ...

    def __getitem__(self, i: int | slice) -> Suggestion | list[Suggestion]:
        if isinstance(i, slice):
            return [self._at(n) for n in self._order[i]]
        return self._at(self._order[i])


class Made(_ByPosition):
    """Suggestions of a kept list at some of its positions, each made when read."""

    def __init__(self, kept: Kept, positions: Sequence[int]) -> None:
        self._kept = kept
        self._order = positions

    def _at(self, n: int) -> Suggestion:
        return self._kept.suggestion(n)


class Reordered(_ByPosition):
    """A list of suggestions with some replaced (``changed``, by position) and those then
    dismissed moved to the end, in their order; the others are read only when asked for."""

    def __init__(self, items: Sequence[Suggestion], changed: dict[int, Suggestion]) -> None:
        self._items = items
        self._changed = changed
        last = sorted(n for n, s in changed.items() if s.status == "dismissed")
        if last:
            moved = set(last)
            self._order = [n for n in range(len(items)) if n not in moved] + last
        else:
            self._order = range(len(items))

    def _at(self, n: int) -> Suggestion:
        found = self._changed.get(n)
        return found if found is not None else self._items[n]


@dataclass(frozen=True)
class Served:
    """What one call of :func:`kept` served: the region's suggestions (shared), and how
    fresh they are."""

    regional: Regional
    #: When the published state they were made from was read (None: none stored yet).
    computed_at: datetime | None
    #: Whether they were made from the current published state.
    current: bool

    @property
    def items(self) -> Sequence[Suggestion]:
        return self.regional.items

    def find(self, identity: tuple[str, str, str, str]) -> int | None:
        return self.regional.find(identity)


@dataclass(frozen=True)
class Freshness:
    """How fresh the suggestions of several kinds are, together."""

    #: The oldest "Stand" among them (None: none stored yet).
    computed_at: datetime | None
    #: Whether all were made from the current published state.
    current: bool
    #: Whether a kind had none stored yet (shown empty until computed).
    missing: bool


def freshness(served: Iterable[Served]) -> Freshness:
    """The freshness of what several calls of :func:`kept` served."""
    items = list(served)
    dates = [s.computed_at for s in items if s.computed_at is not None]
    return Freshness(
        min(dates, default=None),
        all(s.current for s in items),
        any(s.computed_at is None for s in items),
    )


def _kept() -> OrderedDict[tuple[Any, ...], Kept]:
    kept: Any = current_app.extensions.setdefault(_EXTENSION, OrderedDict())
    return kept  # type: ignore[no-any-return]  # the dict this module put there


def kept(
    provider: Provider, cycle: Cycle, region: str = "", state: tuple[Any, ...] | None = None
) -> Served:
    """The provider's suggestions of the cycle with a side in ``region``, in the order of
    :func:`~omk.synergies.suggestions.best_first`, as stored (:mod:`omk.synergies.store`).
    A snapshot made from another published state (``state``, else :func:`signature`) is
    computed anew here only when :func:`~omk.synergies.store.may_compute_now` allows it, else
    after the response or by cron, and served meanwhile as it is. Loaded once per snapshot
    and kept by the process; shared: copy a suggestion before changing it."""
    if _live.get():
        items = sorted(provider.suggestions(cycle, ""), key=best_first)
        return Served(Kept((), Listed(items)).of(region), None, True)
    if state is None:
        state = signature(cycle)
    current = store.state_text(state)
    header = store.headers(cycle.id).get((cycle.id, provider.kind))
    if header is None or header.state != current:
        if store.may_compute_now(provider.kind, header):
            header = store.compute(provider, cycle, state) or header
        else:
            store.refresh_after_response()
    if header is None:
        return Served(Regional(None, []), None, False)
    key = (provider.kind, id(provider), cycle.id)
    loaded = (header.id, header.computed_at)
    with _lock:
        lists = _kept()
        found = lists.get(key)
        if found is None or found.state != loaded:
            found = Kept(loaded, store.load(header))
            lists[key] = found
        lists.move_to_end(key)
        while len(lists) > MAX_KEPT:
            lists.popitem(last=False)
        return Served(found.of(region), header.computed_at, header.state == current)


def suggestions(provider: Provider, cycle: Cycle) -> Sequence[Suggestion]:
    """The provider's suggestions of the cycle for all of Germany (:func:`kept`)."""
    return kept(provider, cycle).items


def find(
    provider: Provider, cycle: Cycle, identity: tuple[str, str, str, str]
) -> Suggestion | None:
    """The provider's suggestion of the cycle with this identity, if it makes it."""
    served = kept(provider, cycle)
    n = served.find(identity)
    return served.items[n] if n is not None else None


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
