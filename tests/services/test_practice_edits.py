"""Editing the working copy one practice at a time: the service applies a document edit and
saves through the one write path, under the edit check."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from omk.errors import Conflict, Forbidden, NotFound, ValidationFailed
from omk.models import Report
from omk.services import reports
from tests import factories

ESSEN = "05113000"
CODE = "sprache_bildung.kursplaetze_kommunal"


@pytest.fixture
def people(app: Flask, make_user: Any) -> dict[str, Any]:
    factories.make_cycle("2025")
    return {
        "reporter": make_user("reporter", municipality=ESSEN),
        "colleague": make_user("reporter", municipality=ESSEN),
        "other": make_user("reporter", municipality="05315000"),
        "admin": make_user("admin"),
    }


@pytest.fixture
def report(people: dict[str, Any]) -> Report:
    doc = factories.document(ESSEN, practices=[factories.practice(f"M{n}") for n in "AB"])
    report, _ = reports.import_document(people["reporter"], doc)
    return report


def titles(report: Report) -> list[str]:
    return [p["title"] for p in reports.working_document(report)["practices"]]


def test_add_update_move_remove(people: dict[str, Any], report: Report) -> None:
    reporter = people["reporter"]
    new = factories.practice("MC")
    assert reports.save_practice(
        reporter, report, new, explains=[CODE], is_new=True, edit_version=None
    )
    assert titles(report) == ["MA", "MB", "MC"]
    assert new["id"] in reports.working_document(report)["indicator_practices"][CODE]
    changed = dict(new, title="MC neu")
    version = report.edit_version
    assert reports.save_practice(
        reporter, report, changed, explains=[], is_new=False, edit_version=version
    )
    assert titles(report) == ["MA", "MB", "MC neu"]
    assert new["id"] not in reports.working_document(report)["indicator_practices"].get(CODE, [])
    assert reports.move_practice(reporter, report, new["id"], "up", edit_version=None)
    assert titles(report) == ["MA", "MC neu", "MB"]
    first = reports.working_document(report)["practices"][0]["id"]
    version = report.edit_version
    assert not reports.move_practice(reporter, report, first, "up", edit_version=None)
    assert report.edit_version == version  # nothing to move: nothing saved
    assert reports.remove_practice(reporter, report, new["id"], edit_version=None)
    assert titles(report) == ["MA", "MB"]
    values = {"unterbringung.zuweisungen": 7, CODE: 20}
    assert reports.save_indicators(reporter, report, values, {CODE: [first]}, edit_version=None)
    doc = reports.working_document(report)
    assert doc["indicators"] == values
    assert doc["indicator_practices"] == {CODE: [first]}


def test_a_stale_edit_check_is_a_conflict(people: dict[str, Any], report: Report) -> None:
    version = report.edit_version
    reports.save_practice(
        people["colleague"],
        report,
        factories.practice("vom Kollegen"),
        explains=[],
        is_new=True,
        edit_version=version,
    )
    first = reports.working_document(report)["practices"][0]["id"]
    with pytest.raises(Conflict):
        reports.remove_practice(people["reporter"], report, first, edit_version=version)
    assert "vom Kollegen" in titles(report) and len(titles(report)) == 3


def test_unknown_practices_and_invalid_ones(people: dict[str, Any], report: Report) -> None:
    reporter = people["reporter"]
    with pytest.raises(NotFound):
        reports.remove_practice(reporter, report, "fehlt", edit_version=None)
    with pytest.raises(NotFound):
        reports.move_practice(reporter, report, "fehlt", "down", edit_version=None)
    with pytest.raises(NotFound):
        reports.save_practice(
            reporter,
            report,
            factories.practice("nie angelegt"),
            explains=[],
            is_new=False,
            edit_version=None,
        )
    broken = factories.practice("ohne Kriterium", criterion="gibt_es_nicht")
    with pytest.raises(ValidationFailed):
        reports.save_practice(reporter, report, broken, explains=[], is_new=True, edit_version=None)
    assert titles(report) == ["MA", "MB"]


def test_only_the_municipalitys_reporters_edit(people: dict[str, Any], report: Report) -> None:
    first = reports.working_document(report)["practices"][0]["id"]
    for outsider in (people["other"], people["admin"]):
        with pytest.raises(Forbidden):
            reports.remove_practice(outsider, report, first, edit_version=None)
        with pytest.raises(Forbidden):
            reports.remove_practice(outsider, report, "fehlt", edit_version=None)  # no probing
    assert titles(report) == ["MA", "MB"]


def test_a_submitted_report_is_not_edited(people: dict[str, Any], report: Report) -> None:
    reports.submit(people["reporter"], report)
    first = reports.working_document(report)["practices"][0]["id"]
    with pytest.raises(Conflict):
        reports.remove_practice(people["reporter"], report, first, edit_version=None)
