"""Draft privacy on every read path (SECURITY.md A, v5.0.0-8.2.2): what a municipality has
not submitted never reaches anyone outside it.

Three reports carry drafts with a unique marker in every text field (and a practice that
exists only in the draft, whose id is a marker too):

* Essen: a draft that was never submitted;
* Aachen: submitted, returned with a comment, then edited (the working copy is a draft
  again: reviewers see the returned revision, never the new edits);
* Köln: accepted, reopened for a correction and edited (the accepted revision stays
  published; the correction is a draft).

Every GET route of ``app.url_map`` (API included) is requested with real ids by every role
(anonymous, reporters of another municipality in and outside the region, staff, the
region's reviewer, another region's reviewer, admin) and by the reporter of one of the three,
who may see its own marker and no other. Bodies are searched as text, PDFs through
pypdf, ZIP containers (XLSX) member by member. Exports (``export_documents``) and the
outgoing mail are searched too. The municipalities' own reporters do see their drafts.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.routing import Rule

from omk.extensions import db
from omk.models import User
from omk.models.reporting import Report, ReviewComment
from omk.services import accounts, cycles, following, publication, reports
from omk.synergies import peer_review
from tests import factories
from tests.conftest import login
from tests.pdf import pdf_text

ESSEN, AACHEN, KOELN = "05113000", "05334002", "05315000"
OWNED = {ESSEN: "essen", AACHEN: "aachen", KOELN: "koeln"}


def marker(ags: str) -> str:
    """The marker of one municipality's draft: plain ASCII, no Markdown syntax."""
    return f"Zq7DraftMarker{OWNED[ags].capitalize()}"


#: Roles outside every one of the three municipalities, and the owners (who see their own).
OUTSIDERS = (
    "anonymous",
    "reporter_same_region",
    "reporter_other_region",
    "staff",
    "reviewer_05",
    "reviewer_06",
    "admin",
)
OWNERS = tuple(f"owner_{name}" for name in OWNED.values())
ACCOUNTS: dict[str, dict[str, Any]] = {
    "reporter_same_region": {"role": "reporter", "municipality": "05334004"},  # Alsdorf
    "reporter_other_region": {"role": "reporter", "municipality": "06632001"},  # Alheim
    "staff": {"role": "staff"},
    "reviewer_05": {"role": "reviewer", "scope": "05"},
    "reviewer_06": {"role": "reviewer", "scope": "06"},
    "admin": {"role": "admin"},
    **{f"owner_{name}": {"role": "reporter", "municipality": ags} for ags, name in OWNED.items()},
}


def clean_document(ags: str) -> dict[str, Any]:
    return factories.document(ags, practices=[factories.practice()])


def marked(doc: dict[str, Any], ags: str) -> dict[str, Any]:
    """``doc`` with the municipality's marker in every text field of its practice, and a
    second practice that exists only in the draft."""
    m = marker(ags)
    p = doc["practices"][0]
    for name in (
        "title",
        "summary",
        "description",
        "site",
        "funding",
        "outcomes",
        "transferability",
        "contact",
    ):
        p[name] = f"{p[name]} {m}"
    p["actors"] = [*p["actors"], {"name": f"Verein {m}", "type": "verein", "lead": False}]
    p["sources"] = [*p["sources"], f"https://www.example.org/{m}"]
    doc["practices"].append(factories.practice(f"Neue Maßnahme {m}", summary=f"Nur {m}."))
    return doc


