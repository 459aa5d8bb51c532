"""Reporting services: revisions, diffs and comments, lineage, import/export, versions."""

from __future__ import annotations

import copy
import json
import shutil
import uuid
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from omk.errors import Conflict, ValidationFailed
from omk.extensions import db
from omk.models import AuditEntry, Report, Revision
from omk.policy import SYSTEM
from omk.services import reports
from tests import factories

ESSEN = "05113000"


@pytest.fixture
def people(app: Flask, make_user: Any) -> dict[str, Any]:
    factories.make_cycle("2025")
    return {
        "reporter": make_user("reporter", municipality=ESSEN),
        "reviewer": make_user("reviewer", scope="05"),
        "admin": make_user("admin"),
    }


def submitted(people: dict[str, Any], doc: dict[str, Any]) -> Report:
    report, _ = reports.import_document(people["reporter"], doc)
    reports.submit(people["reporter"], report)
    return report


def test_reorder_and_delete_show_only_real_changes(people: dict[str, Any]) -> None:
    a, b, c = (factories.practice(f"Maßnahme {n}") for n in "ABC")
    doc = factories.document(ESSEN, practices=[a, b, c])
    report = submitted(people, doc)
    reports.return_report(
        people["reviewer"],
        report,
        [
            (f"practices[{b['id']}].title", "Titel unklar."),
            (f"practices[{c['id']}].outcomes", "Bitte Zahlen nennen."),
            (f"practices[{a['id']}].summary", "Passt so? Bitte bestätigen."),
        ],
    )
    # next revision: C first, A second, B deleted, C's outcomes changed
    new = copy.deepcopy(doc)
    c2 = copy.deepcopy(c) | {"outcomes": "120 Teilnehmende, 30 in Arbeit."}
    new["practices"] = [c2, copy.deepcopy(a)]
    new["indicator_practices"] = {}
    reports.save_document(people["reporter"], report, new, edit_version=None)
    reports.submit(people["reporter"], report)

    changes = reports.revision_diff(report, 1, 2)
    fields = {ch["field"] for ch in changes}
    assert fields == {
        f"practices[{b['id']}]",
        f"practices[{c['id']}].outcomes",
        "indicator_practices.sprache_bildung.kursplaetze_kommunal",
    }
    removed = next(ch for ch in changes if ch["field"] == f"practices[{b['id']}]")
    assert removed == {"field": f"practices[{b['id']}]", "old": "Maßnahme B", "new": None}

    statuses = {s.comment.field: s for s in reports.comments(report)}
    assert statuses[f"practices[{b['id']}].title"].answered  # the practice was removed
    assert statuses[f"practices[{c['id']}].outcomes"].answered
    assert not statuses[f"practices[{a['id']}].summary"].answered  # untouched, no reply
    # every comment stays on its field and its revision
    assert {s.revision_number for s in statuses.values()} == {1}
    # the reporter may answer without changing the field
    reports.reply(
        people["reporter"], statuses[f"practices[{a['id']}].summary"].comment, "Ja, bestätigt."
    )
    assert all(s.answered for s in reports.comments(report))


def test_submitted_revision_is_immutable(people: dict[str, Any]) -> None:
    doc = factories.document(ESSEN)
    report = submitted(people, doc)
    frozen = reports.revision_document(reports.get_revision(report, 1))
    with pytest.raises(Conflict):
        reports.save_document(
            people["reporter"], report, factories.document(ESSEN), edit_version=None
        )
    reports.return_report(people["reviewer"], report, [("report", "Bitte ergänzen.")])
    changed = copy.deepcopy(doc)
    changed["practices"][0]["title"] = "Neuer Titel"
    reports.save_document(people["reporter"], report, changed, edit_version=None)
    assert reports.revision_document(reports.get_revision(report, 1)) == frozen
    assert reports.working_document(report)["practices"][0]["title"] == "Neuer Titel"


