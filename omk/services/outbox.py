"""The outbox: producers record changes to published material in the transaction of the
change; consumers apply them in order, each from its own cursor, idempotently.

Producers call :func:`published` (a report's published revision changed) or
:func:`municipalities_changed` (register data that published pages show) inside their unit of
work. On PostgreSQL every producer first takes one transaction-level advisory lock, so entries
commit in the order of their sequence numbers and a consumer that has read up to entry *n*
can never later find an entry below *n*. SQLite serialises all writers anyway.

A consumer is a name and a function that applies a batch of entries (it must tolerate seeing
an entry twice: a crash between applying and advancing the cursor repeats the batch).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path

from filelock import FileLock, Timeout
from flask import Response, after_this_request, current_app, has_request_context
from sqlalchemy import Select, bindparam, func, insert, select, text, update

from omk.extensions import db
from omk.models.outbox import OutboxCursor, OutboxEntry, OutboxKind
from omk.models.reporting import Practice, Report, Revision
from omk.models.types import utcnow
from omk.services.transaction import after_commit, in_unit_of_work, unit_of_work

log = logging.getLogger("omk.outbox")

#: Arbitrary constant naming the advisory lock that orders outbox producers on PostgreSQL.
_ORDER_LOCK = 0x6F6D6B01
#: How long the consumers may work in a web worker after its response, in seconds: what is
#: left stays pending for the next publication's kick or cron (``omk outbox drain``), so a
#: worker is never busy long enough for gunicorn to kill it (``timeout`` in gunicorn.conf.py).
AFTER_RESPONSE_SECONDS = 20.0
#: Entries applied per call of a consumer when a publication kicks it.
KICK_BATCH = 500

Apply = Callable[[Sequence[OutboxEntry]], None]


class ConsumerBusy(Exception):
    """Raised by a consumer that cannot apply entries now (another process is applying them):
    the entries stay pending for that process or the next drain."""


#: Registered consumers by name (the search index registers itself at app start).
_consumers: dict[str, Apply] = {}
#: The consumers each consumer reads the results of: it is applied after them.
_after: dict[str, tuple[str, ...]] = {}


def register_consumer(name: str, apply: Apply, *, after: Sequence[str] = ()) -> None:
    """Make ``apply`` a consumer of the outbox under ``name`` (its cursor's key); ``after``
    names consumers whose results it reads, applied before it whenever several are."""
    _consumers[name] = apply
    _after[name] = tuple(after)


def in_order(names: Iterable[str]) -> list[str]:
    """The consumers ``names`` in their order, each after those it reads from (else as
    given)."""
    given = list(names)
    placed: list[str] = []

    def place(name: str, seen: tuple[str, ...]) -> None:
        if name in placed or name in seen:
            return
        for before in _after.get(name, ()):
            if before in given:
                place(before, (*seen, name))
        placed.append(name)

    for name in given:
        place(name, ())
    return placed


def consumers() -> dict[str, Apply]:
    """The registered consumers."""
    return dict(_consumers)


def _producing() -> None:
    if not in_unit_of_work():
        raise RuntimeError("outbox entries are written inside the unit of work of the change")
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _ORDER_LOCK})


def _practice_ids(revision_id: int | None) -> list[str]:
    if revision_id is None:
        return []
    return list(
        db.session.scalars(
            select(Practice.uuid).where(Practice.revision_id == revision_id).order_by(Practice.uuid)
        )
    )


def published(report: Report, revision: Revision, previous_revision_id: int | None) -> None:
    """Record that ``revision`` is now the published revision of ``report`` (replacing
    ``previous_revision_id``). The practices concerned are those of both revisions, so a
    consumer also learns which practices the new revision no longer has."""
    _producing()
    db.session.flush()
    ids = sorted(set(_practice_ids(revision.id)) | set(_practice_ids(previous_revision_id)))
    db.session.add(
        OutboxEntry(
            kind=OutboxKind.REPORT_PUBLISHED.value,
            report_id=report.id,
            revision_id=revision.id,
            municipality_key=report.municipality_key,
            practice_ids=ids,
        )
    )
    after_commit(kick_after_response)


def practice_validated(report_id: int, revision_id: int, key: str, practice_id: str) -> None:
    """Record that a published practice's validation (good practice or not) changed."""
    _producing()
    db.session.add(
        OutboxEntry(
            kind=OutboxKind.PRACTICE_VALIDATED.value,
            report_id=report_id,
            revision_id=revision_id,
            municipality_key=key,
            practice_ids=[practice_id],
        )
    )
    after_commit(kick_after_response)


def municipalities_changed(keys: Iterable[str]) -> int:
    """Record that the register data of these municipalities changed; returns the count."""
    rows = [
        {
            "kind": OutboxKind.MUNICIPALITY_CHANGED.value,
            "municipality_key": key,
            "practice_ids": [],
            "created_at": utcnow(),
        }
        for key in sorted(set(keys))
    ]
    if not rows:
        return 0
    _producing()
    db.session.execute(insert(OutboxEntry), rows)
    after_commit(kick_after_response)
    return len(rows)


def position(consumer: str) -> int:
    """The id of the last entry ``consumer`` has applied (0: none)."""
    value = db.session.scalar(_cursor_position(), {"consumer": consumer})
    return int(value or 0)


@cache
def _cursor_position() -> Select[int]:
    """Built once: pages ask a consumer's position on every visit."""
    return select(OutboxCursor.position).where(OutboxCursor.consumer == bindparam("consumer"))


def pending(consumer: str, limit: int = 500) -> list[OutboxEntry]:
    """The next entries ``consumer`` has not applied yet, oldest first."""
    return list(
        db.session.scalars(
            select(OutboxEntry)
            .where(OutboxEntry.id > position(consumer))
            .order_by(OutboxEntry.id)
            .limit(limit)
        )
    )


def advance(consumer: str, to: int) -> None:
    """Move ``consumer``'s cursor forward to ``to`` (never backwards)."""
    with unit_of_work():
        moved = db.session.execute(
            update(OutboxCursor)
            .where(OutboxCursor.consumer == consumer, OutboxCursor.position < to)
            .values(position=to, updated_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        # an UPDATE returns a CursorResult, typed as the plain Result
        if not moved.rowcount and db.session.get(OutboxCursor, consumer) is None:  # type: ignore[attr-defined]
            db.session.add(OutboxCursor(consumer=consumer, position=to))


def reset(consumer: str, to: int) -> None:
    """Set ``consumer``'s cursor to ``to``, also backwards (after a rebuild from a snapshot:
    entries after ``to`` are applied again, idempotently)."""
    with unit_of_work():
        cursor = db.session.get(OutboxCursor, consumer)
        if cursor is None:
            db.session.add(OutboxCursor(consumer=consumer, position=to))
        else:
            cursor.position, cursor.updated_at = to, utcnow()


def drain(consumer: str, apply: Apply, *, batch: int = 500) -> int:
    """Apply every pending entry to ``consumer`` in order; returns how many were applied.

    The cursor moves after each batch is applied: a crash in between repeats that batch,
    which ``apply`` must tolerate (apply idempotently)."""
    return _drain(consumer, apply, batch, None)[0]


def _drain(consumer: str, apply: Apply, batch: int, deadline: float | None) -> tuple[int, bool]:
    """:func:`drain`, stopping after the batch that passes ``deadline`` (``time.monotonic``);
    returns how many entries were applied and whether none is left (False: the consumer was
    busy or the time was up)."""
    done = 0
    while True:
        db.session.rollback()  # see what committed since the last batch
        entries = pending(consumer, batch)
        if not entries:
            return done, True
        try:
            apply(entries)
        except ConsumerBusy:
            log.debug("outbox consumer %s busy; %d entries stay pending", consumer, len(entries))
            return done, False
        advance(consumer, entries[-1].id)
        done += len(entries)
        if deadline is not None and time.monotonic() > deadline:
            log.info(
                "outbox consumer %s: time is up after %d entries; the rest waits", consumer, done
            )
            return done, False


@contextmanager
def _draining(consumer: str) -> Iterator[bool]:
    """Whether this process alone drains ``consumer`` now (:func:`alone`). The workers of one
    machine take turns; on PostgreSQL servers on other machines may apply the same entries
    meanwhile, which consumers tolerate."""
    with alone(f"outbox-{consumer}") as only:
        yield only


@contextmanager
def alone(name: str) -> Iterator[bool]:
    """Whether this process alone does ``name`` now, tried without waiting (a lock file
    ``<name>.lock`` in the instance folder, writable by every account: a command run as
    another user must not lock the web workers out). A lock file that cannot be opened is
    passed over (logged): the work is done anyway."""
    path = Path(current_app.instance_path) / f"{name}.lock"
    lock = FileLock(path, mode=0o666, thread_local=False)
    try:
        lock.acquire(timeout=0)
    except Timeout:
        yield False
        return
    except OSError as exc:
        log.warning("lock %s unusable (%s); working without it", path, exc)
        yield True
        return
    try:
        yield True
    finally:
        lock.release()


def _drain_alone(consumer: str, apply: Apply, deadline: float | None) -> None:
    """Drain ``consumer`` unless another process is draining it: that one applies the new
    entries too, as it reads the pending entries after every batch, and once more after it
    lets go of the consumer (here: the loop), so nothing waits for cron because of a race."""
    while True:
        with _draining(consumer) as alone:
            if not alone:
                log.debug("outbox consumer %s is being drained by another process", consumer)
                return
            _, finished = _drain(consumer, apply, KICK_BATCH, deadline)
        if not finished:
            return
        db.session.rollback()
        if not pending(consumer, 1):
            return


_deferred: ContextVar[bool] = ContextVar("omk_outbox_deferred", default=False)
_after_response: ContextVar[bool] = ContextVar("omk_outbox_after_response", default=False)


def after_response() -> bool:
    """Whether consumers run in a web worker after it sent a response: a slow consumer does a
    bounded share there and leaves the rest (``ConsumerBusy``) to the next kick or cron."""
    return _after_response.get()


@contextmanager
def deferred() -> Iterator[None]:
    """Leave consumers alone while the block publishes many reports (the demo seeder, bulk
    imports), then apply everything at once: one search update, one similarity run."""
    token = _deferred.set(True)
    try:
        yield
    finally:
        _deferred.reset(token)
    kick()


def kick_after_response() -> None:
    """Apply new entries once the response has been sent (in a request), else right away
    (unless a :func:`deferred` block applies them at its end).

    The reviewer who accepts does not wait for the index; the same worker applies the
    entries after sending the response (``call_on_close``), in an app context of its own."""
    if _deferred.get():
        return
    if not has_request_context():
        kick()
        return
    app = current_app._get_current_object()  # type: ignore[attr-defined]  # werkzeug proxy

    def run() -> None:
        token = _after_response.set(True)
        try:
            with app.app_context():
                kick()
        finally:
            _after_response.reset(token)

    @after_this_request
    def _schedule(response: Response) -> Response:
        response.call_on_close(run)
        return response


def kick() -> None:
    """Drain every registered consumer (after a commit that wrote outbox entries), each unless
    another process is draining it; after a response, no new batch is started once
    :data:`AFTER_RESPONSE_SECONDS` have passed (what is left waits for the next kick or cron's
    ``omk outbox drain``)."""
    deadline = time.monotonic() + AFTER_RESPONSE_SECONDS if after_response() else None
    for name, apply in _by_lag(consumers()):
        if deadline is not None and time.monotonic() > deadline:
            log.info("outbox: time is up; consumer %s waits for the next drain", name)
            continue
        try:
            _drain_alone(name, apply, deadline)
        except Exception:
            # The change is committed and stays in the outbox: the next kick or
            # `omk outbox drain` (cron) applies it.
            log.exception("outbox consumer %s failed; entries stay pending", name)


def _by_lag(registered: dict[str, Apply]) -> list[tuple[str, Apply]]:
    """The consumers furthest behind first (when the time after a response runs out, not
    always the same one is left for later); in the order registered if the positions cannot
    be read (each consumer then fails, logged, on its own)."""
    try:
        by_lag = sorted(registered, key=position)
    except Exception:
        log.exception("outbox: consumer positions unreadable")
        db.session.rollback()
        by_lag = list(registered)
    return [(name, registered[name]) for name in in_order(by_lag)]


@dataclass(frozen=True)
class Lag:
    """How far a consumer is behind: entries not applied and the age of the oldest."""

    consumer: str
    position: int
    pending: int
    oldest_at: datetime | None


def lag(consumer: str) -> Lag:
    """How far ``consumer`` is behind the outbox."""
    at = position(consumer)
    count, oldest = db.session.execute(
        select(func.count(OutboxEntry.id), func.min(OutboxEntry.created_at)).where(
            OutboxEntry.id > at
        )
    ).one()
    return Lag(consumer, at, int(count), oldest)
