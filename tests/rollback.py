"""A test's database as one transaction on one connection, rolled back after the test.

The schema is created once per session; every test then runs on a single connection inside
an outer transaction that is rolled back at its end, instead of building a new database. Every
session of every app the test builds (the test body's, each request's, the CLI's, the outbox
consumers') is bound to that connection and runs in a SAVEPOINT of its own
(``join_transaction_mode="create_savepoint"``): a commit releases its savepoint, a rollback
goes back to it.

One thing differs from separate connections: the test body's session may hold a read
savepoint while a request commits inside it; rolling that savepoint back afterwards would
discard the request's work. A savepoint that wrote nothing has nothing to undo, so its
rollback is sent as a RELEASE (the later commits inside it stay). A savepoint that wrote and
then rolls back after another session committed inside it cannot be honoured: that raises.

What a single connection cannot do fails loudly rather than passing unseen: a second
connection from any of the test's engines (a fresh connection that would see none of the
test's rows) and a session used from another thread (a live server) raise and name the
``fresh_db`` marker, which gives the test a database of its own as before.
"""

from __future__ import annotations

import re
import threading
import types
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy import event, text
from sqlalchemy.engine import Connection, Engine, Transaction

from omk.extensions import db

_WRITE = re.compile(r"\s*(INSERT|UPDATE|DELETE|REPLACE|CREATE|DROP|ALTER)\b", re.IGNORECASE)

ADVICE = "mark the test @pytest.mark.fresh_db (it needs a database of its own)"


class NeedsFreshDatabase(RuntimeError):
    """The test does something one shared connection cannot stand in for."""

    def __init__(self, what: str) -> None:
        super().__init__(f"{what}: {ADVICE}")


@dataclass
class _Savepoint:
    name: str
    wrote: bool = False  # this savepoint's own writes (not those of released inner ones)
    kept: bool = False  # an inner savepoint committed (released) writes into it


@dataclass
class SharedConnection:
    """The test's one connection, its outer transaction and its savepoints."""

    connection: Connection
    outer: Transaction
    thread: int = field(default_factory=threading.get_ident)
    savepoints: list[_Savepoint] = field(default_factory=list)

    def wrote(self) -> None:
        if self.savepoints:
            self.savepoints[-1].wrote = True

    def opened(self, name: str) -> None:
        self.savepoints.append(_Savepoint(name))

    def _pop_to(self, name: str) -> _Savepoint | None:
        for i in range(len(self.savepoints) - 1, -1, -1):
            if self.savepoints[i].name == name:
                found = self.savepoints[i]
                del self.savepoints[i:]
                return found
        return None

    def released(self, name: str) -> None:
        done = self._pop_to(name)
        if done is not None and (done.wrote or done.kept) and self.savepoints:
            self.savepoints[-1].kept = True

    def rolled_back(self, name: str) -> bool:
        """Forget the savepoint; True if it must really be rolled back (False: release it)."""
        done = self._pop_to(name)
        if done is None or not done.wrote:
            if done is not None and done.kept and self.savepoints:
                self.savepoints[-1].kept = True
            return False
        if done.kept:
            raise NeedsFreshDatabase(
                "a session rolled back its own writes after another session committed inside"
                " its transaction"
            )
        return True


def _instrument(engine: Engine, shared: SharedConnection) -> None:
    """Route the dialect's savepoint statements of ``engine`` through ``shared``."""
    dialect = engine.dialect
    plain_savepoint = dialect.do_savepoint
    plain_release = dialect.do_release_savepoint
    plain_rollback = dialect.do_rollback_to_savepoint

    def do_savepoint(_self: Any, connection: Connection, name: str) -> None:
        plain_savepoint(connection, name)
        shared.opened(name)

    def do_release_savepoint(_self: Any, connection: Connection, name: str) -> None:
        plain_release(connection, name)
        shared.released(name)

    def do_rollback_to_savepoint(_self: Any, connection: Connection, name: str) -> None:
        if shared.rolled_back(name):
            plain_rollback(connection, name)
        else:
            plain_release(connection, name)

    dialect.do_savepoint = types.MethodType(do_savepoint, dialect)  # type: ignore[method-assign]  # per-engine instance
    dialect.do_release_savepoint = types.MethodType(do_release_savepoint, dialect)  # type: ignore[method-assign]  # per-engine instance
    dialect.do_rollback_to_savepoint = types.MethodType(do_rollback_to_savepoint, dialect)  # type: ignore[method-assign]  # per-engine instance


class RollbackDatabase:
    """Binds every session of the test's apps to one connection; rolls it back at the end."""

    def __init__(self) -> None:
        # A patcher of its own: a test's monkeypatch.undo() must not unbind its sessions.
        self.monkeypatch = pytest.MonkeyPatch()
        self.shared: SharedConnection | None = None
        self._opening = False
        self._sequences: list[str] = []

    def adopt(self, engine: Engine) -> None:
        """Take the test's connection from the first app's engine; guard every engine."""

        @event.listens_for(engine, "checkout")
        def one_connection(*_args: Any) -> None:
            if not self._opening:
                raise NeedsFreshDatabase("the test opened a second database connection")

        if self.shared is not None:
            _instrument(engine, self.shared)
            return
        self._opening = True
        try:
            connection = engine.connect()
        finally:
            self._opening = False
        shared = SharedConnection(connection, connection.begin())
        self.shared = shared
        _instrument(engine, shared)

        @event.listens_for(connection, "before_cursor_execute")
        def note_write(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
            if _WRITE.match(statement):
                shared.wrote()

        if engine.dialect.name == "postgresql":
            restart_sequences(connection)

        def get_bind(_session: FlaskSession, *_args: Any, **_kwargs: Any) -> Connection:
            if threading.get_ident() != shared.thread:
                raise NeedsFreshDatabase("a session was used from another thread")
            return connection

        self.monkeypatch.setattr(FlaskSession, "get_bind", get_bind)
        self.monkeypatch.setitem(
            db.session.session_factory.kw, "join_transaction_mode", "create_savepoint"
        )

    def close(self) -> None:
        self.monkeypatch.undo()
        if self.shared is None:
            return
        self.shared.outer.rollback()
        self.shared.connection.close()
        self.shared = None


def restart_sequences(connection: Connection) -> None:
    """Start PostgreSQL's sequences at 1 as a fresh database would (setval is not rolled back
    with the transaction, so ids would otherwise grow from test to test)."""
    names = connection.scalars(
        text("SELECT sequencename FROM pg_sequences WHERE schemaname = 'public'")
    ).all()
    if names:
        calls = ", ".join(f"setval('{n}', 1, false)" for n in names)
        connection.execute(text(f"SELECT {calls}"))


@contextmanager
def rolled_back() -> Iterator[RollbackDatabase]:
    database = RollbackDatabase()
    try:
        yield database
    finally:
        database.close()
