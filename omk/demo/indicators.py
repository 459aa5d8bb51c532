"""The register profile the demo's synthetic indicator values depend on (the values
themselves: omk/compare/demo_values.py).
"""

from __future__ import annotations

from sqlalchemy import func, select

from omk.compare.demo_values import DemoProfile
from omk.extensions import db
from omk.models.register import Level, Municipality


def profile_of(municipality: Municipality) -> DemoProfile:
    """The register's population and degree of urbanisation; a Kreis takes the degree that
    most of its inhabitants live in."""
    urbanisation = municipality.urbanisation
    if urbanisation is None and municipality.level == Level.KREIS:
        rows = db.session.execute(
            select(Municipality.urbanisation, func.sum(Municipality.population))
            .where(
                Municipality.level == Level.GEMEINDE.value,
                Municipality.key.startswith(municipality.key),
                Municipality.urbanisation.is_not(None),
            )
            .group_by(Municipality.urbanisation)
        ).all()
        if rows:
            urbanisation = max(rows, key=lambda r: (r[1] or 0, -(r[0] or 0)))[0]
    return DemoProfile(municipality.key, municipality.population or 0, urbanisation or 2)
