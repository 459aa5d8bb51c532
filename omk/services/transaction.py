"""The one owner of the commit: a unit of work around every write."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from flask import g, has_app_context
from sqlalchemy.orm import Session

from omk.extensions import db

#: Execution option that makes the SQLite dialect start the transaction with BEGIN IMMEDIATE.
WRITE_OPTION = "omk_write"


@contextmanager
def unit_of_work() -> Iterator[Session]:
    """Run the block in one write transaction and commit it; roll back on any error.

    On SQLite the transaction starts with ``BEGIN IMMEDIATE`` so that concurrent writers
    queue on the busy timeout instead of failing with "database is locked". Callbacks
    registered with :func:`after_commit` run once the commit succeeded (mail, indexing).
    """
    session = db.session()
    if session.new or session.dirty or session.deleted:
        raise RuntimeError("unit_of_work: the session holds changes made outside a unit of work")
    if session.in_transaction():
        # End the read transaction of this request so the write starts on fresh data.
        session.rollback()
    callbacks: list[Callable[[], object]] = []
    previous = g.get("omk_after_commit") if has_app_context() else None
    if has_app_context():
        g.omk_after_commit = callbacks
    try:
        session.connection(execution_options={WRITE_OPTION: True})
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        if has_app_context():
            g.omk_after_commit = previous
    for callback in callbacks:
        callback()


def after_commit(callback: Callable[[], object]) -> None:
    """Run ``callback`` after the current unit of work commits (never if it rolls back)."""
    callbacks = g.get("omk_after_commit") if has_app_context() else None
    if callbacks is None:
        raise RuntimeError("after_commit outside a unit of work")
    callbacks.append(callback)
