"""Look up the municipality register (the import lives in omk.services.register_import)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, or_, select

from omk.errors import NotFound
from omk.extensions import db
from omk.models.register import Level, Municipality


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


def search_query(
    q: str = "",
    land: str | None = None,
    level: str | None = None,
    urbanisation: int | None = None,
    include_retired: bool = False,
) -> Select[Any]:
    """The query behind the directory and the API: name or key, Land, level, urbanisation."""
    query = select(Municipality)
    q = q.strip()
    if q:
        if q.isdigit():
            query = query.where(Municipality.key.startswith(q))
        else:
            query = query.where(func.lower(Municipality.name).contains(q.lower()))
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
    """One page of register entries, Gemeinden by default order of name."""
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
    """The entries directly below ``entry``."""
    return list(
        db.session.scalars(
            select(Municipality)
            .where(Municipality.parent_key == entry.key, Municipality.is_current.is_(True))
            .order_by(Municipality.name)
            .limit(limit)
        )
    )


def ancestors(entry: Municipality) -> list[Municipality]:
    """Land down to the parent of ``entry``."""
    chain = []
    current = entry.parent
    while current is not None:
        chain.append(current)
        current = current.parent
    return list(reversed(chain))


def search_keys_like(q: str) -> list[str]:
    """Keys matching a name fragment (for small pickers)."""
    return list(
        db.session.scalars(
            select(Municipality.key)
            .where(or_(Municipality.name.contains(q), Municipality.key.startswith(q)))
            .limit(20)
        )
    )
