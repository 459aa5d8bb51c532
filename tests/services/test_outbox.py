"""The outbox: every change to published material is recorded in its own transaction, and
consumers apply it in order from their own cursor."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from omk.extensions import db
from omk.models import OutboxEntry, User
from omk.services import outbox, reports
from omk.services.register_import import import_register
from tests import factories
from tests.conftest import SAMPLE_REGISTER

ESSEN = "05113000"


@pytest.fixture
def people(make_user: Callable[..., User]) -> dict[str, Any]:
    factories.make_cycle("2025")
    return {
        "reporter": make_user("reporter", municipality=ESSEN),
        "reviewer": make_user("reviewer", scope="05"),
        "admin": make_user("admin"),
    }


def _entries() -> list[OutboxEntry]:
    db.session.rollback()
    return list(db.session.scalars(select(OutboxEntry).order_by(OutboxEntry.id)))


def test_drafts_submissions_and_returns_write_nothing(people: dict[str, Any]) -> None:
    report, _ = reports.import_document(people["reporter"], factories.document(ESSEN))
    reports.submit(people["reporter"], report)
    reports.return_report(people["reviewer"], report, [("report", "Bitte ergänzen")])
    assert _entries() == []


def test_accept_and_an_accepted_correction_are_recorded(people: dict[str, Any]) -> None:
    first, second = factories.practice("Sprachcafé"), factories.practice("Lernpaten")
    doc = factories.document(ESSEN, practices=[first, second])
    report, _ = reports.import_document(people["reporter"], doc)
    reports.submit(people["reporter"], report)
    revision = reports.accept(people["reviewer"], report)
    [entry] = _entries()
    assert (entry.kind, entry.report_id, entry.revision_id) == (
        "report.published",
        report.id,
        revision.id,
    )
    assert entry.municipality_key == ESSEN
    assert entry.practice_ids == sorted([first["id"], second["id"]])

    # A correction drops a practice: the entry names it too, so consumers can remove it.
    reports.reopen(people["reviewer"], report, "Lernpaten ist beendet")
    corrected = reports.working_document(report)
    corrected["practices"] = [p for p in corrected["practices"] if p["id"] == first["id"]]
    reports.save_document(people["reporter"], report, corrected, edit_version=None)
    assert len(_entries()) == 1, "a correction in progress publishes nothing"
    reports.submit(people["reporter"], report)
    correction = reports.accept(people["reviewer"], report)
    entries = _entries()
    assert [e.revision_id for e in entries] == [revision.id, correction.id]
    assert entries[1].practice_ids == sorted([first["id"], second["id"]])


def test_a_published_import_is_recorded_once(people: dict[str, Any]) -> None:
    doc = factories.document(ESSEN)
    reports.import_document(people["admin"], doc, publish=True)
    reports.import_document(people["admin"], doc, publish=True)  # unchanged: no entry
    assert [e.kind for e in _entries()] == ["report.published"]


def test_register_changes_that_pages_show_are_recorded(app: Any, tmp_path: Any) -> None:
    import_register(SAMPLE_REGISTER)
    assert _entries() == [], "a first import changes nothing published"
    lines = SAMPLE_REGISTER.read_text(encoding="utf-8").splitlines()
    changed = [  # the Gemeinde Essen only (its Kreis and Gemeindeverband carry the name too)
        line.replace("Essen, Stadt", "Essen, Stadt (neu)") if line.startswith("60,") else line
        for line in lines
    ]
    newer = tmp_path / "newer.csv"
    newer.write_text("\n".join(changed) + "\n", encoding="utf-8")
    result = import_register(newer)
    assert result.outbox == 1
    [entry] = _entries()
    assert (entry.kind, entry.municipality_key) == ("municipality.changed", ESSEN)
    import_register(newer)
    assert len(_entries()) == 1, "an import that changes nothing writes nothing"


def test_consumers_apply_in_order_from_their_own_cursor(people: dict[str, Any]) -> None:
    """(Unregistered consumer names: the registered search consumer applies its own.)"""
    for ags in (ESSEN, "05315000"):
        reports.import_document(people["admin"], factories.document(ags), publish=True)
    seen: dict[str, list[int]] = {"probe-a": [], "probe-b": []}

    def consumer(name: str) -> Callable[[Sequence[OutboxEntry]], None]:
        return lambda entries: seen[name].extend(e.id for e in entries)

    assert outbox.lag("probe-a").pending == 2
    assert outbox.drain("probe-a", consumer("probe-a"), batch=1) == 2
    assert outbox.drain("probe-a", consumer("probe-a")) == 0, "applied entries are not repeated"
    assert outbox.lag("probe-a").pending == 0
    assert outbox.lag("probe-b").pending == 2, "each consumer has its own cursor"
    assert seen["probe-a"] == sorted(seen["probe-a"]) and len(seen["probe-a"]) == 2

    outbox.advance("probe-a", 1)  # never backwards
    assert outbox.position("probe-a") == seen["probe-a"][-1]


def test_a_failing_consumer_keeps_its_entries(people: dict[str, Any]) -> None:
    reports.import_document(people["admin"], factories.document(ESSEN), publish=True)

    def broken(entries: Sequence[OutboxEntry]) -> None:
        raise OSError("index locked")

    with pytest.raises(OSError):
        outbox.drain("probe-a", broken)
    assert outbox.lag("probe-a").pending == 1


def test_the_command_line_shows_and_drains_the_lag(
    people: dict[str, Any], runner: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    applied: list[int] = []
    monkeypatch.setattr(
        outbox, "_consumers", {"probe": lambda es: applied.extend(e.id for e in es)}
    )
    with monkeypatch.context() as m:
        m.setattr(outbox, "kick", lambda: None)  # leave the entry pending for the command
        reports.import_document(people["admin"], factories.document(ESSEN), publish=True)
    assert "probe: Stand 0, 1 offen" in runner.invoke(args=["outbox", "status"]).output
    assert "probe: 1 angewendet" in runner.invoke(args=["outbox", "drain"]).output
    assert "probe: Stand 1, 0 offen" in runner.invoke(args=["outbox", "status"]).output
    assert len(applied) == 1


def test_a_deferred_block_applies_everything_once_at_its_end(people: dict[str, Any]) -> None:
    with outbox.deferred():
        for ags in (ESSEN, "05315000"):
            reports.import_document(people["admin"], factories.document(ags), publish=True)
        assert outbox.lag("search").pending == 2, "nothing applied while the block runs"
    assert outbox.lag("search").pending == 0


def _probe(monkeypatch: pytest.MonkeyPatch, apply: Callable[[Sequence[OutboxEntry]], None]) -> None:
    monkeypatch.setattr(outbox, "_consumers", {"probe": apply})


def test_a_consumer_another_process_drains_is_left_to_it(
    people: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Web workers do not queue behind each other to apply the same entries: while one drains
    a consumer (here: this test holds its lock, as another worker would), a kick skips it."""
    applied: list[int] = []
    _probe(monkeypatch, lambda es: applied.extend(e.id for e in es))
    with outbox._draining("probe") as alone:
        assert alone
        reports.import_document(people["admin"], factories.document(ESSEN), publish=True)
        assert applied == [] and outbox.lag("probe").pending == 1
    outbox.kick()
    assert len(applied) == 1 and outbox.lag("probe").pending == 0