def test_return_needs_a_reason_and_a_real_field(people: dict[str, Any]) -> None:
    report = submitted(people, factories.document(ESSEN))
    with pytest.raises(ValidationFailed) as missing:
        reports.return_report(people["reviewer"], report, [("report", "   ")])
    assert missing.value.errors[0].field == "comments"
    with pytest.raises(ValidationFailed) as unknown:
        reports.return_report(people["reviewer"], report, [("practices[nope].title", "x")])
    assert "gibt es in dieser Revision nicht" in unknown.value.errors[0].message
    assert db.session.get(Report, report.id).state == "submitted"  # type: ignore[union-attr]


def test_reopen_keeps_the_accepted_revision_published(people: dict[str, Any]) -> None:
    doc = factories.document(ESSEN)
    report = submitted(people, doc)
    reports.accept(people["reviewer"], report)
    reports.reopen(people["reviewer"], report, "Budget korrigieren")
    correction = copy.deepcopy(doc)
    correction["indicators"]["verwaltung.budget_eur"] = 500000
    reports.save_document(people["reporter"], report, correction, edit_version=None)
    assert reports.published_document(report)["indicators"]["verwaltung.budget_eur"] == 450000  # type: ignore[index]
    reports.submit(people["reporter"], report)
    assert reports.published_document(report)["indicators"]["verwaltung.budget_eur"] == 450000  # type: ignore[index]
    reports.accept(people["reviewer"], report)
    assert reports.published_document(report)["indicators"]["verwaltung.budget_eur"] == 500000  # type: ignore[index]
    assert report.revision_count == 2 and not report.is_correction


def test_id_less_document_twice_changes_nothing(people: dict[str, Any]) -> None:
    doc = factories.document(ESSEN, practices=[factories.practice("Ohne ID", id=None)])
    doc["indicator_practices"] = {}
    report, changed = reports.import_document(people["reporter"], copy.deepcopy(doc))
    assert changed
    first_id = reports.working_document(report)["practices"][0]["id"]
    uuid.UUID(first_id)
    _, changed_again = reports.import_document(people["reporter"], copy.deepcopy(doc))
    assert not changed_again
    assert reports.working_document(report)["practices"][0]["id"] == first_id


def test_continued_practice_keeps_its_id(app: Flask, people: dict[str, Any]) -> None:
    from datetime import date

    factories.make_cycle(
        "2026",
        period_start=date(2026, 1, 1),
        period_end=date(2026, 12, 31),
        deadline=date(2027, 3, 31),
    )
    doc = factories.document(ESSEN)
    old = submitted(people, doc)
    reports.accept(people["reviewer"], old)
    pid = doc["practices"][0]["id"]
    new, _ = reports.import_document(
        people["reporter"],
        factories.document(ESSEN, cycle="2026", practices=[factories.practice("Neu")]),
    )
    assert reports.previous_report(new).id == old.id  # type: ignore[union-attr]
    assert reports.carry_forward(people["reporter"], new, [pid], edit_version=None) == 1
    ids = [p["id"] for p in reports.working_document(new)["practices"]]
    assert pid in ids
    # continuing twice adds nothing
    assert reports.carry_forward(people["reporter"], new, [pid], edit_version=None) == 0


def test_export_import_round_trip_reproduces_reports_exactly(
    app: Flask, people: dict[str, Any], tmp_path: Path
) -> None:
    doc = factories.document(
        ESSEN,
        practices=[
            factories.practice("Erste"),
            factories.practice("Zweite", budget_eur=None, sources=[]),
        ],
    )
    doc["practices"][1]["source_date"] = "2018-03"  # a field this version does not model is kept
    report = submitted(people, doc)
    reports.accept(people["reviewer"], report)
    cycle = report.cycle
    exported = reports.export_documents(SYSTEM, cycle)
    assert len(exported) == 1
    (tmp_path / "a.json").write_text(json.dumps(exported[0]), encoding="utf-8")

    # empty the instance's reports, then import the export as published
    for table in (
        "review_event",
        "review_comment",
        "practice_actor",
        "indicator_value",
        "practice",
    ):
        db.session.execute(db.metadata.tables[table].delete())
    db.session.execute(db.metadata.tables["report"].update().values(published_revision_id=None))
    db.session.execute(db.metadata.tables["revision"].delete())
    db.session.execute(db.metadata.tables["report"].delete())
    db.session.commit()

    imported = json.loads((tmp_path / "a.json").read_text(encoding="utf-8"))
    again, changed = reports.import_document(SYSTEM, imported, publish=True)
    assert changed and again.state == "accepted"
    assert reports.export_documents(SYSTEM, again.cycle) == exported
    assert exported[0]["practices"][1]["source_date"] == "2018-03"
    # importing it again changes nothing
    assert reports.import_document(SYSTEM, imported, publish=True)[1] is False
    assert db.session.scalar(select(func.count(Revision.id))) == 1
    audit = db.session.scalars(
        select(AuditEntry.action).where(AuditEntry.action == "report.imported")
    ).all()
    assert len(audit) == 1


