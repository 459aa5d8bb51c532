"""The synthesis pages (issue 13): the draft form with its edit check and preview, the
confirmation before publishing, published versions, downloads and what each role sees."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from omk.extensions import db
from omk.models import User
from omk.services import reports
from omk.services import synthesis as service
from tests import factories
from tests.conftest import login

ESSEN, KOELN = "05113000", "05315000"
DRAFT = "/synthese/2025/05/entwurf"
SECRET = "ENTWURFSTEXT-SYNTHESE-0815"


@pytest.fixture
def people(app: Flask, make_user: Callable[..., User]) -> dict[str, User]:
    factories.make_cycle("2025")
    admin = make_user("admin")
    for key in (ESSEN, KOELN):
        reports.import_document(admin, factories.document(key), publish=True)
    db.session.rollback()
    return {
        "admin": admin,
        "reviewer": make_user("reviewer", scope="05"),
        "colleague": make_user("reviewer", scope="05"),
        "reviewer_06": make_user("reviewer", scope="06"),
        "staff": make_user("staff"),
        "reporter": make_user("reporter", municipality=ESSEN),
    }


def _as(app: Flask, user: User) -> FlaskClient:
    client = app.test_client()
    assert login(client, user).status_code == 302
    return client


def _form(draft: Any, **texts: str) -> dict[str, str]:
    data = {"edit_version": str(draft.edit_version), "introduction": texts.get("intro", "")}
    for chapter in service.chapter_ids(draft.document):
        data[f"comment-{chapter}"] = texts.get(chapter, "")
    return data


def test_the_draft_page_generates_saves_previews_and_publishes(
    app: Flask, people: dict[str, User]
) -> None:
    client = _as(app, people["reviewer"])
    page = client.get(DRAFT)
    assert page.status_code == 200
    assert "Bericht erzeugen" in page.text
    assert client.post(f"{DRAFT}/erzeugen").status_code == 302
    _cycle, draft = service.find_draft(people["reviewer"], "2025", "05")
    assert draft is not None
    chapter = service.chapter_ids(draft.document)[1]
    # Preview renders the Markdown sanitised and saves nothing.
    preview = client.post(
        DRAFT,
        data={
            **_form(draft, intro="**fett** <script>alert(1)</script>", **{chapter: "*k*"}),
            "action": "preview",
        },
    )
    assert preview.status_code == 200
    assert "<strong>fett</strong>" in preview.text
    assert "<script>alert(1)" not in preview.text
    db.session.rollback()
    assert service.find_draft(people["reviewer"], "2025", "05")[1].introduction == ""  # type: ignore[union-attr]
    saved = client.post(
        DRAFT,
        data={**_form(draft, intro=SECRET, **{chapter: "Kapitelkommentar"}), "action": "save"},
    )
    assert saved.status_code == 302
    page = client.get(DRAFT)
    assert SECRET in page.text and "Kapitelkommentar" in page.text
    confirm = client.get(f"{DRAFT}/veroeffentlichen")
    assert confirm.status_code == 200 and "Version 1" in confirm.text
    db.session.rollback()
    _cycle, draft = service.find_draft(people["reviewer"], "2025", "05")
    assert draft is not None
    # Without the confirmation nothing happens: the confirmation is asked for.
    unconfirmed = client.post(
        f"{DRAFT}/veroeffentlichen", data={"edit_version": draft.edit_version}
    )
    assert unconfirmed.status_code == 302
    assert unconfirmed.location.endswith(f"{DRAFT}/veroeffentlichen")
    assert service.versions(draft.cycle, "05") == []
    done = client.post(
        f"{DRAFT}/veroeffentlichen", data={"edit_version": draft.edit_version, "confirm": "1"}
    )
    assert done.status_code == 302 and done.location.endswith("/synthese/2025/05/")
    # Every logged-in role reads it.
    for who in ("staff", "reporter", "reviewer_06", "admin"):
        shown = _as(app, people[who]).get("/synthese/2025/05/")
        assert shown.status_code == 200, who
        assert SECRET in shown.text and "Kapitelkommentar" in shown.text
    assert app.test_client().get("/synthese/2025/05/").status_code == 302  # login first


def test_a_second_reviewer_gets_a_clear_message_and_keeps_the_text(
    app: Flask, people: dict[str, User]
) -> None:
    draft = service.generate(people["reviewer"], "2025", "05")
    first, second = _as(app, people["reviewer"]), _as(app, people["colleague"])
    # Both opened the form at the same edit check.
    form, other = (
        _form(draft, intro="Text der ersten Prüferin"),
        _form(draft, intro="Text des zweiten Prüfers"),
    )
    assert first.post(DRAFT, data={**form, "action": "save"}).status_code == 302
    late = second.post(DRAFT, data={**other, "action": "save"})
    assert late.status_code == 409
    assert "inzwischen geändert" in late.text
    assert "Text des zweiten Prüfers" in late.text  # nothing lost: shown back in the form
    assert "Text der ersten Prüferin" in late.text  # and the saved version beside it
    db.session.rollback()
    stored = service.find_draft(people["reviewer"], "2025", "05")[1]
    assert stored is not None and stored.introduction == "Text der ersten Prüferin"
    # The form now carries the current edit check: saving again is a conscious decision.
    again = second.post(
        DRAFT, data={**_form(stored, intro="Text des zweiten Prüfers"), "action": "save"}
    )
    assert again.status_code == 302


def test_a_draft_is_never_shown_to_staff_reporters_or_other_regions(
    app: Flask, people: dict[str, User]
) -> None:
    draft = service.generate(people["reviewer"], "2025", "05")
    service.save_texts(
        people["reviewer"],
        "2025",
        "05",
        introduction=SECRET,
        comments={},
        names_shown=False,
        edit_version=draft.edit_version,
    )
    paths = [
        DRAFT,
        "/synthese/",
        "/synthese/2025/05/",
        "/synthese/2025/05/synthesebericht.md?entwurf=1",
        "/synthese/2025/05/druck?entwurf=1",
        "/synthese/2025/05/tabellen.zip?entwurf=1",
    ]
    for who in ("staff", "reporter", "reviewer_06"):
        client = _as(app, people[who])
        for path in paths:
            response = client.get(path)
            assert SECRET not in response.text, (who, path)
            if path != "/synthese/":
                assert response.status_code in (403, 404), (who, path)
        listing = client.get("/synthese/")
        assert DRAFT not in listing.text, who
    for who in ("reviewer", "colleague", "admin"):
        client = _as(app, people[who])
        assert SECRET in client.get(DRAFT).text, who
        assert DRAFT in client.get("/synthese/").text, who
        md = client.get("/synthese/2025/05/synthesebericht.md?entwurf=1")
        assert md.status_code == 200 and SECRET in md.text, who


def test_versions_stay_readable(app: Flask, people: dict[str, User]) -> None:
    reviewer = people["reviewer"]
    for text in ("Erste Fassung", "Zweite Fassung"):
        draft = service.generate(reviewer, "2025", "05")
        draft = service.save_texts(
            reviewer,
            "2025",
            "05",
            introduction=text,
            comments={},
            names_shown=False,
            edit_version=draft.edit_version,
        )
        service.publish(reviewer, "2025", "05", edit_version=draft.edit_version)
    client = _as(app, people["staff"])
    assert "Zweite Fassung" in client.get("/synthese/2025/05/").text
    old = client.get("/synthese/2025/05/?version=1")
    assert "Erste Fassung" in old.text and "nicht die neueste Fassung" in old.text
    assert client.get("/synthese/2025/05/?version=3").status_code == 404
    assert client.get("/synthese/2025/05/?version=x").status_code == 422
    for suffix, mimetype in (
        ("synthesebericht.pdf", "application/pdf"),
        ("synthesebericht.md", "text/markdown"),
        ("tabellen.zip", "application/zip"),
        ("druck", "text/html"),
    ):
        response = client.get(f"/synthese/2025/05/{suffix}?version=1")
        assert response.status_code == 200, suffix
        assert response.mimetype == mimetype, suffix
    first = client.get("/synthese/2025/05/synthesebericht.pdf?version=1")
    assert "Synthesebericht_2025_05_v1.pdf" in first.headers["Content-Disposition"]
    # A version's PDF is made once (per language and renderer), then served from the cache.
    cache = Path(app.instance_path) / "synthesis-pdf"
    assert len(list(cache.glob("*-de-*.pdf"))) == 1
    assert client.get("/synthese/2025/05/synthesebericht.pdf").status_code == 200  # version 2
    assert len(list(cache.glob("*-de-*.pdf"))) == 2
    listing = client.get("/synthese/").text
    assert "/synthese/2025/05/" in listing


def test_germany_is_the_operators(app: Flask, people: dict[str, User]) -> None:
    assert _as(app, people["admin"]).get("/synthese/2025/de/entwurf").status_code == 200
    assert _as(app, people["reviewer"]).get("/synthese/2025/de/entwurf").status_code == 403
    assert _as(app, people["admin"]).get("/synthese/2025/xx/entwurf").status_code == 404


def test_the_navigation_and_the_help_lead_to_the_syntheses(
    app: Flask, people: dict[str, User]
) -> None:
    client = _as(app, people["staff"])
    assert 'href="/synthese/"' in client.get("/").text
    assert 'href="/synthese/"' in client.get("/hilfe/omk").text
    assert 'href="/synthese/"' not in app.test_client().get("/").text


def _publish(reviewer: User) -> None:
    draft = service.generate(reviewer, "2025", "05")
    service.publish(reviewer, "2025", "05", edit_version=draft.edit_version)


def test_a_german_report_stays_german_for_an_english_reader(
    app: Flask, people: dict[str, User]
) -> None:
    """README: a published document keeps the language it was generated in; its headings,
    captions and references too (the walk saw "Contents" and "Key messages" around German
    chapters). The page around it is English, and says why the report is not."""
    _publish(people["reviewer"])
    client = _as(app, people["staff"])
    page = client.get("/synthese/2025/05/", headers={"Accept-Language": "en"}).text
    body = page[page.index('class="omk-synthesis"') :]
    for german in ("Inhalt", "Kernaussagen", "Das Wichtigste in Kürze", "Tabelle 1"):
        assert german in body, german
    for english in ("Contents", "Key messages", "Table 1", "Summary"):
        assert english not in body, english
    assert "This report was published in German" in page
    assert "Synthesis reports" in page  # the app's own navigation follows the reader
    german_reader = client.get("/synthese/2025/05/").text
    assert "wurde auf Deutsch veröffentlicht" not in german_reader
    markdown = client.get(
        "/synthese/2025/05/synthesebericht.md", headers={"Accept-Language": "en"}
    ).text
    assert "### Kernaussagen" in markdown and "Key messages" not in markdown


def test_the_pdf_link_says_it_takes_a_few_seconds(app: Flask, people: dict[str, User]) -> None:
    """The draft's PDF takes seconds to make (7 s for NRW in the walk): the link says so,
    without a script."""
    reviewer = _as(app, people["reviewer"])
    service.generate(people["reviewer"], "2025", "05")
    hint = "Das Erzeugen des PDF kann einige Sekunden dauern."
    draft = reviewer.get(DRAFT).text
    assert hint in draft and 'aria-describedby="synthesis-pdf-wait"' in draft
    publish_page = reviewer.get("/synthese/2025/05/entwurf/veroeffentlichen").text
    assert "des Syntheseberichts zur Berichtsrunde 2025" in publish_page
    _publish(people["reviewer"])
    assert hint in _as(app, people["staff"]).get("/synthese/2025/05/").text
