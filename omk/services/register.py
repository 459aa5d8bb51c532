"""Look up the municipality register (the import lives in omk.services.register_import).

Also the database side of the shared definitions (omk.compare.definitions, omk.compare.names):
the district level, a district's position and urbanisation, names shown to people, and the
register's reference date with the denominator a published revision keeps.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from flask import current_app, g, has_request_context
from flask_babel import gettext
from sqlalchemy import Select, and_, case, func, or_, select
from sqlalchemy.orm import lazyload

from omk.compare import definitions, names
from omk.errors import NotFound
from omk.extensions import db
from omk.models.register import TYPE_LABELS, Level, Municipality, RegisterImport, search_name_of
from omk.models.reporting import Revision
from omk.paths import CONTENT_DIR as DEFAULT_CONTENT_DIR


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


def name_matches(q: str) -> Any:
    """A condition: the entry's name contains ``q``, case-insensitively (umlauts too), on
    the stored case-folded name (no function per row)."""
    folded = search_name_of(q)
    if db.engine.dialect.name == "sqlite":  # instr: no pattern to compile per row
        return func.instr(Municipality.search_name, folded) > 0
    return func.strpos(Municipality.search_name, folded) > 0


def _prefix(column: Any, folded: str) -> Any:
    """``column`` starts with ``folded``, as a range both databases answer from an index."""
    return and_(column >= folded, column < folded + "\U0010ffff")


def name_rank(q: str) -> Any:
    """How well an entry's name matches ``q``: 0 the place name itself ("Essen" for
    "Essen, Stadt"), 1 the name starts with it, 2 a word of the name starts with it, 3 it
    occurs inside a word. Lower is better."""
    folded = search_name_of(q)
    name = Municipality.search_name
    return case(
        (or_(name == folded, _prefix(name, folded + ",")), 0),
        (_prefix(name, folded), 1),
        (or_(*(name.contains(sep + folded, autoescape=True) for sep in (" ", "-", "("))), 2),
        else_=3,
    )


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
    """One page of current register entries matching the filters: for a name, the entries
    named so first, then those whose name starts with it, then a word of the name, then the
    rest (each by name); otherwise by name."""
    query = search_query(q, land, level, urbanisation)
    # count(*) straight from the table's conditions: answered from the index alone
    counted = query.with_only_columns(func.count(), maintain_column_froms=True)
    total = db.session.scalar(counted) or 0
    # by folded name (the index's order: the first page of a long list needs no sort)
    order: list[Any] = [Municipality.search_name, Municipality.key]
    if q.strip() and not (q.strip().isascii() and q.strip().isdigit()):
        order.insert(0, name_rank(q))
    items = list(
        db.session.scalars(
            query.options(lazyload(Municipality.parent))
            .order_by(*order)
            .offset((page - 1) * per_page)
            .limit(per_page)
        )
    )
    return Page(total=total, items=items, page=page, per_page=per_page)


@dataclass(frozen=True)
class Land:
    """A Land as filters list it."""

    key: str
    name: str


def lands() -> list[Land]:
    """The 16 Länder, by key (from the name index: no query while the register is unchanged;
    asked directly, SQLite's planner walked all 16,068 rows in key order for them)."""
    return [Land(key, name) for key, name in sorted(_name_index().lands.items())]


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


def children_besides(entry: Municipality, gemeinden: Sequence[Municipality]) -> list[Municipality]:
    """The entries directly below ``entry`` that say more than its Gemeinden listed beside
    them: a Gemeindeverband of one Gemeinde with that Gemeinde's name (every Gemeinde of
    Nordrhein-Westfalen is its own) is the Gemeinde again and is left out; an Amt, a
    Verbandsgemeinde or a Samtgemeinde of several stays."""
    found = children(entry)
    if not gemeinden:
        return found
    members: dict[str, list[str]] = {}
    for gemeinde in gemeinden:
        members.setdefault(gemeinde.parent_key or "", []).append(gemeinde.name)
    return [c for c in found if members.get(c.key) != [c.name]]


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
            .order_by(name_rank(q), Municipality.name, Municipality.key)
            .limit(20)
        )
    )


# --- the register's reference date and stable denominators ---------------------------------


def latest_import() -> RegisterImport | None:
    """The most recent register import (None before the first); asked once per request (the
    footer's attribution and the name index both want it)."""
    if has_request_context() and "omk_latest_import" in g:
        latest: RegisterImport | None = g.omk_latest_import
        return latest
    latest = db.session.scalar(select(RegisterImport).order_by(RegisterImport.id.desc()).limit(1))
    if has_request_context():
        g.omk_latest_import = latest
    return latest


