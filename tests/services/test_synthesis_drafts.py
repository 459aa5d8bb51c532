"""Synthesis drafts and publication (issue 13, items 3 and 4): who may generate, edit and
publish; the edit check; frozen versions; the audit log."""

from __future__ import annotations

import copy
import io
import zipfile
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from omk.errors import Conflict, Forbidden, NotFound, ValidationFailed
from omk.extensions import db
from omk.models import AuditEntry, User
from omk.models.synthesis import SynthesisVersion
from omk.policy import Action
from omk.services import reports
from omk.services import synthesis as service
from tests import factories

ESSEN, KOELN, ALHEIM = "05113000", "05315000", "06632001"


@pytest.fixture
def world(app: Flask, make_user: Callable[..., User]) -> dict[str, Any]:
    """Cycle 2025 with published reports of Essen and Köln (Land 05) and Alheim (06)."""
    factories.make_cycle("2025")
    admin = make_user("admin")
    people = {
        "admin": admin,
        "reviewer": make_user("reviewer", scope="05"),
        "colleague": make_user("reviewer", scope="05"),
        "reviewer_06": make_user("reviewer", scope="06"),
        "reviewer_053": make_user("reviewer", scope="053"),
        "staff": make_user("staff"),
        "reporter": make_user("reporter", municipality=ESSEN),
        "koeln": make_user("reporter", municipality=KOELN),
    }
    for key in (ESSEN, KOELN, ALHEIM):
        reports.import_document(admin, factories.document(key), publish=True)
    db.session.rollback()
    return people


def _audit(action: str) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def test_a_reviewer_generates_edits_and_publishes(world: dict[str, Any]) -> None:
    reviewer = world["reviewer"]
    draft = service.generate(reviewer, "2025", "05")
    assert draft.document is not None and draft.document_counts_only is not None
    chapters = service.chapter_ids(draft.document)
    assert chapters
    draft = service.save_texts(
        reviewer,
        "2025",
        "05",
        introduction="Die Runde 2025 in **NRW**.",
        comments={chapters[0]: "Ein Kommentar."},
        names_shown=False,
        edit_version=draft.edit_version,
    )
    version = service.publish(reviewer, "2025", "05", edit_version=draft.edit_version)
    assert version.number == 1
    assert version.introduction == "Die Runde 2025 in **NRW**."
    assert version.comments == {chapters[0]: "Ein Kommentar."}
    # Counts only: the version holds the document built without names.
    assert version.document == draft.document_counts_only
    shown = service.published(world["staff"], "2025", "05")
    assert shown.id == version.id
    # Audited, with who and what.
    for action in ("synthesis.generate", "synthesis.edit", "synthesis.publish"):
        entries = _audit(action)
        assert len(entries) == 1, action
        assert entries[0].actor_id == reviewer.id
        assert entries[0].detail["region"] == "05"
        assert entries[0].detail["cycle"] == "2025"
    assert _audit("synthesis.publish")[0].detail["number"] == 1


def test_names_are_published_only_when_the_reviewers_choose_so(world: dict[str, Any]) -> None:
    reviewer = world["reviewer"]
    draft = service.generate(reviewer, "2025", "05")
    assert draft.document is not None
    assert draft.document["names_shown"] is True  # the reviewers always see names
    draft = service.save_texts(
        reviewer,
        "2025",
        "05",
        introduction="",
        comments={},
        names_shown=True,
        edit_version=draft.edit_version,
    )
    version = service.publish(reviewer, "2025", "05", edit_version=draft.edit_version)
    assert version.names_shown is True
    assert version.document == draft.document


def test_the_edit_check_refuses_a_stale_save_and_writes_nothing(world: dict[str, Any]) -> None:
    first, second = world["reviewer"], world["colleague"]
    draft = service.generate(first, "2025", "05")
    read_by_both = draft.edit_version
    service.save_texts(
        first,
        "2025",
        "05",
        introduction="Erste Fassung",
        comments={},
        names_shown=False,
        edit_version=read_by_both,
    )
    with pytest.raises(Conflict) as caught:
        service.save_texts(
            second,
            "2025",
            "05",
            introduction="Zweite Fassung",
            comments={},
            names_shown=True,
            edit_version=read_by_both,
        )
    assert "inzwischen geändert" in caught.value.message
    db.session.rollback()
    _cycle, stored = service.find_draft(first, "2025", "05")
    assert stored is not None
    assert (stored.introduction, stored.names_shown) == ("Erste Fassung", False)
    # Publishing what one no longer sees is refused as well.
    with pytest.raises(Conflict):
        service.publish(second, "2025", "05", edit_version=read_by_both)
    assert db.session.scalars(select(SynthesisVersion)).all() == []


def test_publishing_needs_a_generated_report(world: dict[str, Any]) -> None:
    with pytest.raises(Conflict):
        service.publish(world["reviewer"], "2025", "05", edit_version=1)


