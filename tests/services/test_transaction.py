"""The unit of work: nested units join, callbacks run after the outermost commit, each alone."""

from __future__ import annotations

import logging

import pytest
from flask import Flask
from sqlalchemy import func, select

from omk.extensions import db
from omk.models import AuditEntry
from omk.services.transaction import after_commit, lock, unit_of_work


def _entries() -> int:
    return db.session.scalar(select(func.count(AuditEntry.id))) or 0


def test_an_inner_unit_of_work_joins_the_outer_one(app: Flask) -> None:
    ran: list[str] = []
    with unit_of_work():
        db.session.add(AuditEntry(action="outer"))
        db.session.flush()
        with unit_of_work():
            db.session.add(AuditEntry(action="inner"))
            after_commit(lambda: ran.append("inner"))
        assert ran == [], "callbacks wait for the outermost commit"
        after_commit(lambda: ran.append("outer"))
    db.session.rollback()
    assert sorted(db.session.scalars(select(AuditEntry.action))) == ["inner", "outer"]
    assert ran == ["inner", "outer"]


def test_an_error_in_the_inner_unit_rolls_back_the_whole(app: Flask) -> None:
    ran: list[str] = []
    with pytest.raises(ValueError), unit_of_work():
        db.session.add(AuditEntry(action="outer"))
        with unit_of_work():
            db.session.add(AuditEntry(action="inner"))
            after_commit(lambda: ran.append("never"))
            raise ValueError("boom")
    db.session.rollback()
    assert _entries() == 0
    assert ran == []


def test_a_failing_callback_does_not_stop_the_others(
    app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    ran: list[str] = []

    def broken_mail() -> None:
        raise ConnectionRefusedError("smtp down")

    with caplog.at_level(logging.ERROR, "omk.transaction"), unit_of_work():
        db.session.add(AuditEntry(action="change"))
        after_commit(broken_mail)
        after_commit(lambda: ran.append("index"))
    assert ran == ["index"]
    assert "smtp down" in caplog.text
    db.session.rollback()
    assert _entries() == 1, "the change is committed whatever a callback does"


def test_lock_needs_a_unit_of_work(app: Flask) -> None:
    with pytest.raises(RuntimeError):
        lock(AuditEntry, 1)
    with pytest.raises(RuntimeError):
        after_commit(lambda: None)
