"""The comparison's stored figures (outbox consumer ``compare``): filled after each published
change, equal to what the published revisions say, untouched by drafts and corrections in
progress, and never used while behind the outbox or built for another catalogue."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, select, update

from omk.compare.peers import GroupKind
from omk.extensions import db
from omk.models import OutboxEntry, PublishedFigure, PublishedFigureState, Report
from omk.services import compare as service
from omk.services import outbox, reports
from omk.services.compare import figures, store
from tests.compare.test_compare_service import LEVEL, SIX, publish, submit_correction, world

__all__ = ["world"]  # the fixture, shared with test_compare_service


def both(codes: list[str], cycle_ids: list[int], keys: list[str] | None = None) -> Any:
    """(stored, live) published figures of the same question."""
    assert store.is_current()
    stored = service.published_figures(cycle_ids, codes, keys)
    with figures.reading_live():
        live = service.published_figures(cycle_ids, codes, keys)
    return stored, live


def every_cycle_id() -> list[int]:
    return list(db.session.scalars(select(Report.cycle_id).distinct()))


def test_publishing_fills_the_store_with_what_the_revisions_say(world: dict[str, Any]) -> None:
    assert store.is_current()
    catalogue = list(service.content().indicators)
    published = db.session.scalar(
        select(func.count()).select_from(Report).where(Report.published_revision_id.is_not(None))
    )
    stored = db.session.scalar(select(func.count()).select_from(PublishedFigure))
    assert stored == published * len(catalogue)  # one row per report and indicator
    for codes in ([LEVEL], ["sprache_bildung.kita_kinder"], catalogue, []):
        for keys in (None, SIX[:2]):
            s, live = both(codes, every_cycle_id(), keys)
            assert s == live and s


def test_a_comparison_reads_the_same_from_the_store(world: dict[str, Any]) -> None:
    spec = service.GroupSpec(GroupKind.REGION, region="06632")
    codes = list(service.content().indicators)
    stored = service.compare(world["staff"], world["cycle"], spec, codes)
    with figures.reading_live():
        live = service.compare(world["staff"], world["cycle"], spec, codes)
    assert [ic.rows for ic in stored.indicators] == [ic.rows for ic in live.indicators]
    assert [ic.trend for ic in stored.indicators] == [ic.trend for ic in live.indicators]
    assert [ic.summary for ic in stored.indicators] == [ic.summary for ic in live.indicators]


def test_a_correction_counts_only_once_accepted(world: dict[str, Any]) -> None:
    report = submit_correction(world, SIX[1], 99.0)
    cycle_id, revision_id = report.cycle_id, report.published_revision_id
    row = db.session.get(PublishedFigure, (LEVEL, cycle_id, SIX[1]))
    assert row is not None and row.raw == 20.0 and row.revision_id == revision_id
    reports.accept(world["reviewer"], report)
    db.session.expire_all()
    row = db.session.get(PublishedFigure, (LEVEL, cycle_id, SIX[1]))
    assert row is not None and row.raw == 99.0 and row.revision_id != revision_id
    s, live = both([LEVEL], every_cycle_id())
    assert s == live


def test_applying_twice_or_rebuilding_changes_nothing(world: dict[str, Any]) -> None:
    def rows() -> list[Any]:
        return [
            (r.code, r.cycle_id, r.municipality_key, r.revision_id, r.raw, r.allocated)
            for r in db.session.scalars(
                select(PublishedFigure).order_by(
                    PublishedFigure.code, PublishedFigure.cycle_id, PublishedFigure.municipality_key
                )
            )
        ]

    before = rows()
    store.apply_entries(list(db.session.scalars(select(OutboxEntry))))
    assert rows() == before
    db.session.execute(delete(PublishedFigure))
    db.session.commit()
    store.rebuild()
    assert rows() == before and store.is_current()


def test_a_stale_store_is_never_read(world: dict[str, Any]) -> None:
    publish(world["admin"], SIX[2], "2025", {LEVEL: 31.0})
    assert store.is_current()
    # an entry the consumer has not applied yet: the revisions answer
    outbox.reset(store.CONSUMER, 0)
    assert not store.is_current()
    db.session.execute(update(PublishedFigure).values(raw=-1.0))
    db.session.commit()
    values = service.published_figures(every_cycle_id(), [LEVEL], SIX)
    assert all(f.values.get(LEVEL) != -1.0 for f in values.values())
    store.sync()
    assert store.is_current()
    # built for another catalogue: not read, and the next run rebuilds it
    db.session.execute(update(PublishedFigureState).values(catalogue="other"))
    db.session.commit()
    assert not store.is_current()
    store.recompute([], [])
    assert store.is_current()
    s, live = both([LEVEL], every_cycle_id())
    assert s == live