@dataclass
class World:
    app: Flask
    users: dict[str, User] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    report_ids: dict[str, int] = field(default_factory=dict)
    #: Practice ids that exist only in a draft (a marker of their own).
    draft_practice_ids: dict[str, str] = field(default_factory=dict)
    comment_ids: list[int] = field(default_factory=list)
    #: Feed tokens of saved searches for the drafts' markers (a feed must show none).
    feed_tokens: list[str] = field(default_factory=list)
    saved_search_ids: list[int] = field(default_factory=list)
    review_ids: list[int] = field(default_factory=list)  # peer reviews

    def report(self, ags: str) -> Report:
        report = db.session.get(Report, self.report_ids[ags])
        assert report is not None
        return report

    def forbidden_for(self, role: str) -> dict[str, str]:
        """Markers ``role`` must never see: every draft but its own municipality's."""
        own = next((ags for ags, name in OWNED.items() if role == f"owner_{name}"), None)
        result = {}
        for ags in OWNED:
            if ags != own:
                result[marker(ags)] = ags
                result[self.draft_practice_ids[ags]] = ags
        return result


@pytest.fixture
def world(app: Flask, make_user: Callable[..., User]) -> Iterator[World]:
    factories.make_cycle("2025")
    w = World(app)
    for name, spec in ACCOUNTS.items():
        w.users[name] = make_user(
            spec["role"],
            email=f"{name.replace('_', '.')}@example.org",
            municipality=spec.get("municipality"),
            scope=spec.get("scope"),
        )
        w.tokens[name] = accounts.create_token(None, w.users[name])
    owner = {ags: w.users[f"owner_{name}"] for ags, name in OWNED.items()}
    reviewer = w.users["reviewer_05"]
    # Essen: a draft, never submitted.
    report, _ = reports.import_document(owner[ESSEN], marked(clean_document(ESSEN), ESSEN))
    w.report_ids[ESSEN] = report.id
    # Aachen: submitted, returned, then edited.
    report, _ = reports.import_document(owner[AACHEN], clean_document(AACHEN))
    reports.submit(owner[AACHEN], report)
    pid = reports.working_document(report)["practices"][0]["id"]
    reports.return_report(reviewer, report, [(f"practices[{pid}].outcomes", "Zahlen?")])
    reports.save_document(
        owner[AACHEN],
        report,
        marked(reports.working_document(report), AACHEN),
        edit_version=None,
    )
    w.report_ids[AACHEN] = report.id
    # Köln: accepted, reopened for a correction, then edited.
    report, _ = reports.import_document(owner[KOELN], clean_document(KOELN))
    reports.submit(owner[KOELN], report)
    reports.accept(reviewer, report)
    # A peer review of Köln's published practice, Alsdorf invited: its pages show the
    # published version, never the correction in progress.
    published_pid = reports.working_document(report)["practices"][0]["id"]
    w.review_ids.append(peer_review.open_review(reviewer, published_pid, ["05334004"]).id)
    reports.reopen(reviewer, report, "Bitte die Kita-Zahlen prüfen.")
    reports.save_document(
        owner[KOELN], report, marked(reports.working_document(report), KOELN), edit_version=None
    )
    w.report_ids[KOELN] = report.id
    for ags in OWNED:
        doc = reports.working_document(w.report(ags))
        assert marker(ags) in json.dumps(doc)
        w.draft_practice_ids[ags] = doc["practices"][-1]["id"]
    w.comment_ids = list(db.session.scalars(db.select(ReviewComment.id)))
    for ags in OWNED:  # someone follows each marker: their feed and list must stay empty
        # (in lower case: the search folds case, and the feed may echo what was searched)
        saved = following.save(w.users["staff"], f"Folge {ags}", f"q={marker(ags).lower()}")
        w.saved_search_ids.append(saved.id)
        w.feed_tokens.append(following.create_feed_token(w.users["staff"], saved))
    db.session.rollback()
    yield w


# --- the crawl ----------------------------------------------------------------------------


