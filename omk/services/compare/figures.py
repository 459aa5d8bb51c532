"""Published figures, set-based: one row per published revision, normalised on its basis."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Literal, cast

from sqlalchemy import ClauseElement, and_, select
from sqlalchemy.orm import aliased
from sqlalchemy.sql.compiler import SQLCompiler

from omk.chunks import sorted_chunks
from omk.compare.bases import ALLOCATED, BASES, normalise
from omk.content import Indicator
from omk.extensions import db
from omk.models.compare import PublishedFigure
from omk.models.register import Municipality
from omk.models.reporting import IndicatorValue, Report, Revision
from omk.services.compare import store
from omk.services.compare._shared import _IN_LIMIT, NOT_GIVEN, content

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


#: Where published figures are read from: "auto" (the store while it is current, else the
#: revisions), "live" (always the revisions: the benchmark's "before", tests of equality).
_source: ContextVar[Literal["auto", "live"]] = ContextVar("omk_compare_source", default="auto")


@contextmanager
def reading_live() -> Iterator[None]:
    """Read published figures from the revisions (never the store) inside the block."""
    token = _source.set("live")
    try:
        yield
    finally:
        _source.reset(token)


def published_figures(
    cycle_ids: Sequence[int],
    codes: Iterable[str],
    keys: Iterable[str] | None = None,
    *,
    prefix: str = "",
) -> dict[tuple[int, str], Figures]:
    """The published figures of the given cycles by (cycle id, register key).

    Only the wanted indicators' values (and the allocations when a basis needs them). The
    population is the one stamped on the accepted revision (the register's current one for
    revisions published before stamping existed). Read from the stored figures
    (:mod:`.store`) while they are current, else from the published revisions: the same
    figures either way."""
    code_list = list(codes)
    if store_usable(code_list):
        return _stored_figures(cycle_ids, code_list, keys, prefix=prefix)
    return _live_figures(cycle_ids, code_list, keys, prefix=prefix)


def store_usable(codes: Sequence[str]) -> bool:
    """Whether figures of ``codes`` may be read from the store now (not inside
    :func:`reading_live`, catalogue indicators only, the store current)."""
    catalogue = content().indicators
    return (
        _source.get() == "auto" and all(code in catalogue for code in codes) and store.is_current()
    )


def _narrowed(query: Any, column: Any, key_list: list[str] | None, prefix: str) -> Any:
    """``query`` limited to ``key_list`` in SQL when it is short, else to the region
    ``prefix`` (longer lists are checked on the rows)."""
    if key_list is not None and len(key_list) <= _IN_LIMIT:
        return query.where(column.in_(key_list))
    if prefix:
        return query.where(column.startswith(prefix, autoescape=True))
    return query


def _stored_query(columns: Sequence[Any], codes: Sequence[str], cycle_ids: Sequence[int]) -> Any:
    """The stored rows of ``codes`` in ``cycle_ids`` (the allocations' rows when no code:
    every report has one)."""
    return select(*columns).where(
        PublishedFigure.code.in_(sorted(set(codes) or {ALLOCATED})),
        PublishedFigure.cycle_id.in_(list(cycle_ids)),
    )


def _stored_figures(
    cycle_ids: Sequence[int],
    code_list: list[str],
    keys: Iterable[str] | None,
    *,
    prefix: str,
) -> dict[tuple[int, str], Figures]:
    """:func:`published_figures` from the stored rows: one per report and wanted indicator,
    each carrying its report's denominators (every catalogue indicator has a row)."""
    with_allocated = _needs_allocated(code_list)
    key_list = sorted(set(keys)) if keys is not None else None
    columns = (
        PublishedFigure.cycle_id,
        PublishedFigure.municipality_key,
        PublishedFigure.code,
        PublishedFigure.raw,
        PublishedFigure.population,
        PublishedFigure.allocated,
    )
    query = _stored_query(columns, code_list, cycle_ids)
    query = _narrowed(query, PublishedFigure.municipality_key, key_list, prefix)
    allowed = set(key_list) if key_list is not None else None
    result: dict[tuple[int, str], Figures] = {}
    for cycle_id, key, code, raw, population, allocated in _plain_rows(query):
        if allowed is not None and key not in allowed:
            continue
        figures = result.get((cycle_id, key))
        if figures is None:
            figures = result[(cycle_id, key)] = Figures(cycle_id, key, population)
            if with_allocated and allocated is not None:
                figures.values[ALLOCATED] = float(allocated)
        if raw is not None and code in code_list:
            figures.values[code] = float(raw)
    return result


def _live_figures(
    cycle_ids: Sequence[int],
    code_list: list[str],
    keys: Iterable[str] | None,
    *,
    prefix: str,
) -> dict[tuple[int, str], Figures]:
    """:func:`published_figures` from the published revisions: one query (and one more for
    revisions published before the population was stamped), through the (revision_id, code,
    value) index."""
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
    query = _narrowed(query, Report.municipality_key, key_list, prefix)
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
    result: dict[str, int | None] = {}
    for chunk in sorted_chunks(keys, _IN_LIMIT):
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


@dataclass
class Past:
    """The members' normalised values in earlier cycles, for their previous values and the
    trend: by indicator, cycle id and register key; and who published in which cycle."""

    values: dict[str, dict[int, dict[str, float | None]]] = field(default_factory=dict)
    published: dict[int, set[str]] = field(default_factory=dict)

    def of(self, code: str, cycle_id: int) -> dict[str, float | None]:
        """Values of one indicator in one earlier cycle by key (absent: not published)."""
        return self.values.get(code, {}).get(cycle_id, {})


def past_from_figures(
    figures: dict[tuple[int, str], Figures], cycle_ids: Sequence[int], codes: Sequence[str]
) -> Past:
    """:class:`Past` computed from published figures (read from the revisions)."""
    catalogue = content().indicators
    wanted = set(cycle_ids)
    past = Past({code: {} for code in codes}, {cycle_id: set() for cycle_id in cycle_ids})
    functions = {code: _value_function(catalogue[code]) for code in codes}
    for (cycle_id, key), f in figures.items():
        if cycle_id not in wanted:
            continue
        past.published[cycle_id].add(key)
        for code, value_of in functions.items():
            past.values[code].setdefault(cycle_id, {})[key] = value_of(f)
    return past


def stored_past(
    cycle_ids: Sequence[int], codes: Sequence[str], keys: Iterable[str], *, prefix: str = ""
) -> Past:
    """:class:`Past` read from the store: one narrow row per report and indicator, the
    normalised value computed once when the report was published (:mod:`.store`)."""
    key_list = sorted(set(keys))
    columns = (
        PublishedFigure.cycle_id,
        PublishedFigure.municipality_key,
        PublishedFigure.code,
        PublishedFigure.value,
    )
    query = _stored_query(columns, codes, cycle_ids)
    query = _narrowed(query, PublishedFigure.municipality_key, key_list, prefix)
    allowed = set(key_list)
    past = Past({code: {} for code in codes}, {cycle_id: set() for cycle_id in cycle_ids})
    wanted = set(codes)
    for cycle_id, key, code, value in _plain_rows(query):
        if key not in allowed:
            continue
        past.published[cycle_id].add(key)
        if code in wanted:
            past.values[code].setdefault(cycle_id, {})[key] = (
                None if value is None else float(value)
            )
    return past
