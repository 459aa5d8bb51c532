"""Look up the municipality register (the import lives in omk.services.register_import)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Select, func, or_, select

from omk.errors import NotFound
from omk.extensions import db
from omk.models.register import Level, Municipality, RegisterImport
from omk.models.reporting import Revision


@dataclass
class Page:
    """One page of results with the total count."""

    total: int
    items: list[Municipality]
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def get(key: str) -> Municipality:
    """An entry by its key; an 8-digit Kreis key + '000' finds the Landkreis (DOMAIN.md)."""
    key = key.strip()
    if not key.isdigit():
        raise NotFound("Diesen Schlüssel gibt es im Gemeindeverzeichnis nicht.")
    entry = db.session.get(Municipality, key)
    if entry is None and len(key) == 8 and key.endswith("000"):
        kreis = db.session.get(Municipality, key[:5])
        if kreis is not None and kreis.level == Level.KREIS:
            entry = kreis
    if entry is None:
        raise NotFound("Diesen Schlüssel gibt es im Gemeindeverzeichnis nicht.")
    return entry


def _folded(column: Any) -> Any:
    """``lower(column)`` that folds umlauts too (SQLite's own lower() folds ASCII only;
    ``omk_lower`` is registered on every SQLite connection in omk/__init__.py)."""
    if db.engine.dialect.name == "sqlite":
        return func.omk_lower(column)
    return func.lower(column)


def name_matches(q: str) -> Any:
    """A condition: the entry's name contains ``q``, case-insensitively (umlauts too)."""
    return _folded(Municipality.name).contains(q.strip().lower(), autoescape=True)


def search_query(
    q: str = "",
    land: str | None = None,
    level: str | None = None,
    urbanisation: int | None = None,
    include_retired: bool = False,
) -> Select[Any]:
    """The query behind the directory and the API: name or key, Land, level, urbanisation.

    Digits search keys by prefix; a Kreis is also found by its reporting key (``08436000``).
    Anything else searches names, case-insensitively, as a substring.
    """
    query = select(Municipality)
    q = q.strip()
    if q:
        if q.isascii() and q.isdigit():
            condition = Municipality.key.startswith(q, autoescape=True)
            if 5 < len(q) <= 8 and "000".startswith(q[5:]):
                kreis = (Municipality.level == Level.KREIS) & (Municipality.key == q[:5])
                condition = or_(condition, kreis)
            query = query.where(condition)
        else:
            query = query.where(name_matches(q))
    if land:
        query = query.where(Municipality.land_key == land)
    if level:
        query = query.where(Municipality.level == level)
    if urbanisation:
        query = query.where(Municipality.urbanisation == urbanisation)
    if not include_retired:
        query = query.where(Municipality.is_current.is_(True))
    return query


def search(
    q: str = "",
    land: str | None = None,
    level: str | None = None,
    urbanisation: int | None = None,
    page: int = 1,
    per_page: int = 50,
) -> Page:
    """One page of current register entries matching the filters, ordered by name."""
    query = search_query(q, land, level, urbanisation)
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    items = list(
        db.session.scalars(
            query.order_by(Municipality.name, Municipality.key)
            .offset((page - 1) * per_page)
            .limit(per_page)
        )
    )
    return Page(total=total, items=items, page=page, per_page=per_page)


def lands() -> list[Municipality]:
    """The 16 Länder, by key."""
    return list(
        db.session.scalars(
            select(Municipality).where(Municipality.level == Level.LAND).order_by(Municipality.key)
        )
    )


def children(entry: Municipality, limit: int = 500) -> list[Municipality]:
    """The current entries directly below ``entry``, by name."""
    return list(
        db.session.scalars(
            select(Municipality)
            .where(Municipality.parent_key == entry.key, Municipality.is_current.is_(True))
            .order_by(Municipality.name, Municipality.key)
            .limit(limit)
        )
    )


def gemeinden_of(kreis: Municipality, limit: int = 500) -> list[Municipality]:
    """The current Gemeinden of a Kreis (across its Gemeindeverbände), by name."""
    if kreis.level != Level.KREIS:
        return []
    return list(
        db.session.scalars(
            select(Municipality)
            .where(
                Municipality.level == Level.GEMEINDE,
                Municipality.key.startswith(kreis.key, autoescape=True),
                Municipality.is_current.is_(True),
            )
            .order_by(Municipality.name, Municipality.key)
            .limit(limit)
        )
    )


def ancestors(entry: Municipality) -> list[Municipality]:
    """Land down to the parent of ``entry``, without the entry itself under another key.

    A kreisfreie Stadt is its own Kreis: the Gemeinde's chain skips that Kreis (its reporting
    key is the Gemeinde's own key) instead of linking to itself.
    """
    chain = []
    current = entry.parent
    while current is not None:
        if (current.reporting_ags or current.key) != entry.key:
            chain.append(current)
        current = current.parent
    return list(reversed(chain))


def search_keys_like(q: str) -> list[str]:
    """Keys of current entries whose name contains ``q`` or whose key starts with it."""
    return list(
        db.session.scalars(
            search_query(q, include_retired=False)
            .with_only_columns(Municipality.key)
            .order_by(Municipality.name, Municipality.key)
            .limit(20)
        )
    )


# --- the register's reference date and stable denominators ---------------------------------


def latest_import() -> RegisterImport | None:
    """The most recent register import (None before the first)."""
    return db.session.scalar(select(RegisterImport).order_by(RegisterImport.id.desc()).limit(1))


def reference_date() -> date | None:
    """The current register's Gebietsstand, as ``omk municipalities import`` recorded it."""
    latest = latest_import()
    return latest.reference_date if latest is not None else None


def stamp_denominator(revision: Revision, municipality: Municipality) -> None:
    """Keep on ``revision``, as it becomes published, the population its per-capita values
    divide by and the register's reference date, so a later register import changes no
    figure already published. Call inside the unit of work that publishes the revision."""
    revision.population = municipality.population
    revision.population_as_of = reference_date()