def parameter_values(w: World, name: str, chosen: dict[str, Any]) -> list[Any]:
    """Real values for a URL parameter (given the ones chosen before it in the same URL);
    an unknown parameter fails the test: add its values here."""
    content = w.app.extensions["omk_content"]
    if name == "practice_id":
        # A report's own practices: the draft-only one and the one edited in the draft.
        ags = chosen.get("ags")
        reports_ = [ags] if ags in OWNED else list(OWNED)
        return [
            pid
            for a in reports_
            for pid in (
                w.draft_practice_ids[a],
                reports.working_document(w.report(a))["practices"][0]["id"],
            )
        ]
    values: dict[str, list[Any]] = {
        "cycle": ["2025"],
        "code": ["2025"],
        "ags": list(OWNED),
        "key": list(OWNED),
        "number": [1, 2],
        "comment_id": w.comment_ids,
        "user_id": [u.id for u in w.users.values()],
        "slug": list(content.help_pages)[:1],
        "token": ["kein-gueltiger-link"],
        "feed_token": w.feed_tokens,
        "search_id": w.saved_search_ids,
        "filename": ["print.css"],
        "review_id": w.review_ids,
        "region": ["05", "06", "de"],  # synthesis reports: Land 05, Land 06, Germany
    }
    assert name in values, f"add real values for the URL parameter {name!r} to this crawl"
    return values[name]


#: Query strings worth trying on some endpoints (filters, ranges).
QUERIES = {
    "reports.diff": ["", "?from=1&to=2"],
    "api.diff": ["?from=1&to=2", "?from=1&to=1"],
    "api.list_reports": ["", "?state=draft", "?state=returned", "?region=05&per_page=100"],
    # The drafts' markers and practice titles searched for, as words and as phrases.
    "search.index": [f"?q={marker(a)}" for a in OWNED] + ["?q=Sprachcaf%C3%A9", "?q=Ma%C3%9Fnahme"],
    "api.search": [f"?q={marker(a)}" for a in OWNED] + ["?q=Sprachcaf%C3%A9&per_page=100"],
    "api.get_synthesis": ["?cycle=2025&region=05", "?cycle=2025&region=05&state=draft"],
}


def get_rules(app: Flask) -> list[Rule]:
    return sorted(
        (r for r in app.url_map.iter_rules() if "GET" in (r.methods or set())),
        key=lambda r: (r.endpoint, r.rule),
    )


def urls(w: World) -> list[tuple[str, str]]:
    """(endpoint, URL) for every GET rule with every combination of real values."""
    adapter = w.app.url_map.bind("localhost")
    result = []
    for rule in get_rules(w.app):
        names = sorted(rule.arguments - set(rule.defaults or {}))
        combos: list[dict[str, Any]] = [{}]
        for name in names:
            combos = [{**c, name: v} for c in combos for v in parameter_values(w, name, c)]
        for values in combos:
            path = adapter.build(rule.endpoint, values)
            for query in QUERIES.get(rule.endpoint, [""]):
                result.append((rule.endpoint, path + query))
    return result


def body_text(response: Any) -> str:
    """What a reader of the response gets: text, PDF text, or every member of a ZIP."""
    data = response.get_data()
    if data.startswith(b"%PDF"):
        return pdf_text(data)
    if data.startswith(b"PK\x03\x04"):
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return "\n".join(archive.read(n).decode("utf-8", "replace") for n in archive.namelist())
    return data.decode("utf-8", "replace")


def client_for(w: World, role: str) -> FlaskClient:
    client = w.app.test_client()
    if role != "anonymous":
        assert login(client, w.users[role]).status_code == 302
    return client


@pytest.fixture
def render_each_pdf_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """The PDF's HTML does not depend on who asks: render each distinct HTML once (the
    marker search still reads every PDF a role receives)."""
    cache: dict[str, publication.RenderedPdf] = {}
    original = publication.render_pdf

    def render(html: str) -> publication.RenderedPdf:
        if html not in cache:
            cache[html] = original(html)
        return cache[html]

    monkeypatch.setattr(publication, "render_pdf", render)


