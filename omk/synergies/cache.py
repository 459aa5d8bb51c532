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
(:func:`omk.synergies.judgements.apply`), so a confirmation or dismissal shows at once.

Kept per process, cycle, kind and language (the explanations are translated), at most
:data:`MAX_KEPT` lists; the lists are shared: callers copy a suggestion before changing it.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from flask import current_app
from flask_babel import get_locale
from sqlalchemy import func, select

from omk.extensions import db
from omk.models.outbox import OutboxEntry
from omk.models.reporting import Cycle, Report
from omk.models.similarity import SimilarPractice
from omk.models.synergies import PeerReview, PeerReviewComment, PracticeValidation
from omk.synergies import content
from omk.synergies.suggestions import Provider, Suggestion

MAX_KEPT = 12  # lists (cycle × kind × language) per process
_EXTENSION = "omk_synergy_cache"
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


def _kept() -> OrderedDict[tuple[Any, ...], tuple[tuple[Any, ...], list[Suggestion]]]:
    kept: Any = current_app.extensions.setdefault(_EXTENSION, OrderedDict())
    return kept  # type: ignore[no-any-return]  # the dict this module put there


def suggestions(
    provider: Provider, cycle: Cycle, state: tuple[Any, ...] | None = None
) -> list[Suggestion]:
    """The provider's suggestions of the cycle for all of Germany, best first: the kept list
    while the published state (``state``, else :func:`signature`) is unchanged, else computed
    (and kept). Shared: copy a suggestion before changing it."""
    if _live.get():
        return provider.suggestions(cycle, "")
    key = (provider.kind, id(provider), cycle.id, str(get_locale() or "de"))
    if state is None:
        state = signature(cycle)
    with _lock:  # one computation at a time in a process: a second request waits for it
        kept = _kept()
        found = kept.get(key)
        if found is not None and found[0] == state:
            kept.move_to_end(key)
            return found[1]
        computed = provider.suggestions(cycle, "")
        kept[key] = (state, computed)
        kept.move_to_end(key)
        while len(kept) > MAX_KEPT:
            kept.popitem(last=False)
        return computed


def forget() -> None:
    """Drop every kept list of this process."""
    with _lock:
        _kept().clear()


@contextmanager
def computing_live() -> Iterator[None]:
    """Compute every list on every call, as before the lists were kept (the benchmark's
    "before")."""
    token = _live.set(True)
    try:
        yield
    finally:
        _live.reset(token)
