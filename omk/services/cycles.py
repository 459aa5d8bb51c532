"""Reporting cycles: open, list, and who is expected to report."""

from __future__ import annotations

from sqlalchemy import select

from omk.extensions import db
from omk.models.reporting import Cycle


def open_cycles() -> list[Cycle]:
    """Cycles currently open for reports, earliest deadline first."""
    return list(
        db.session.scalars(select(Cycle).where(Cycle.status == "open").order_by(Cycle.deadline))
    )
