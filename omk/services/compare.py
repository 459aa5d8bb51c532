"""Compare municipalities: peer groups, indicator figures, the scoreboard, participation.

Only published (accepted) revisions enter any figure: every query joins the report's
``published_revision_id``, so drafts, submitted and returned revisions and a correction in
progress never count. Values are read set-based (one query per question, never one per
municipality); statistics and classification are the pure functions of omk.compare.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypedDict, cast

import yaml
from flask import current_app
from sqlalchemy import ClauseElement, ColumnElement, and_, or_, select
from sqlalchemy.orm import aliased, lazyload
from sqlalchemy.sql.compiler import SQLCompiler

from omk.compare import peers, scoreboard, stats
from omk.compare.bases import ALLOCATED, BASES, normalise
from omk.compare.definitions import ComparisonLevel, comparison_level, size_class
from omk.compare.peers import GroupKind
from omk.content import Content, Indicator
from omk.errors import FieldError, NotFound, ValidationFailed
from omk.extensions import db
from omk.models.accounts import Role, User
from omk.models.register import Level, Municipality
from omk.models.reporting import Cycle, IndicatorValue, Report, Revision
from omk.policy import Action, can
from omk.services import register

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
    return [Entry(*row) for row in db.session.execute(query)]


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


# --- published figures, set-based -------------------------------------------------------


@dataclass
class Figures:
    """A published revision's indicator values and its denominators."""

    cycle_id: int
    key: str
    population: int | None
    values: dict[str, float] = field(default_factory=dict)

    @property
    def allocated(self) -> float | None:
        return self.values.get(ALLOCATED)


def _needs_allocated(codes: Iterable[str]) -> bool:
    """Whether any of ``codes`` is divided by the persons allocated (or is that figure)."""
    catalogue = content().indicators
    for code in codes:
        indicator = catalogue.get(code)
        basis = BASES.get(indicator.normalise) if indicator is not None else None
        if code == ALLOCATED or (basis is not None and basis.denominator == "allocated"):
            return True
    return False


def published_figures(
    cycle_ids: Sequence[int],
    codes: Iterable[str],
    keys: Iterable[str] | None = None,
    *,
    prefix: str = "",
) -> dict[tuple[int, str], Figures]:
    """The published figures of the given cycles by (cycle id, register key): one query
    (and one more for revisions published before the population was stamped).

    Reads only the wanted indicators' values (and the allocations when a basis needs them)
    through the (revision_id, code, value) index. The population is the one stamped on the
    accepted revision (the register's current one for revisions published before stamping
    existed)."""
    code_list = list(codes)
    wanted = sorted({*code_list, ALLOCATED} if _needs_allocated(code_list) else set(code_list))
    key_list = sorted(set(keys)) if keys is not None else None
    # One row per published revision, one column per wanted indicator: each an outer join on
    # the (revision_id, code, value) index, which answers it without reading the table.
    joins = [aliased(IndicatorValue, name=f"v{i}") for i in range(len(wanted))]
    query = (
        select(
            Report.cycle_id,
            Report.municipality_key,
            Revision.population,
            Revision.population_as_of,
            *(v.value for v in joins),
        )
        .select_from(Report)
        .join(Revision, Revision.id == Report.published_revision_id)
        .where(Report.cycle_id.in_(list(cycle_ids)))
    )
    for v, code in zip(joins, wanted, strict=True):
        query = query.outerjoin(
            v, and_(v.revision_id == Report.published_revision_id, v.code == code)
        )
    if key_list is not None and len(key_list) <= _IN_LIMIT:
        query = query.where(Report.municipality_key.in_(key_list))
    elif prefix:
        query = query.where(Report.municipality_key.startswith(prefix, autoescape=True))
    allowed = set(key_list) if key_list is not None else None
    result: dict[tuple[int, str], Figures] = {}
    unstamped: list[Figures] = []
    for cycle_id, key, stamped, as_of, *values in _plain_rows(query):
        if allowed is not None and key not in allowed:
            continue
        figures = result.get((cycle_id, key))
        if figures is None:
            figures = result[(cycle_id, key)] = Figures(cycle_id, key, stamped)
            if stamped is None and as_of is None:
                unstamped.append(figures)
        for code, value in zip(wanted, values, strict=True):
            if value is not None:
                figures.values[code] = float(value)
    if unstamped:
        current = _current_populations({f.key for f in unstamped})
        for figures in unstamped:
            figures.population = current.get(figures.key)
    return result


