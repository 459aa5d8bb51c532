"""The peer group: register entries with a published report in a cycle, and name lookups."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import lazyload

from omk.compare import peers
from omk.compare.definitions import ComparisonLevel, comparison_level, size_class
from omk.compare.peers import GroupKind
from omk.errors import NotFound
from omk.extensions import db
from omk.models.register import Level, Municipality
from omk.models.reporting import Cycle, Report
from omk.services import places, register
from omk.services.compare._shared import invalid
from omk.services.compare.figures import _plain_rows

# --- the peer group ----------------------------------------------------------------------


@dataclass(frozen=True)
class GroupSpec:
    """How the peer group is chosen (see omk.compare.peers)."""

    kind: GroupKind
    region: str | None = None  # AGS prefix (REGION)
    keys: tuple[str, ...] = ()  # register keys (NAMES)
    focus: str | None = None  # register key: SIZE, URBANISATION, SIMILAR are "like this one"
    size: str | None = None  # BBSR size class code (SIZE without a focus)
    urbanisation: int | None = None  # 1–3 (URBANISATION without a focus)
    k: int = peers.K_DEFAULT
    level: ComparisonLevel | None = ComparisonLevel.MUNICIPAL  # None: every level


@dataclass(frozen=True)
class Member:
    """A municipality with a published report in the cycle, as a comparison shows it."""

    key: str  # register key (a Kreis: 5 digits)
    ags: str  # the key it reports under (a Kreis: + "000")
    name: str
    population: int | None
    area_km2: float | None
    level: ComparisonLevel | None
    urbanisation: int | None
    synthetic: bool


def _ags(key: str, level: str) -> str:
    return key + "000" if level == Level.KREIS else key


@dataclass(frozen=True)
class Entry:
    """A register entry with a published report, as a peer group needs it (a plain row)."""

    key: str
    name: str
    level: str
    is_kreisfrei: bool
    population: int | None
    area_km2: float | None
    urbanisation: int | None
    synthetic: bool  # the published report's indicator values are synthetic (demo)


def _level_condition(level: ComparisonLevel | None) -> ColumnElement[bool]:
    """The register entries of a comparison level, as SQL (DOMAIN.md: levels compared)."""
    gemeinde = Municipality.level == Level.GEMEINDE
    if level == ComparisonLevel.MUNICIPAL:
        return and_(gemeinde, Municipality.is_kreisfrei.is_(False))
    if level == ComparisonLevel.DISTRICT:
        kreis = and_(Municipality.level == Level.KREIS, Municipality.is_kreisfrei.is_(False))
        return or_(kreis, and_(gemeinde, Municipality.is_kreisfrei.is_(True)))
    return Municipality.level.in_([Level.GEMEINDE, Level.KREIS])


def _published_members(
    cycle: Cycle, level: ComparisonLevel | None, prefix: str = "", keys: Sequence[str] = ()
) -> list[Entry]:
    """The register entries with a published report in ``cycle`` (one query of plain rows),
    at ``level`` (None: every level), within the region ``prefix`` or among ``keys``."""
    query = (
        select(
            Municipality.key,
            Municipality.name,
            Municipality.level,
            Municipality.is_kreisfrei,
            Municipality.population,
            Municipality.area_km2,
            Municipality.urbanisation,
            Report.has_synthetic_indicators,
        )
        .join(Report, Report.municipality_key == Municipality.key)
        .where(
            Report.cycle_id == cycle.id,
            Report.published_revision_id.is_not(None),
            _level_condition(level),
        )
        .order_by(Municipality.key)
    )
    if prefix:
        query = query.where(Municipality.key.startswith(prefix, autoescape=True))
    if keys:
        query = query.where(Municipality.key.in_(sorted(set(keys))))
    # Driver rows (a whole country is ten thousand of them); booleans as SQLite returns them.
    return [
        Entry(key, name, level, bool(kreisfrei), population, area, urbanisation, bool(synthetic))
        for key, name, level, kreisfrei, population, area, urbanisation, synthetic in _plain_rows(
            query
        )
    ]


def resolve_key(ags: str) -> Municipality:
    """A register entry by its key or reporting AGS (NotFound otherwise)."""
    return register.get(ags)


def _urbanisation(entries: Sequence[Entry]) -> dict[str, int | None]:
    """Each entry's degree of urbanisation; a Kreis: the class most of its people live in."""
    result = {e.key: e.urbanisation for e in entries}
    kreise = [e.key for e in entries if e.level == Level.KREIS]
    if kreise:
        rows = db.session.scalars(select(Municipality).where(Municipality.key.in_(kreise)))
        for key, profile in register.profiles(rows).items():
            result[key] = profile.urbanisation
    return result