def test_comments_must_name_a_chapter_and_stay_short(world: dict[str, Any]) -> None:
    reviewer = world["reviewer"]
    draft = service.generate(reviewer, "2025", "05")
    with pytest.raises(ValidationFailed) as caught:
        service.save_texts(
            reviewer,
            "2025",
            "05",
            introduction="x" * (service.MAX_TEXT + 1),
            comments={"kein-kapitel": "Text"},
            names_shown=False,
            edit_version=draft.edit_version,
        )
    fields = {e.field for e in caught.value.errors}
    assert fields == {"introduction", "comments.kein-kapitel"}


@pytest.mark.parametrize(
    ("who", "region", "allowed"),
    [
        ("reviewer", "05", True),
        ("reviewer", "053", True),  # a region within its own
        ("reviewer_053", "053", True),
        ("reviewer_053", "05", False),  # wider than its own
        ("reviewer", "06", False),
        ("reviewer_06", "06", True),
        ("reviewer", "", False),  # Germany: the operator's
        ("admin", "", True),
        ("admin", "06", True),
        ("staff", "05", False),
        ("reporter", "05", False),
    ],
)
def test_who_manages_which_region(
    world: dict[str, Any], who: str, region: str, allowed: bool
) -> None:
    user = world[who]
    if allowed:
        service.find_draft(user, "2025", region)
        service.generate(user, "2025", region)
    else:
        with pytest.raises(Forbidden):
            service.find_draft(user, "2025", region)
        with pytest.raises(Forbidden):
            service.generate(user, "2025", region)
        with pytest.raises(Forbidden):
            service.publish(user, "2025", region, edit_version=1)


def test_unknown_regions_and_cycles_are_not_found(world: dict[str, Any]) -> None:
    admin = world["admin"]
    for cycle, region in (("2025", "99"), ("2025", "0511"), ("2099", "05"), ("2025", "05999")):
        with pytest.raises(NotFound):
            service.find_draft(admin, cycle, region)
    factories.make_cycle("NRW-only", regions=["05"])
    with pytest.raises(NotFound):  # the cycle does not cover Land 06
        service.find_draft(admin, "NRW-only", "06")


def test_a_draft_is_listed_only_for_those_who_manage_it(world: dict[str, Any]) -> None:
    service.generate(world["reviewer"], "2025", "05")
    for who, expected in (
        ("reviewer", ["05"]),
        ("colleague", ["05"]),
        ("admin", ["05"]),
        ("reviewer_06", []),
        ("reviewer_053", []),
        ("staff", []),
        ("reporter", []),
    ):
        overview = service.overview(world[who])
        assert [e.region for e in overview.drafts] == expected, who
        assert overview.published == [], who


def test_a_published_synthesis_does_not_change_when_a_report_is_corrected(
    world: dict[str, Any],
) -> None:
    """Known answer: version 1 keeps Köln's accepted figures after Köln's correction is
    accepted; the next generated draft and version 2 show the corrected ones."""
    reviewer = world["reviewer"]
    draft = service.generate(reviewer, "2025", "05")
    draft = service.save_texts(
        reviewer,
        "2025",
        "05",
        introduction="Fassung 1",
        comments={},
        names_shown=True,
        edit_version=draft.edit_version,
    )
    first = service.publish(reviewer, "2025", "05", edit_version=draft.edit_version)
    frozen = copy.deepcopy(first.document)
    frozen_md = service.rendered_file(first, "md")[0]
    frozen_csv = _csv_files(service.rendered_file(first, "zip")[0])

    report = reports.get_report_for(reviewer, Action.REPORT_REVIEW, "2025", KOELN)
    reports.reopen(reviewer, report, "Zahlen korrigieren")
    koeln = world["koeln"]
    corrected = copy.deepcopy(reports.working_document(report))
    corrected["indicators"]["arbeitsmarkt.ausbildung"] += 70
    corrected["indicators"]["unterbringung.zuweisungen"] += 300
    reports.save_document(koeln, report, corrected, edit_version=None)
    reports.submit(koeln, report)
    reports.accept(reviewer, report)
    db.session.rollback()

    again = service.published(world["staff"], "2025", "05", 1)
    assert again.document == frozen
    assert service.rendered_file(again, "md")[0] == frozen_md
    assert _csv_files(service.rendered_file(again, "zip")[0]) == frozen_csv
    regenerated = service.generate(reviewer, "2025", "05")
    assert _figures(regenerated.document) != _figures(frozen)
    second = service.publish(reviewer, "2025", "05", edit_version=regenerated.edit_version)
    assert second.number == 2
    assert service.published(world["staff"], "2025", "05").number == 2
    assert service.published(world["staff"], "2025", "05", 1).document == frozen
    assert [v.number for v in service.versions(second.cycle, "05")] == [2, 1]


def _csv_files(data: bytes) -> dict[str, bytes]:
    """The CSV files of a ZIP by name (the ZIP's own timestamps differ)."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _figures(document: Any) -> list[Any]:
    """Every table's rows (what a correction of figures changes)."""
    return [t["rows"] for c in document["chapters"] for t in c["tables"]]
