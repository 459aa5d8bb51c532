"""The comparison's stored figures, kept by the outbox consumer ``compare``.

Per published report and catalogue indicator one row (``published_figure``): the value as
reported and the denominators its basis divides by (the population stamped on the revision,
the persons allocated in the same revision). Written only after a published change, by the
consumer (registered at app start; idempotent: it replaces a report's rows by what the
database holds now), by ``omk compare sync`` (cron) and ``omk compare rebuild``. A request
then reads one row per report and indicator instead of every published revision's values.

Only accepted revisions are stored (the report's ``published_revision_id``): a correction in
progress changes nothing until it is accepted, which writes an outbox entry. The rows are
used only while the store is current (:func:`is_current`: built for this indicator catalogue
and no outbox entry pending); otherwise the comparison reads the revisions themselves, so
figures are the same either way.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    String,
    and_,
    case,
    cast,
    delete,
    func,
    insert,
    literal,
    select,
    text,
    true,
    union_all,
)
from sqlalchemy.orm import aliased

from omk.chunks import sorted_chunks
from omk.compare.bases import ALLOCATED, BASES
from omk.extensions import db
from omk.models.compare import PublishedFigure, PublishedFigureState
from omk.models.outbox import OutboxEntry, OutboxKind
from omk.models.register import Municipality
from omk.models.reporting import IndicatorValue, Report, Revision
from omk.models.types import utcnow
from omk.services import outbox
from omk.services.compare._shared import content
from omk.services.transaction import unit_of_work

CONSUMER = "compare"
#: Arbitrary constant naming the advisory lock that serialises writers on PostgreSQL.
_WRITE_LOCK = 0x6F6D6B03
#: Reports (or municipalities) replaced per statement.
_CHUNK = 400


def catalogue_digest() -> str:
    """A digest of the indicator catalogue's codes and bases (the rows the store holds per
    report, and how their values are normalised)."""
    listed = sorted(f"{code}:{i.normalise}" for code, i in content().indicators.items())
    return hashlib.sha256("\n".join(listed).encode()).hexdigest()


def is_current() -> bool:
    """Whether the stored figures equal what the published revisions say: built for the
    current catalogue, and the consumer has applied every outbox entry."""
    built = db.session.scalar(select(PublishedFigureState.catalogue).limit(1))
    if built != catalogue_digest():
        return False
    newest = db.session.scalar(select(func.coalesce(func.max(OutboxEntry.id), 0))) or 0
    return outbox.position(CONSUMER) >= newest


def _figures_select(codes: Sequence[str]) -> tuple[Sequence[str], Select[Any]]:
    """INSERT … SELECT of the rows of every published report (to be narrowed by the caller):
    each report × catalogue code, the value and the denominators joined from the revision,
    and the value on the indicator's basis computed as omk.compare.bases.normalise does
    (``raw / denominator * per``, nothing for a missing, zero or negative denominator)."""
    catalogue = content().indicators
    parts = []
    for code in codes:
        basis = BASES.get(catalogue[code].normalise)
        parts.append(
            select(
                cast(literal(code), String(80)).label("code"),
                cast(literal(basis.per if basis else None), Integer).label("per"),
                cast(literal(basis.denominator if basis else None), String(20)).label(
                    "denominator"
                ),
            )
        )
    entries = union_all(*parts).subquery("catalogue")
    value = aliased(IndicatorValue, name="value")
    allocated = aliased(IndicatorValue, name="allocated")
    population = case(
        (Revision.population.is_not(None), Revision.population),
        (Revision.population_as_of.is_(None), Municipality.population),
        else_=None,
    )
    normalised = case(
        (value.value.is_(None), None),
        (entries.c.denominator.is_(None), value.value),
        (
            and_(entries.c.denominator == "population", population > 0),
            value.value / population * entries.c.per,
        ),
        (
            and_(entries.c.denominator == "allocated", allocated.value > 0),
            value.value / allocated.value * entries.c.per,
        ),
        else_=None,
    )
    query = (
        select(
            entries.c.code,
            Report.cycle_id,
            Report.municipality_key,
            Report.id,
            Report.published_revision_id,
            value.value,
            population,
            allocated.value,
            normalised,
        )
        .select_from(Report)
        .join(Revision, Revision.id == Report.published_revision_id)
        .outerjoin(Municipality, Municipality.key == Report.municipality_key)
        .join(entries, true())
        .outerjoin(
            value,
            and_(
                value.revision_id == Report.published_revision_id,
                value.code == entries.c.code,
            ),
        )
        .outerjoin(
            allocated,
            and_(
                allocated.revision_id == Report.published_revision_id,
                allocated.code == ALLOCATED,
            ),
        )
        .where(Report.published_revision_id.is_not(None))
        # in the table's key order: SQLite appends to its B-tree instead of inserting at random
        .order_by(entries.c.code, Report.cycle_id, Report.municipality_key)
    )
    columns = (
        "code",
        "cycle_id",
        "municipality_key",
        "report_id",
        "revision_id",
        "raw",
        "population",
        "allocated",
        "value",
    )
    return columns, query


def _write(where: ColumnElement[bool] | None = None) -> None:
    """Insert the rows of the published reports matching ``where`` (all if None)."""
    codes = list(content().indicators)
    if not codes:
        return
    columns, query = _figures_select(codes)
    if where is not None:
        query = query.where(where)
    db.session.execute(insert(PublishedFigure).from_select(list(columns), query))


def _lock() -> None:
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _WRITE_LOCK})


def _mark_built() -> None:
    db.session.execute(delete(PublishedFigureState))
    db.session.add(PublishedFigureState(id=1, catalogue=catalogue_digest(), built_at=utcnow()))


def _rebuild_all() -> None:
    db.session.execute(delete(PublishedFigure))
    _write()
    _mark_built()


def recompute(report_ids: Sequence[int], keys: Sequence[str]) -> None:
    """Replace the stored rows of these reports and of every report of these municipalities
    by what their published revisions say now (a full rebuild when the store was never built
    or was built for another catalogue)."""
    with unit_of_work():
        _lock()
        built = db.session.scalar(select(PublishedFigureState.catalogue).limit(1))
        if built != catalogue_digest():
            _rebuild_all()
            return
        for chunk in sorted_chunks(report_ids, _CHUNK):
            db.session.execute(delete(PublishedFigure).where(PublishedFigure.report_id.in_(chunk)))
            _write(Report.id.in_(chunk))
        for chunk_keys in sorted_chunks(keys, _CHUNK):
            db.session.execute(
                delete(PublishedFigure).where(PublishedFigure.municipality_key.in_(chunk_keys))
            )
            _write(Report.municipality_key.in_(chunk_keys))


def apply_entries(entries: Sequence[OutboxEntry]) -> None:
    """The outbox consumer: a report's published revision changed (its rows are replaced), or
    a municipality's register data did (the population of revisions published before
    populations were stamped on them)."""
    report_ids = [
        e.report_id
        for e in entries
        if e.kind == OutboxKind.REPORT_PUBLISHED and e.report_id is not None
    ]
    keys = [
        e.municipality_key
        for e in entries
        if e.kind == OutboxKind.MUNICIPALITY_CHANGED and e.municipality_key
    ]
    if report_ids or keys or db.session.scalar(select(PublishedFigureState.id)) is None:
        recompute(report_ids, keys)


def register() -> None:
    """Make the stored figures a consumer of the outbox."""
    outbox.register_consumer(CONSUMER, apply_entries)


def sync() -> int:
    """Apply every pending outbox entry (cron: ``omk compare sync``)."""
    return outbox.drain(CONSUMER, apply_entries)


def rebuild() -> int:
    """Store every published report's figures anew and move the cursor to the newest entry;
    returns the number of rows stored."""
    start = db.session.scalar(select(func.coalesce(func.max(OutboxEntry.id), 0))) or 0
    with unit_of_work():
        _lock()
        _rebuild_all()
    outbox.reset(CONSUMER, int(start))
    return int(db.session.scalar(select(func.count()).select_from(PublishedFigure)) or 0)