def test_entries_committed_while_a_worker_drains_are_applied_by_it(
    people: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The other worker's kick skipped the consumer, so the worker draining it must apply
    that worker's entries too: those committed between two batches, and those committed
    after its last look but before it let go of the consumer."""
    applied: list[int] = []
    late = ["05315000", "01001000"]

    def publish_from_another_worker() -> None:
        # its own kick finds the consumer taken and leaves the entry to us
        reports.import_document(people["admin"], factories.document(late.pop()), publish=True)

    def apply(entries: Sequence[OutboxEntry]) -> None:
        applied.extend(e.id for e in entries)
        if len(applied) == 1:
            publish_from_another_worker()  # between two batches

    original = outbox._drain

    def drain_then_publish(*args: Any) -> tuple[int, bool]:
        result = original(*args)
        if late:
            publish_from_another_worker()  # after the last look, before letting go
        return result

    _probe(monkeypatch, apply)
    monkeypatch.setattr(outbox, "_drain", drain_then_publish)
    reports.import_document(people["admin"], factories.document(ESSEN), publish=True)
    assert late == [] and len(applied) == 3
    assert outbox.lag("probe").pending == 0


def test_after_a_response_a_worker_stops_when_its_time_is_up(
    people: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A slow consumer does not keep a web worker busy until gunicorn kills it: after the
    response it applies what fits in AFTER_RESPONSE_SECONDS, the rest waits for cron."""
    with monkeypatch.context() as m:
        m.setattr(outbox, "kick", lambda: None)
        for ags in (ESSEN, "05315000", "01001000"):
            reports.import_document(people["admin"], factories.document(ags), publish=True)
    applied: list[int] = []

    def slow(entries: Sequence[OutboxEntry]) -> None:
        time.sleep(0.05)
        applied.extend(e.id for e in entries)

    _probe(monkeypatch, slow)
    monkeypatch.setattr(outbox, "KICK_BATCH", 1)
    monkeypatch.setattr(outbox, "AFTER_RESPONSE_SECONDS", 0.01)
    token = outbox._after_response.set(True)
    try:
        outbox.kick()
    finally:
        outbox._after_response.reset(token)
    assert len(applied) == 1, "one batch, then the time was up"
    assert outbox.lag("probe").pending == 2
    outbox.kick()  # cron or a kick outside a response: everything
    assert len(applied) == 3 and outbox.lag("probe").pending == 0


def test_a_lock_file_that_cannot_be_opened_does_not_stop_the_consumers(
    app: Any, people: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """(E.g. left read-only by a command run as another account.) The entries are applied
    anyway, without the lock."""
    applied: list[int] = []
    _probe(monkeypatch, lambda es: applied.extend(e.id for e in es))
    (Path(app.instance_path) / "outbox-probe.lock").mkdir()  # cannot be opened as a file
    reports.import_document(people["admin"], factories.document(ESSEN), publish=True)
    assert len(applied) == 1 and outbox.lag("probe").pending == 0


def test_the_consumer_furthest_behind_goes_first(
    people: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """When the time after a response runs out, not always the same consumer is left."""
    with monkeypatch.context() as m:
        m.setattr(outbox, "kick", lambda: None)
        reports.import_document(people["admin"], factories.document(ESSEN), publish=True)
    outbox.drain("probe-ahead", lambda entries: None)
    order: list[str] = []
    monkeypatch.setattr(
        outbox,
        "_consumers",
        {
            "probe-ahead": lambda entries: order.append("probe-ahead"),
            "probe-behind": lambda entries: order.append("probe-behind"),
        },
    )
    reports.import_document(people["admin"], factories.document("05315000"), publish=True)
    assert order == ["probe-behind", "probe-ahead"]
