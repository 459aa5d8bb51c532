"""Visibility in one place (SECURITY.md A, reviewer scope): for every role, the reports the
HTML list and the API list show equal what the policy allows, record by record
(``can``), and what its SQL twin (``report_filter``) selects: set equality, no more, no less.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest
from sqlalchemy import event, select

from omk.extensions import db
from omk.models.reporting import Report
from omk.policy import REPORT_RULES, REPORT_SEE_ACTIONS, Action, can, report_filter
from omk.services import listing, reports
from tests import factories
from tests.security.world import ACCOUNT_ROLES, ROLES, C, World

Key = tuple[str, str]  # (cycle code, reporting AGS)


def user_of(world: World, role: str) -> Any:
    return None if role == "anonymous" else world.user(role)


def all_reports() -> list[Report]:
    return list(db.session.scalars(select(Report).order_by(Report.id)))


def key(report: Report) -> Key:
    return report.cycle.code, report.municipality.reporting_ags or report.municipality_key


def allowed(user: Any, *actions: Action) -> set[int]:
    """The reports the policy allows one of ``actions`` on, asked record by record."""
    return {r.id for r in all_reports() if any(can(user, a, r) for a in actions)}


def selected(user: Any, action: Action | None = None) -> set[int]:
    return set(db.session.scalars(select(Report.id).where(report_filter(user, action))))


def keys_of(ids: set[int]) -> set[Key]:
    return {key(r) for r in all_reports() if r.id in ids}


def api_listed(world: World, role: str, query: str = "") -> list[dict[str, Any]]:
    """Every item of the API list, page by page (two per page, so paging is exercised)."""
    client, items, page = world.app.test_client(), [], 1
    while True:
        response = client.get(
            f"/api/v1/reports?per_page=2&page={page}{query}",
            headers=world.headers(role, "/api/"),
        )
        assert response.status_code == 200, response.get_data(as_text=True)
        body = response.get_json()
        items += body["items"]
        if page * 2 >= body["total"]:
            assert len(items) == body["total"]
            return items
        page += 1


def html_listed(world: World, role: str) -> set[Key]:
    page = world.client(role).get("/berichte/").get_data(as_text=True)
    found = re.findall(r'href="/berichte/([^/"]+)/(\d{8})/veroeffentlicht"', page)
    return set(found)


def add_reports(world: World) -> None:
    """More rows than the world has: Flensburg (Land 01) published in cycle 2025, C's report
    reopened for a correction (published, but in revision again), and reports in a second
    cycle."""
    factories.make_cycle(
        "2024",
        period_start=date(2024, 1, 1),
        period_end=date(2024, 12, 31),
        deadline=date(2025, 3, 31),
    )
    admin = world.user("admin")
    for ags, cycle in (("01001000", "2025"), ("05113000", "2024"), ("06632001", "2024")):
        reports.import_document(admin, factories.document(ags, cycle), publish=True)
    report = reports.get_report("2025", C)
    reports.reopen(world.user("reviewer_06"), report, "Bitte die Zahlen prüfen.")
    db.session.rollback()


@pytest.fixture
def more(world: World) -> World:
    add_reports(world)
    return world


@pytest.mark.parametrize("role", ROLES)
def test_the_sql_rule_equals_the_record_rule_for_every_report_action(
    more: World, role: str
) -> None:
    user = user_of(more, role)
    for action in REPORT_RULES:
        assert selected(user, action) == allowed(user, action), action
    assert selected(user) == allowed(user, *REPORT_SEE_ACTIONS)


@pytest.mark.parametrize("role", ACCOUNT_ROLES)
def test_the_api_list_shows_exactly_what_the_user_may_see(more: World, role: str) -> None:
    user = user_of(more, role)
    expected = allowed(user, *REPORT_SEE_ACTIONS)
    assert listing.visible_report_ids(user) == expected
    items = api_listed(more, role)
    listed = {(i["cycle"], i["municipality"]) for i in items}
    assert len(listed) == len(items)  # no row twice across pages
    assert listed == keys_of(expected)
    by_key = {key(r): r for r in all_reports()}
    for item in items:
        report = by_key[(item["cycle"], item["municipality"])]
        if can(user, Action.REPORT_READ, report):
            assert item["state"] == report.state
            assert item["revisions"] == report.revision_count
        else:  # seen only through the published revision
            assert item["state"] == "accepted"
            assert item["revisions"] == item["published_revision"]


@pytest.mark.parametrize("role", ACCOUNT_ROLES)
def test_the_html_list_shows_exactly_the_published_reports(more: World, role: str) -> None:
    user = user_of(more, role)
    expected = keys_of(allowed(user, Action.REPORT_READ_PUBLISHED))
    assert len(expected) == 4  # the world's C, and the three added above
    assert html_listed(more, role) == expected
    shown = listing.list_published(user)
    assert {(i.report.cycle.code, i.ags) for i in shown.items} == expected


def test_anonymous_lists_nothing(more: World) -> None:
    assert listing.visible_report_ids(None) == set()
    response = more.app.test_client().get("/api/v1/reports")
    assert response.status_code == 401


def test_a_correction_in_progress_is_not_revealed_by_the_state_filter(more: World) -> None:
    """C is published and reopened: everyone but its municipality and reviewers sees it as
    accepted, and filtering by state follows what they see (no probing with state=returned)."""
    c = ("2025", C)
    for role in ("staff", "reporter_a", "reviewer_05"):
        listed = {
            (i["cycle"], i["municipality"]) for i in api_listed(more, role, "&state=accepted")
        }
        assert c in listed, role
        returned = api_listed(more, role, "&state=returned")
        assert c not in {(i["cycle"], i["municipality"]) for i in returned}, role
    for role in ("reporter_c", "reviewer_06", "admin"):
        returned = api_listed(more, role, "&state=returned")
        assert c in {(i["cycle"], i["municipality"]) for i in returned}, role


def test_filters_narrow_within_what_the_user_may_see(more: World) -> None:
    staff = more.user("staff")
    published = listing.list_published
    assert {i.ags for i in published(staff, listing.ReportFilters(land="01")).items} == {"01001000"}
    assert {i.ags for i in published(staff, listing.ReportFilters(cycle="2024")).items} == {
        "05113000",
        "06632001",
    }
    assert [i.name for i in published(staff, listing.ReportFilters(q="alh")).items] == [
        "Alheim",
        "Alheim",
    ]
    region = {i["municipality"] for i in api_listed(more, "reviewer_05", "&region=06")}
    assert region == {C}  # published only: the reviewer of 05 sees nothing else of 06


def test_a_list_asks_the_database_a_fixed_number_of_times(more: World) -> None:
    """The policy is evaluated in SQL for the whole page, not once per row."""
    admin = more.user("admin")
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    def run(per_page: int) -> int:
        db.session.expire_all()
        statements.clear()
        event.listen(db.engine, "before_cursor_execute", count)
        try:
            page = listing.list_reports(admin, per_page=per_page)
            shown = [(i.ags, i.name, i.report.cycle.code, i.state) for i in page.items]
            assert len(shown) == min(per_page, page.total)
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        return len(statements)

    assert run(1) == run(50)