def _plain_rows(query: ClauseElement) -> list[Sequence[Any]]:
    """The rows of ``query`` as the database driver returns them, fetched at once: up to a
    hundred thousand rows without SQLAlchemy's per-row processing (only integers, strings
    and floats are read; the parameters are integers and strings)."""
    if db.session.autoflush:  # as an ORM query would: pending changes first
        db.session.flush()
    connection = db.session.connection()
    compiled = cast(
        SQLCompiler,
        query.compile(dialect=connection.dialect, compile_kwargs={"render_postcompile": True}),
    )
    params = compiled.construct_params()
    arguments: Any = (
        tuple(params[name] for name in compiled.positiontup or ())
        if compiled.positional
        else params
    )
    cursor = connection.connection.cursor()
    try:
        cursor.execute(str(compiled), arguments)
        rows: list[Sequence[Any]] = list(cursor.fetchall())
    finally:
        cursor.close()
    return rows


def _current_populations(keys: set[str]) -> dict[str, int | None]:
    """The register's current population of ``keys`` (in chunks of ``_IN_LIMIT``)."""
    ordered = sorted(keys)
    result: dict[str, int | None] = {}
    for start in range(0, len(ordered), _IN_LIMIT):
        chunk = ordered[start : start + _IN_LIMIT]
        query = select(Municipality.key, Municipality.population).where(Municipality.key.in_(chunk))
        result.update({key: population for key, population in db.session.execute(query)})
    return result


def normalised(indicator: Indicator, figures: Figures | None) -> tuple[float | None, str | None]:
    """(value on the indicator's basis, reason when missing); the raw value without basis."""
    if figures is None:
        return None, NOT_GIVEN
    raw = figures.values.get(indicator.code)
    if raw is None:
        return None, NOT_GIVEN
    result = normalise(indicator, raw, population=figures.population, allocated=figures.allocated)
    if result is None:
        return raw, None
    return result.value, result.reason


def _value_function(indicator: Indicator) -> Callable[[Figures | None], float | None]:
    """``normalised(indicator, figures)[0]`` without the reason: the trend's inner loop."""
    code = indicator.code
    basis = BASES.get(indicator.normalise)
    if basis is None:
        return lambda figures: figures.values.get(code) if figures is not None else None
    per = basis.per
    if basis.denominator == "population":

        def per_population(figures: Figures | None) -> float | None:
            if figures is None:
                return None
            raw = figures.values.get(code)
            population = figures.population
            if raw is None or not population or population <= 0:
                return None
            return raw / population * per

        return per_population

    def per_allocated(figures: Figures | None) -> float | None:
        if figures is None:
            return None
        raw = figures.values.get(code)
        allocated = figures.values.get(ALLOCATED)
        if raw is None or allocated is None or allocated <= 0:
            return None
        return raw / allocated * per

    return per_allocated


# --- the comparison ----------------------------------------------------------------------


@dataclass
class ValueRow:
    """One member's figures for one indicator."""

    member: Member
    raw: float | None
    value: float | None
    reason: str | None
    previous_cycle: str | None
    previous_value: float | None
    change: float | None
    level_band: str | None = None
    change_band: str | None = None
    category: str | None = None
    flags: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class TrendPoint:
    """The peer group's median of one indicator in one cycle, and the highlighted values."""

    cycle: str
    n: int
    median: float | None
    highlighted: dict[str, float | None]


@dataclass
class IndicatorComparison:
    """One indicator across the peer group."""

    indicator: Indicator
    direction: Literal["higher", "lower"] | None
    summary: stats.Summary
    rows: list[ValueRow]
    too_few: bool
    trend: list[TrendPoint]

    @property
    def basis(self) -> str:
        return self.indicator.normalise