def crawl(w: World, role: str) -> dict[str, int]:
    """GET every URL as ``role``; fail on a foreign draft's marker. Returns status by URL."""
    client = client_for(w, role)
    headers = {"Authorization": f"Bearer {w.tokens[role]}"} if role != "anonymous" else {}
    forbidden = w.forbidden_for(role)
    statuses = {}
    for endpoint, url in urls(w):
        with client.get(url, headers=headers if url.startswith("/api/") else {}) as response:
            statuses[url] = response.status_code
            text = body_text(response) + response.headers.get("Location", "")
        # An id the requester typed into the URL may come back (a login link's next=).
        leaked = {m: ags for m, ags in forbidden.items() if m in text and m not in url}
        assert not leaked, f"{role} GET {url} ({endpoint}) shows the draft of {leaked}"
    return statuses


@pytest.mark.usefixtures("render_each_pdf_once")
def test_no_draft_reaches_anyone_outside_its_municipality(world: World) -> None:
    essen, aachen, koeln = (f"/berichte/2025/{ags}" for ags in (ESSEN, AACHEN, KOELN))
    # One owner crawls everything too (the others' drafts are foreign to it); all three
    # owners' own views are checked in test_own_reporters_see_their_draft.
    statuses = {role: crawl(world, role) for role in (*OUTSIDERS, "owner_aachen")}

    # The crawl is not vacuous: what each role may read, it did read (and saw no draft).
    assert statuses["reviewer_05"][f"{aachen}/pruefung"] == 200  # the returned revision
    assert statuses["reviewer_05"][f"{aachen}/revisionen/1"] == 200
    assert statuses["reviewer_05"][f"/api/v1/reports/{AACHEN}/2025"] == 200
    assert statuses["admin"][f"/api/v1/reports/{AACHEN}/2025"] == 200
    for role in OUTSIDERS[1:]:
        assert statuses[role][f"{koeln}/veroeffentlicht"] == 200, role
        assert statuses[role][f"{koeln}/bericht.pdf"] == 200, role
        assert statuses[role][f"/api/v1/reports/{KOELN}/2025"] == 200, role
    assert statuses["staff"][f"{essen}/"] in (403, 404)
    assert statuses["anonymous"][f"/api/v1/reports/{KOELN}/2025"] == 401


def test_own_reporters_see_their_draft(world: World) -> None:
    for ags, name in OWNED.items():
        role = f"owner_{name}"
        client = client_for(world, role)
        base = f"/berichte/2025/{ags}"
        pid = world.draft_practice_ids[ags]
        for url in (f"{base}/", f"{base}/massnahmen/{pid}"):
            page = client.get(url)
            assert page.status_code == 200 and marker(ags) in page.text, (role, url)
        api = client.get(
            f"/api/v1/reports/{ags}/2025", headers={"Authorization": f"Bearer {world.tokens[role]}"}
        )
        assert api.json["meta"]["content"] == "draft" and marker(ags) in api.text, role
        if "report_files.draft_workbook" in world.app.view_functions:  # read back as the crawl does
            with client.get(f"{base}/vorlage.xlsx") as workbook:
                assert workbook.status_code == 200 and marker(ags) in body_text(workbook), role
    # …while the published page of the report under correction shows the accepted revision.
    own_published = client_for(world, "owner_koeln").get(f"/berichte/2025/{KOELN}/veroeffentlicht")
    assert own_published.status_code == 200 and marker(KOELN) not in own_published.text


def test_exports_and_mail_carry_no_draft(world: World, app: Flask) -> None:
    cycle = cycles.get_cycle("2025")
    everything = {marker(ags) for ags in OWNED} | set(world.draft_practice_ids.values())
    for role, region in (("reviewer_05", "05"), ("reviewer_06", "06"), ("admin", "")):
        exported = json.dumps(reports.export_documents(world.users[role], cycle, region))
        assert not {m for m in everything if m in exported}, role
        if role != "reviewer_06":
            assert KOELN in exported, role  # the published (accepted) revision is exported
    mail = Path(app.instance_path) / "mail"
    for path in mail.glob("*") if mail.is_dir() else []:
        text = path.read_text(encoding="utf-8", errors="replace")
        assert not {m for m in everything if m in text}, path.name