def test_export_never_contains_drafts(people: dict[str, Any]) -> None:
    marker = "GEHEIMER-ENTWURF-7731"
    reports.import_document(
        people["reporter"], factories.document(ESSEN, practices=[factories.practice(marker)])
    )
    cycle = reports.get_report("2025", ESSEN).cycle
    assert marker not in json.dumps(reports.export_documents(SYSTEM, cycle))


def test_report_stays_bound_to_its_template_version(
    make_app: Any, tmp_path: Path, register: None
) -> None:
    from datetime import date

    from omk.content import DEFAULT_CONTENT_DIR
    from omk.services.register_import import import_register
    from tests.conftest import SAMPLE_REGISTER

    content = tmp_path / "content"
    shutil.copytree(DEFAULT_CONTENT_DIR, content, ignore=shutil.ignore_patterns("register"))
    v2 = (content / "templates" / "bericht-1.yaml").read_text(encoding="utf-8")
    v2 = v2.replace('version: "1"', 'version: "2"').replace(
        "valid_from: 2023-01-01", "valid_from: 2026-01-01"
    )
    v2 = v2.replace(
        "      - code: unterbringung.aufenthaltsdauer_gu\n        required: false",
        "      - code: unterbringung.aufenthaltsdauer_gu\n        required: true",
    )
    (content / "templates" / "bericht-2.yaml").write_text(v2, encoding="utf-8")
    app = make_app(CONTENT_DIR=str(content))
    with app.app_context():
        import_register(SAMPLE_REGISTER)
        from omk.services import accounts

        reporter = accounts.create_user(
            None,
            "r@example.org",
            "reporter",
            password="korrekt-pferd-batterie",
            municipality_key=ESSEN,
        )
        old_cycle = factories.make_cycle("2025", template_version="1")
        new_cycle = factories.make_cycle(
            "2026",
            period_start=date(2026, 1, 1),
            period_end=date(2026, 12, 31),
            deadline=date(2027, 3, 31),
        )
        assert old_cycle.template_version == "1" and new_cycle.template_version == "2"
        doc = factories.document(ESSEN)
        del doc["indicators"]["unterbringung.aufenthaltsdauer_gu"]
        old, _ = reports.import_document(reporter, doc)
        assert old.template_version == "1"
        reports.submit(reporter, old)  # v1 does not require the stay in shared accommodation
        new, _ = reports.import_document(
            reporter, factories.document(ESSEN, cycle="2026") | {"indicators": doc["indicators"]}
        )
        with pytest.raises(ValidationFailed) as missing:
            reports.submit(reporter, new)
        assert [e.field for e in missing.value.errors] == [
            "indicators.unterbringung.aufenthaltsdauer_gu"
        ]


def test_a_comment_on_the_whole_report_is_answered_by_any_change(people: dict[str, Any]) -> None:
    doc = factories.document(ESSEN)
    report = submitted(people, doc)
    reports.return_report(people["reviewer"], report, [("report", "Bitte insgesamt überarbeiten.")])
    changed = copy.deepcopy(doc)
    changed["indicators"]["arbeitsmarkt.praktika"] = 61
    reports.save_document(people["reporter"], report, changed, edit_version=None)
    reports.submit(people["reporter"], report)
    assert [s.answered for s in reports.comments(report)] == [True]
