"""What the comparison modules share: parameters, content, cycles, the scoreboard table."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Literal

import yaml
from flask import current_app
from sqlalchemy import select

from omk.compare import scoreboard
from omk.compare.bases import BASES
from omk.content import Content, Indicator
from omk.errors import FieldError, NotFound, ValidationFailed
from omk.extensions import db
from omk.models.reporting import Cycle, Report

#: Why a value is missing (message ids; the API says ``missing`` / ``no_denominator``).
NOT_GIVEN = "im veröffentlichten Bericht nicht angegeben"

#: Member lists up to this size are filtered in SQL (``IN``); larger groups read the cycle.
_IN_LIMIT = 400


def invalid(name: str, message: str) -> ValidationFailed:
    """A validation error of one parameter (its message also the error's message)."""
    return ValidationFailed([FieldError(name, message)], message)


def content() -> Content:
    result: Content = current_app.extensions["omk_content"]
    return result


@functools.lru_cache(maxsize=4)
def _table(path: str, mtime: float) -> scoreboard.Table:
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    return scoreboard.parse_table(data)


def table() -> scoreboard.Table:
    """The level × change table of content/scoreboard.yaml (cached by modification time)."""
    path = content().root / "scoreboard.yaml"
    return _table(str(path), path.stat().st_mtime)


def cycles_until(cycle: Cycle) -> list[Cycle]:
    """The cycles up to ``cycle`` (by period end), oldest first."""
    return list(
        db.session.scalars(
            select(Cycle)
            .where(Cycle.period_end <= cycle.period_end)
            .order_by(Cycle.period_end, Cycle.code)
        )
    )


def get_cycle(code: str) -> Cycle:
    found = db.session.scalar(select(Cycle).where(Cycle.code == code))
    if found is None:
        raise NotFound("Diese Berichtsrunde gibt es nicht.")
    return found


def latest_cycle_with_published() -> Cycle | None:
    """The newest cycle (by period end) with at least one published report."""
    return db.session.scalar(
        select(Cycle)
        .join(Report, Report.cycle_id == Cycle.id)
        .where(Report.published_revision_id.is_not(None))
        .order_by(Cycle.period_end.desc(), Cycle.code.desc())
        .limit(1)
    )


def direction_of(indicator: Indicator) -> Literal["higher", "lower"] | None:
    value = getattr(indicator, "direction", None)
    return value if value in ("higher", "lower") else None


def basis_label(code: str) -> str:
    basis = BASES.get(code)
    return basis.label if basis else "keine"