@dataclass(frozen=True)
class NotReported:
    """A municipality expected to report in the cycle without a published report."""

    member: Member
    status: str  # "none" (nothing submitted), "submitted", "returned", "correction"


@dataclass
class Comparison:
    """Everything a comparison page, its CSV and the API show."""

    cycle: Cycle
    spec: GroupSpec
    members: list[Member]
    indicators: list[IndicatorComparison]
    highlighted: list[str]  # register keys
    not_reported: list[NotReported] | None = None
    synthetic: bool = False


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
    return {key: str(name) for key, name in register.display_names(rows).items()}


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


def compare(
    user: Any,
    cycle: Cycle,
    spec: GroupSpec,
    codes: Sequence[str] | None = None,
    *,
    highlight: Sequence[str] = (),
    with_trend: bool = True,
) -> Comparison:
    """Compare the peer group ``spec`` in ``cycle`` on the indicators ``codes`` (all if None)."""
    catalogue = content().indicators
    codes = list(codes) if codes else list(catalogue)
    unknown = [c for c in codes if c not in catalogue]
    if unknown:
        raise invalid("indicator", f"Unbekannte Kennzahl: {unknown[0]}")
    entries = members_of(cycle, spec)
    keys = [m.key for m in entries]
    history = cycles_until(cycle)
    earlier = [c for c in history if c.id != cycle.id]
    prefix = spec.region or "" if spec.kind == GroupKind.REGION else ""
    figures = published_figures([c.id for c in history], codes, keys, prefix=prefix)
    display = _names(entries)
    members = [_member(m, display.get(m.key, m.name), m.synthetic) for m in entries]
    previous: dict[str, Cycle] = {}
    for c in earlier:  # oldest first: the last one seen is the most recent earlier cycle
        cycle_id = c.id
        for key in keys:
            if (cycle_id, key) in figures:
                previous[key] = c
    highlighted = [k for k in highlight if k in set(keys)]
    if spec.focus and spec.focus not in highlighted:
        highlighted.insert(0, spec.focus)
    if spec.kind == GroupKind.NAMES:
        highlighted = list(dict.fromkeys([*highlighted, *keys]))[:20]
    result = []
    for code in codes:
        indicator = catalogue[code]
        result.append(
            _indicator(
                indicator, cycle, members, figures, previous, history, highlighted, with_trend
            )
        )
    comparison = Comparison(
        cycle=cycle,
        spec=spec,
        members=members,
        indicators=result,
        highlighted=highlighted,
        synthetic=any(m.synthetic for m in members),
    )
    comparison.not_reported = not_reported(user, cycle, spec)
    return comparison


def _indicator(
    indicator: Indicator,
    cycle: Cycle,
    members: list[Member],
    figures: dict[tuple[int, str], Figures],
    previous: dict[str, Cycle],
    history: list[Cycle],
    highlighted: list[str],
    with_trend: bool,
) -> IndicatorComparison:
    rows: list[ValueRow] = []
    for m in members:
        own = figures.get((cycle.id, m.key))
        raw = own.values.get(indicator.code) if own else None
        value, reason = normalised(indicator, own)
        before = previous.get(m.key)
        prev_value = None
        if before is not None:
            prev_value, _ = normalised(indicator, figures.get((before.id, m.key)))
        change = value - prev_value if value is not None and prev_value is not None else None
        row = ValueRow(
            m,
            raw,
            value,
            reason if value is None else None,
            before.code if before else None,
            prev_value,
            change,
        )
        if value is None:
            row.flags.append("no_denominator" if raw is not None else "missing")
        rows.append(row)
    summary = stats.summarise([r.value for r in rows])
    direction = direction_of(indicator)
    classified, too_few = scoreboard.classify(
        [r.value for r in rows], [r.change for r in rows], direction, table()
    )
    for row, place in zip(rows, classified, strict=True):
        row.level_band, row.change_band = place.level_band, place.change_band
        row.category = place.category
        flag = summary.outlier(row.value)
        if flag:
            row.flags.append(flag)
        if too_few and direction is not None:
            row.flags.append("too_few_peers")
    trend: list[TrendPoint] = []
    if with_trend:
        value_of = _value_function(indicator)
        member_keys = [m.key for m in members]
        for c in history:
            cycle_id = c.id  # an ORM attribute: read once, not per member
            values = [value_of(figures.get((cycle_id, key))) for key in member_keys]
            present = [v for v in values if v is not None]
            shown = dict(zip(member_keys, values, strict=True))
            trend.append(
                TrendPoint(
                    c.code,
                    len(present),
                    stats.median(present) if present else None,
                    {k: shown.get(k) for k in highlighted},
                )
            )
    return IndicatorComparison(indicator, direction, summary, rows, too_few, trend)