def members_of(cycle: Cycle, spec: GroupSpec) -> list[Entry]:
    """The peer group: register entries with a published report in ``cycle`` that match."""
    focus = resolve_key(spec.focus) if spec.focus else None
    if spec.kind == GroupKind.NAMES:
        return _published_members(cycle, None, keys=spec.keys) if spec.keys else []
    if spec.kind == GroupKind.REGION:
        return _published_members(cycle, spec.level, spec.region or "")
    published = _published_members(cycle, spec.level)
    if spec.kind == GroupKind.SIZE:
        code = spec.size or (focus.size_class.code if focus and focus.size_class else None)
        if code is None:
            raise invalid("size", "Bitte wählen Sie eine Größenklasse.")
        return [
            m for m in published if (c := size_class(m.population)) is not None and c.code == code
        ]
    if spec.kind == GroupKind.URBANISATION:
        urban = _urbanisation(published)
        wanted = spec.urbanisation or (register.profile(focus).urbanisation if focus else None)
        if wanted is None:
            raise invalid("urbanisation", "Bitte wählen Sie einen Verstädterungsgrad.")
        return [m for m in published if urban[m.key] == wanted]
    if spec.kind == GroupKind.SIMILAR:
        if focus is None:
            raise invalid("of", "Bitte wählen Sie eine Kommune.")
        nearest = peers.most_similar(
            peers.Candidate(focus.key, focus.population, focus.area_km2),
            [peers.Candidate(m.key, m.population, m.area_km2) for m in published],
            spec.k,
        )
        by_key = {m.key: m for m in published}
        return [by_key[k] for k in nearest if k in by_key]
    raise invalid("group", "Unbekannte Vergleichsgruppe.")  # pragma: no cover


def _member(m: Entry | Municipality, name: str, synthetic: bool) -> Member:
    return Member(
        key=m.key,
        ags=_ags(m.key, m.level),
        name=name,
        population=m.population,
        area_km2=m.area_km2,
        level=comparison_level(m.level, m.is_kreisfrei),
        urbanisation=m.urbanisation,
        synthetic=synthetic,
    )


#: Up to this many members get the names shown to people (abbreviations spelled out, same
#: names told apart); larger groups (a whole country) show the register's names.
DISPLAY_NAMES_LIMIT = 2000


def _names(entries: Sequence[Entry]) -> dict[str, str]:
    if not entries or len(entries) > DISPLAY_NAMES_LIMIT:
        return {e.key: e.name for e in entries}
    rows = list(
        db.session.scalars(
            select(Municipality)
            .options(lazyload(Municipality.parent))
            .where(Municipality.key.in_([e.key for e in entries]))
        )
    )
    return {key: register.shown(name) for key, name in register.display_names(rows).items()}


# --- lookups for the pages ----------------------------------------------------------------


def name_lookup(q: str, limit: int = 20) -> list[tuple[str, str]]:
    """(reporting AGS, name shown) of current reporting entries ``q`` may name, best first
    and each once (omk.services.places: exact names, the place name, prefixes, the rest)."""
    return [(m.key, register.shown(m.name)) for m in places.find(q).candidates[:limit]]


def resolve_name(q: str) -> tuple[str, str] | None:
    """The one reporting entry ``q`` names (omk.services.places: "Essen, Stadt", "Kreis
    Coesfeld", a place name as "Essen" that only one entry bears, or the only entry whose
    name contains it); None when there is none or several."""
    match = places.find(q).match
    return (match.key, register.shown(match.name)) if match is not None else None


def names_of(ags_list: Sequence[str]) -> list[tuple[str, str]]:
    """(reporting AGS, name shown) of the given keys, in order; unknown keys are skipped."""
    entries = []
    for ags in ags_list:
        try:
            entries.append(register.get(ags))
        except NotFound:
            continue
    display = register.display_names(entries)
    return [(_ags(m.key, m.level), register.shown(display[m.key])) for m in entries]


def region_names() -> list[tuple[str, str]]:
    """(key, name shown) of every current Land, Regierungsbezirk and Kreis, by key: what a
    region field offers by name."""
    entries = list(
        db.session.scalars(
            select(Municipality)
            .where(
                Municipality.level.in_([Level.LAND, Level.REGIERUNGSBEZIRK, Level.KREIS]),
                Municipality.is_current.is_(True),
            )
            .order_by(Municipality.key)
        )
    )
    display = register.display_names(entries)
    return [(m.key, register.shown(display[m.key])) for m in entries]


def find_region(text: str) -> places.Found:
    """The Land, Regierungsbezirk or Kreis ``text`` names (omk.services.places: its name as
    shown, "Kreis Coesfeld", a kreisfreie Stadt as "Köln", or the only region whose name
    contains it), by key prefix, with the candidates best first."""
    return places.find(text, places.REGION_LEVELS, key_of=places.region_key)


def resolve_region(text: str) -> str | None:
    """The region key ``text`` names: a key of digits as it is, else the region
    :func:`find_region` finds; None when it names none or several."""
    text = " ".join(text.split())
    if text.isascii() and text.isdigit():
        return text
    match = find_region(text).match
    return match.key if match is not None else None


def region_choices(current: str = "") -> list[tuple[str, str]]:
    """(AGS prefix, name) of the Länder and Regierungsbezirke, and ``current`` if it is
    another region (a Kreis chosen by name)."""
    entries = list(
        db.session.scalars(
            select(Municipality)
            .where(
                Municipality.level.in_([Level.LAND, Level.REGIERUNGSBEZIRK]),
                Municipality.is_current.is_(True),
            )
            .order_by(Municipality.key)
        )
    )
    keys = {m.key for m in entries}
    if current and current not in keys:
        with contextlib.suppress(NotFound):
            entries.append(register.get(current))
    display = register.display_names(entries)
    return [
        (m.key, (" " if m.level != Level.LAND else "") + register.shown(display[m.key]))
        for m in entries
    ]