def latest_import_with(*columns: Any) -> tuple[RegisterImport | None, tuple[Any, ...]]:
    """The most recent register import and ``columns`` (scalar subqueries) read in one
    statement, the import kept for the request like :func:`latest_import`."""
    if has_request_context() and "omk_latest_import" in g:
        return g.omk_latest_import, tuple(db.session.execute(_just(*columns)).one())
    row = db.session.execute(_newest_import_with(*columns)).first()
    if row is None:  # no import recorded yet
        latest, values = None, tuple(db.session.execute(_just(*columns)).one())
    else:
        latest, values = row[0], tuple(row[1:])
    if has_request_context():
        g.omk_latest_import = latest
    return latest, values


@functools.cache
def _newest_import_with(*columns: Any) -> Select[Any]:
    """Built once per set of columns (building a statement costs more than running it)."""
    return select(RegisterImport, *columns).order_by(RegisterImport.id.desc()).limit(1)


@functools.cache
def _just(*columns: Any) -> Select[Any]:
    return select(*columns)


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


# --- levels compared, a district's position and urbanisation ----------------------------------


def district_level() -> list[Municipality]:
    """The district level as official statistics count it (401 in the 2020 register): every
    current Kreis that is not a kreisfreie Stadt, and every kreisfreie Stadt as the Gemeinde
    it reports as (its 8-digit AGS), by key."""
    kreis = and_(Municipality.level == Level.KREIS, Municipality.is_kreisfrei.is_(False))
    city = and_(Municipality.level == Level.GEMEINDE, Municipality.is_kreisfrei.is_(True))
    return list(
        db.session.scalars(
            select(Municipality)
            .where(Municipality.is_current.is_(True), or_(kreis, city))
            .order_by(Municipality.key)
        )
    )


def _places(kreis_keys: Iterable[str]) -> dict[str, list[definitions.Place]]:
    """The current Gemeinden of each Kreis (by 5-digit key) as places."""
    wanted = sorted(set(kreis_keys))
    found: dict[str, list[definitions.Place]] = {k: [] for k in wanted}
    if not wanted:
        return found
    query = select(
        Municipality.key,
        Municipality.population,
        Municipality.lat,
        Municipality.lon,
        Municipality.urbanisation,
    ).where(Municipality.level == Level.GEMEINDE, Municipality.is_current.is_(True))
    if len(wanted) <= 50:
        query = query.where(func.substr(Municipality.key, 1, 5).in_(wanted))
    for key, population, lat, lon, urbanisation in db.session.execute(query):
        if key[:5] in found:
            found[key[:5]].append(definitions.Place(population, lat, lon, urbanisation))
    return found


@dataclass(frozen=True)
class Profile:
    """Where an entry lies and how urban it is: its own register data for a Gemeinde, the
    population-weighted centroid and majority urbanisation of its Gemeinden for a Kreis."""

    lat: float | None
    lon: float | None
    urbanisation: int | None


def profiles(entries: Iterable[Municipality]) -> dict[str, Profile]:
    """Position and urbanisation of each entry (by key), one query for all the Kreise."""
    entries = list(entries)
    kreise = [e.key for e in entries if e.level == Level.KREIS]
    places = _places(kreise)
    result = {}
    for e in entries:
        if e.level == Level.KREIS:
            centroid = definitions.weighted_centroid(places[e.key])
            result[e.key] = Profile(
                centroid[0] if centroid else None,
                centroid[1] if centroid else None,
                definitions.majority_urbanisation(places[e.key]),
            )
        else:
            result[e.key] = Profile(e.lat, e.lon, e.urbanisation)
    return result


def profile(entry: Municipality) -> Profile:
    """Position and urbanisation of one entry (see :class:`Profile`)."""
    return profiles([entry])[entry.key]


# --- names shown to people ------------------------------------------------------------------


def abbreviations() -> tuple[names.Abbreviation, ...]:
    """The Destatis abbreviations of content/register/abbreviations.yaml."""
    return _abbreviations(str(current_app.config.get("CONTENT_DIR") or DEFAULT_CONTENT_DIR))


@functools.lru_cache(maxsize=8)
def _abbreviations(root: str) -> tuple[names.Abbreviation, ...]:
    return names.load_abbreviations(Path(root) / "register" / "abbreviations.yaml")


@dataclass(frozen=True)
class _Row:
    """What naming needs of one register entry (a row of the name index)."""

    key: str
    name: str
    level: str
    type_code: str | None
    is_kreisfrei: bool
    land_key: str


@dataclass
class _NameIndex:
    """Every current entry but the Gemeindeverbände, grouped by place name, with the Länder
    and Kreise a qualifier names; the same-named groups are resolved once, when first asked."""

    token: tuple[int, Any] | None
    by_first: dict[str, list[_Row]]
    lands: dict[str, str]
    kreise: dict[str, _Row]
    named: dict[str, dict[str, names.DisplayName]]
    #: What display_names answered, by entry and whether it is current (pages ask again).
    resolved: dict[tuple[_Row, bool], names.DisplayName] = field(default_factory=dict)


