"""The one owner of the commit: a unit of work around every write.

A service opens ``with unit_of_work():`` *before* it reads anything that decides the write,
locks what it changes (:func:`lock`), then reads, checks and writes, all in one transaction.
A unit of work opened inside another one joins it: nothing commits until the outermost one
ends, and nothing the outer one flushed is discarded. Side effects (mail, the search index)
are registered with :func:`after_commit` and run once, after the outermost commit, each on
its own so that one failing callback does not keep the others from running.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from omk.extensions import db

log = logging.getLogger("omk.transaction")

#: Execution option that makes the SQLite dialect start the transaction with BEGIN IMMEDIATE.
WRITE_OPTION = "omk_write"

#: Key in ``Session.info`` holding the callbacks of the unit of work in progress.
_CALLBACKS = "omk_after_commit"

T = TypeVar("T")


@contextmanager
def unit_of_work() -> Iterator[Session]:
    """Run the block in one write transaction and commit it; roll back on any error.

    On SQLite the transaction starts with ``BEGIN IMMEDIATE`` so that concurrent writers
    queue on the busy timeout instead of failing with "database is locked" (and every read
    inside sees the data the write will change). Inside another unit of work it joins that
    one: the outer block commits, and this block's callbacks run after that commit.
    """
    session = db.session()
    if _CALLBACKS in session.info:
        yield session
        return
    if session.new or session.dirty or session.deleted:
        raise RuntimeError("unit_of_work: the session holds changes made outside a unit of work")
    if session.in_transaction():
        # End the read transaction of this request: the write starts on fresh data, and
        # everything that decides it is read again inside (see lock()).
        session.rollback()
    callbacks: list[Callable[[], object]] = []
    session.info[_CALLBACKS] = callbacks
    try:
        session.connection(execution_options={WRITE_OPTION: True})
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.info.pop(_CALLBACKS, None)
    _run_callbacks(callbacks)


def _run_callbacks(callbacks: list[Callable[[], object]]) -> None:
    for callback in callbacks:
        try:
            callback()
        except Exception:
            # The data is committed; a side effect that failed (an unreachable mail server)
            # must not hide that from the user nor stop the next side effect.
            log.exception("after_commit callback %r failed", callback)


def in_unit_of_work() -> bool:
    """Whether a unit of work is open on the current session."""
    return _CALLBACKS in db.session().info


def after_commit(callback: Callable[[], object]) -> None:
    """Run ``callback`` after the current unit of work commits (never if it rolls back)."""
    callbacks: list[Callable[[], object]] | None = db.session().info.get(_CALLBACKS)
    if callbacks is None:
        raise RuntimeError("after_commit outside a unit of work")
    callbacks.append(callback)


def lock(model: type[T], ident: Any) -> T | None:
    """Load a row for update inside the unit of work, fresh from the database.

    PostgreSQL takes a row lock (``SELECT … FOR UPDATE``) held until the commit; SQLite holds
    the database's write lock since ``BEGIN IMMEDIATE``. Either way no other writer can change
    the row between this read and the commit, so what the service reads here decides the write.
    """
    if not in_unit_of_work():
        raise RuntimeError("lock() outside a unit of work")
    pk = model.__mapper__.primary_key[0]  # type: ignore[attr-defined]  # mapped classes have it
    # Lock the bare row (joined eager loads cannot be locked on the nullable side), then
    # load the object afresh into the identity map.
    if db.session.scalar(select(pk).where(pk == ident).with_for_update()) is None:
        return None
    return db.session.get(model, ident, populate_existing=True)