# --- participation (reviewers' region only) ----------------------------------------------


def participation_scope(user: Any) -> str | None:
    """The AGS prefix in which ``user`` sees who has not reported; None: nowhere."""
    if not can(user, Action.COMPARE_PARTICIPATION):
        return None
    if getattr(user, "role", None) == Role.ADMIN:
        return ""
    return getattr(user, "scope", None)


def not_reported(user: Any, cycle: Cycle, spec: GroupSpec) -> list[NotReported] | None:
    """Expected municipalities of the cycle in the user's region (and in the peer group's
    region, if it is one) without a published report; None if the user may not see this.

    Expected: in a region the cycle covers, with at least one reporter account (DOMAIN.md).
    A draft is never told apart from "nothing": only submitted and returned show."""
    scope = participation_scope(user)
    if scope is None:
        return None
    prefixes = [r.prefix for r in cycle.regions] or [""]
    covered = or_(*(Municipality.key.startswith(p, autoescape=True) for p in prefixes))
    reporters = select(User.municipality_key).where(
        User.role == Role.REPORTER, User.is_active.is_(True), User.municipality_key.is_not(None)
    )
    query = (
        select(Municipality, Report)
        .outerjoin(
            Report, and_(Report.municipality_key == Municipality.key, Report.cycle_id == cycle.id)
        )
        .where(
            Municipality.key.in_(reporters),
            Municipality.key.startswith(scope, autoescape=True),
            covered,
            or_(Report.id.is_(None), Report.published_revision_id.is_(None)),
        )
        .order_by(Municipality.key)
    )
    if spec.kind == GroupKind.REGION and spec.region:
        query = query.where(Municipality.key.startswith(spec.region, autoescape=True))
    rows = list(db.session.execute(query).unique())
    display = register.display_names([m for m, _ in rows])
    out = []
    for m, report in rows:
        if spec.kind == GroupKind.NAMES and m.key not in spec.keys:
            continue
        if spec.level is not None and comparison_level(m.level, m.is_kreisfrei) != spec.level:
            continue
        status = "none"
        if report is not None and report.revision_count > 0:
            status = report.state if report.state in ("submitted", "returned") else "none"
        out.append(NotReported(_member(m, str(display[m.key]), False), status))
    return out


# --- previous value and peer median next to a value (review page, indicator form) -------------


class ValueContext(TypedDict):
    """What the review page and the indicator form show next to one value."""

    previous_cycle: str | None
    previous_value: float | None  # raw, as reported in the previous cycle
    peer_median: float | None  # raw values of the k most similar published peers
    peer_n: int
    jump: bool  # the value differs from the previous one by more than the indicator's factor
    factor: float | None


def jumped(value: float | None, previous: float | None, factor: float | None) -> bool:
    """True when ``value`` is more than ``factor`` times ``previous`` or less than 1/factor
    of it (268 → 1,234 with factor 3); a change from or to 0 counts when the other is > 0."""
    if value is None or previous is None or not factor or factor <= 1:
        return False
    if previous == 0 or value == 0:
        return previous != value
    ratio = value / previous
    return ratio > factor or ratio < 1 / factor