#: The name index per database, rebuilt when a register import is recorded (the import is
#: the register's only writer); without a recorded import it is rebuilt on every call.
_NAME_INDEXES: dict[str, _NameIndex] = {}


def _name_index() -> _NameIndex:
    latest = latest_import()
    token = (latest.id, latest.imported_at) if latest is not None else None
    url = db.engine.url.render_as_string(hide_password=True)
    cached = _NAME_INDEXES.get(url)
    if token is not None and cached is not None and cached.token == token:
        return cached
    rows = [
        _Row(*row)
        for row in db.session.execute(
            select(
                Municipality.key,
                Municipality.name,
                Municipality.level,
                Municipality.type_code,
                Municipality.is_kreisfrei,
                Municipality.land_key,
            ).where(Municipality.is_current.is_(True), Municipality.level != Level.GEMEINDEVERBAND)
        )
    ]
    by_first: dict[str, list[_Row]] = {}
    for row in rows:
        by_first.setdefault(names.split_name(row.name)[0], []).append(row)
    index = _NameIndex(
        token=token,
        by_first=by_first,
        lands={r.key: r.name for r in rows if r.level == Level.LAND},
        kreise={r.key: r for r in rows if r.level == Level.KREIS},
        named={},
    )
    if token is not None:
        _NAME_INDEXES[url] = index
    return index


def _identity(m: _Row) -> str:
    """One key per thing named: a kreisfreie Stadt's Kreis row is its Gemeinde."""
    if m.level == Level.KREIS and m.is_kreisfrei:
        return m.key + "000"
    return m.key


def _name_entry(m: _Row, index: _NameIndex) -> names.NameEntry:
    abbr = abbreviations()
    kreis = (
        index.kreise.get(m.key[:5]) if m.level in (Level.GEMEINDEVERBAND, Level.GEMEINDE) else None
    )
    kreis_label = None
    if kreis is not None and not kreis.is_kreisfrei:
        kind = TYPE_LABELS.get(kreis.type_code or "", "Kreis")
        kreis_label = f"{kind} {names.spell_out(kreis.name, abbr)}"
    return names.NameEntry(
        key=_identity(m),
        name=names.spell_out(m.name, abbr),
        kind=names.kind_of(m.level, m.type_code, m.is_kreisfrei),
        land=index.lands.get(m.land_key) if m.level != Level.LAND else None,
        kreis=kreis_label,
    )


def _group(index: _NameIndex, first: str) -> dict[str, names.DisplayName]:
    """The display names of every current entry whose place name is ``first``."""
    if first not in index.named:
        entries = [_name_entry(r, index) for r in index.by_first.get(first, [])]
        index.named[first] = names.disambiguate(entries)
    return index.named[first]


def display_names(entries: Iterable[Municipality]) -> dict[str, names.DisplayName]:
    """The names shown to people for ``entries`` (by key): the register name with its
    abbreviations spelled out, told apart from every current entry that would read the same.

    Gemeindeverbände and retired entries are told apart from the others but never count
    against them (most Gemeindeverbände share their Gemeinde's name), so an entry's name does
    not depend on what else is asked for.
    """
    entries = list(entries)
    if not entries:
        return {}
    index = _name_index()
    result = {}
    for e in entries:
        row = _Row(e.key, e.name, e.level, e.type_code, e.is_kreisfrei, e.land_key)
        known = index.resolved.get((row, e.is_current))
        if known is not None:
            result[e.key] = known
            continue
        first = names.split_name(e.name)[0]
        group = _group(index, first)
        mine = _name_entry(row, index)
        if e.is_current and e.level != Level.GEMEINDEVERBAND and mine.key in group:
            result[e.key] = group[mine.key]
        else:  # told apart from the current entries, without changing how they read
            same = [
                _name_entry(r, index)
                for r in index.by_first.get(first, [])
                if _identity(r) != mine.key
            ]
            same = [n for n in same if n.name.casefold() == mine.name.casefold()]
            result[e.key] = names.disambiguate([mine, *same])[mine.key]
        index.resolved[(row, e.is_current)] = result[e.key]
    return result


def display_name(entry: Municipality) -> names.DisplayName:
    """The name shown to people for one entry (see :func:`display_names`)."""
    return display_names([entry])[entry.key]


def shown(name: names.DisplayName) -> str:
    """A display name in the reader's language: its kinds translated ("Ravensburg
    (Landkreis)" reads "Ravensburg (district)" on an English page)."""
    return name.render(gettext)
