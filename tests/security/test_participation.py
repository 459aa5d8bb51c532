"""Participation (who has not reported) by role, DOMAIN.md's table: a reporter sees its own
municipality only, a reviewer its region, the operator everywhere, staff nothing. Checked on
the comparison API, the comparison page and the coverage page of the security world (cycle
2025: A a draft, B returned and edited again, C published, D submitted; E and F have no
reporter, so nobody expects them)."""

from __future__ import annotations

import pytest

from tests.security.world import ACCOUNT_ROLES, A, B, C, D, World

#: Per role: the reporting keys listed as not published (with their status) when the group
#: is region 05 at every level; None: the role sees no participation at all.
SEEN: dict[str, dict[str, str] | None] = {
    "reporter_a": {A: "none"},  # its own draft: "nothing submitted" to everyone else too
    "reporter_b": {B: "returned"},  # returned, then edited (still returned)
    "reporter_c": {},  # published
    "reviewer_05": {A: "none", B: "returned", D: "submitted"},
    "reviewer_06": {},  # region 05 lies outside its own
    "staff": None,
    "admin": {A: "none", B: "returned", D: "submitted"},
}
#: The coverage page asks about one region: a reviewer of another sees no section at all.
COVERAGE_SEEN = {**SEEN, "reviewer_06": None}
#: Names in the coverage page's participation list, region 05 (C lies in 06).
NAMES = {A: "Essen", B: "Köln", D: "Aachen"}


def names_listed(section: str, expected: dict[str, str]) -> None:
    """The names in a participation section are exactly the expected municipalities'."""
    for key, name in NAMES.items():
        assert (name in section) == (key in expected), (name, expected)


def test_every_role_is_in_the_table() -> None:
    assert set(SEEN) == set(ACCOUNT_ROLES)


@pytest.mark.parametrize("role", ACCOUNT_ROLES)
def test_the_api_shows_participation_by_role(world: World, role: str) -> None:
    client = world.app.test_client()
    for region in ("05", "06"):
        response = client.get(
            f"/api/v1/compare?cycle=2025&region={region}&level=all",
            headers=world.headers(role, "/api/"),
        )
        assert response.status_code == 200, response.get_data(as_text=True)
        body = response.get_json()
        expected = SEEN[role]
        if expected is None:
            assert "not_reported" not in body
            continue
        seen = {n["ags"]: n["status"] for n in body["not_reported"]}
        if role.startswith("reporter") or region == "05":  # a reporter: whatever the group
            assert seen == expected, (role, region)
        else:  # region 06: only C, which is published
            assert seen == {}, (role, region)


@pytest.mark.parametrize("role", ACCOUNT_ROLES)
def test_the_pages_show_participation_by_role(world: World, role: str) -> None:
    client = world.client(role)
    page = client.get("/vergleich/?cycle=2025&group=region&region=05&level=all")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    expected = SEEN[role]
    if expected is None:
        assert 'id="not-reported-h"' not in html
    else:
        names_listed(html.split('id="not-reported-h"', 1)[1].split("</section>", 1)[0], expected)
    coverage = client.get("/abdeckung/?cycle=2025&region=05")
    assert coverage.status_code == 200
    html = coverage.get_data(as_text=True)
    expected = COVERAGE_SEEN[role]
    if expected is None:
        assert 'id="participation-h"' not in html
        return
    section = html.split('id="participation-h"', 1)[1].split("</ul>", 1)[0]
    names_listed(section, expected)
    assert C not in section