def value_context(report: Report, values: Mapping[str, float | None]) -> dict[str, ValueContext]:
    """Per indicator: the municipality's previous published value, the median of its most
    similar peers' published values in the same cycle (raw, as the form shows raw figures)
    and whether the value jumps. Published figures only; one query each."""
    catalogue = content().indicators
    municipality = report.municipality
    cycle = report.cycle
    earlier = [c for c in cycles_until(cycle) if c.id != cycle.id]
    own = published_figures([c.id for c in earlier], catalogue, [municipality.key])
    before = next((c for c in reversed(earlier) if (c.id, municipality.key) in own), None)
    previous = own.get((before.id, municipality.key)) if before else None
    level = comparison_level(municipality.level, municipality.is_kreisfrei)
    spec = GroupSpec(GroupKind.SIMILAR, focus=municipality.key, level=level)
    try:
        group = [m.key for m in members_of(cycle, spec) if m.key != municipality.key]
    except (ValidationFailed, NotFound):
        group = []
    peer_figures = published_figures([cycle.id], catalogue, group)
    result: dict[str, ValueContext] = {}
    for code, indicator in catalogue.items():
        prev = previous.values.get(code) if previous else None
        peer_values = [f.values[code] for f in peer_figures.values() if code in f.values]
        factor = getattr(indicator, "jump_factor", None)
        result[code] = ValueContext(
            previous_cycle=before.code if before else None,
            previous_value=prev,
            peer_median=stats.percentile(peer_values, 50) if peer_values else None,
            peer_n=len(peer_values),
            jump=jumped(values.get(code), prev, factor),
            factor=factor,
        )
    return result


# --- a municipality's scoreboard (its register page) -------------------------------------------


@dataclass(frozen=True)
class ScoreLine:
    """One judged indicator on a municipality's scoreboard."""

    indicator: Indicator
    row: ValueRow
    median: float | None
    n: int
    too_few: bool


@dataclass(frozen=True)
class MunicipalityScoreboard:
    cycle: Cycle
    spec: GroupSpec
    group_size: int
    lines: list[ScoreLine]
    synthetic: bool


def municipality_scoreboard(user: Any, entry: Municipality) -> MunicipalityScoreboard | None:
    """The scoreboard of ``entry`` in the newest cycle it has published in, against its k
    most similar peers at its level; None if it has published nothing."""
    cycle = db.session.scalar(
        select(Cycle)
        .join(Report, Report.cycle_id == Cycle.id)
        .where(Report.municipality_key == entry.key, Report.published_revision_id.is_not(None))
        .order_by(Cycle.period_end.desc(), Cycle.code.desc())
        .limit(1)
    )
    if cycle is None:
        return None
    level = comparison_level(entry.level, entry.is_kreisfrei)
    spec = GroupSpec(GroupKind.SIMILAR, focus=entry.key, level=level)
    judged = [c for c, i in content().indicators.items() if direction_of(i) is not None]
    result = compare(user, cycle, spec, judged, with_trend=False)
    lines = []
    for ic in result.indicators:
        row = next((r for r in ic.rows if r.member.key == entry.key), None)
        if row is not None:
            lines.append(ScoreLine(ic.indicator, row, ic.summary.median, ic.summary.n, ic.too_few))
    return MunicipalityScoreboard(cycle, spec, len(result.members), lines, result.synthetic)


# --- lookups for the pages ----------------------------------------------------------------


def name_lookup(q: str, limit: int = 20) -> list[tuple[str, str]]:
    """(reporting AGS, name shown) of current reporting entries whose name contains ``q``."""
    q = q.strip()
    if len(q) < 2:
        return []
    query = (
        register.search_query(q)
        .where(Municipality.level.in_([Level.GEMEINDE, Level.KREIS]))
        .order_by(Municipality.name, Municipality.key)
        .limit(limit)
    )
    entries = list(db.session.scalars(query))
    display = register.display_names(entries)
    return [(_ags(m.key, m.level), str(display[m.key])) for m in entries]


def names_of(ags_list: Sequence[str]) -> list[tuple[str, str]]:
    """(reporting AGS, name shown) of the given keys, in order; unknown keys are skipped."""
    entries = []
    for ags in ags_list:
        try:
            entries.append(register.get(ags))
        except NotFound:
            continue
    display = register.display_names(entries)
    return [(_ags(m.key, m.level), str(display[m.key])) for m in entries]


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
    return [(m.key, (" " if m.level != Level.LAND else "") + str(display[m.key])) for m in entries]


def basis_label(code: str) -> str:
    basis = BASES.get(code)
    return basis.label if basis else "keine"
