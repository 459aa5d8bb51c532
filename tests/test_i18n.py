"""German by default, English on request; every interface text has an English translation."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.catalog import Message
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from flask.testing import FlaskClient

from omk.content import load_content

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "omk" / "translations" / "en" / "LC_MESSAGES" / "messages.po"


def lang_of(html: str) -> str:
    match = re.search(r'<html lang="([a-z]+)"', html)
    assert match, "no lang attribute"
    return match.group(1)


def page(client: FlaskClient, path: str, **headers: str) -> str:
    response = client.get(path, headers=headers)
    assert response.status_code == 200, path
    return response.get_data(as_text=True)


# --- choosing the language ------------------------------------------------------------------


def test_german_is_the_default(client: FlaskClient, register: None) -> None:
    html = page(client, "/")
    assert lang_of(html) == "de"
    assert "Zum Inhalt springen" in html
    assert ">Kommunen<" in html
    assert 'lang="en">English</button>' in html


def test_german_browsers_get_german(client: FlaskClient) -> None:
    html = page(client, "/", **{"Accept-Language": "de-DE,de;q=0.9,en;q=0.5"})
    assert lang_of(html) == "de"


def test_accept_language_en_picks_english(client: FlaskClient, register: None) -> None:
    html = page(client, "/", **{"Accept-Language": "en-GB,en;q=0.9"})
    assert lang_of(html) == "en"
    assert "Skip to content" in html
    assert "Local integration – learning from each other" in html
    assert ">Municipalities<" in html
    assert 'lang="de">Deutsch</button>' in html
    assert "Zum Inhalt springen" not in html


def test_unsupported_language_falls_back_to_german(client: FlaskClient) -> None:
    assert lang_of(page(client, "/", **{"Accept-Language": "fr-FR,fr;q=0.9"})) == "de"


def test_language_form_switches_start_login_and_directory(
    client: FlaskClient, register: None
) -> None:
    response = client.post("/sprache", data={"lang": "en", "next": "/anmelden"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/anmelden"

    login = page(client, "/anmelden")
    assert lang_of(login) == "en"
    assert "<h1" in login and ">Sign in</h1>" in login
    assert "E-mail address" in login
    assert "Password" in login
    assert "Forgot your password?" in login

    start = page(client, "/")
    assert "How it works" in start
    assert "Open reporting cycles" in start
    assert "Allocation, care and housing" in start  # taxonomy labels follow the language

    directory = page(client, "/kommunen/?land=05")
    assert ">Municipalities</h1>" in directory
    assert "Name or key (AGS)" in directory
    assert "Filter" in directory
    assert "densely populated" in directory
    assert re.search(r"\d+ results", directory)

    # The choice beats the browser's preference, and switching back works.
    assert lang_of(page(client, "/", **{"Accept-Language": "de"})) == "en"
    client.post("/sprache", data={"lang": "de", "next": "/"})
    assert lang_of(page(client, "/", **{"Accept-Language": "en"})) == "de"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil.example"])
def test_language_switch_never_redirects_off_site(client: FlaskClient, target: str) -> None:
    response = client.post("/sprache", data={"lang": "en", "next": target})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_unknown_language_is_ignored(client: FlaskClient) -> None:
    client.post("/sprache", data={"lang": "xx", "next": "/"})
    assert lang_of(page(client, "/")) == "de"


def test_english_content_pages(client: FlaskClient) -> None:
    client.post("/sprache", data={"lang": "en", "next": "/"})
    help_page = page(client, "/hilfe/omk")
    assert "What is the Open Method of Coordination?" in help_page
    assert "Where the method comes from" in help_page
    taxonomy = page(client, "/kriterien")
    assert "Criteria and recommendations" in taxonomy
    assert "Think of integration as a whole" in taxonomy
    # German-only explanations stay German and say so for screen readers.
    assert '<span lang="de">Sprache, Arbeit und soziale Einbindung' in taxonomy
    indicators = page(client, "/kennzahlen")
    assert "Indicator catalogue" in indicators
    assert "per 1,000 inhabitants" in indicators
    assert "Persons newly allocated in the period" in indicators


# --- the catalogue is complete ------------------------------------------------------------


def _catalogue() -> dict[str, Message]:
    with PO.open("rb") as f:
        catalog = read_po(f, locale="en")
    return {(m.id[0] if isinstance(m.id, tuple) else m.id): m for m in catalog if m.id}


def test_every_english_entry_is_translated() -> None:
    untranslated = []
    for msgid, message in _catalogue().items():
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if not all(strings) or message.fuzzy:
            untranslated.append(msgid)
    assert untranslated == [], (
        "untranslated or fuzzy: run `make translations-update`, then translate"
    )


def test_every_text_in_code_and_templates_is_in_the_catalogue() -> None:
    """What `pybabel extract` finds now is all in messages.po (no forgotten update)."""
    with (ROOT / "babel.cfg").open() as f:
        method_map, options_map = parse_mapping_cfg(f)
    keywords = {
        "_": None,
        "gettext": None,
        "ngettext": (1, 2),
        "_l": None,
        "lazy_gettext": None,
        "msg": None,  # omk.messages: error messages translated when shown
    }
    found = {
        (message[0] if isinstance(message, tuple) else message)
        for _file, _line, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map, options_map, keywords=keywords
        )
    }
    missing = sorted(found - set(_catalogue()))
    assert missing == [], "run `make translations-update` and translate:\n" + "\n".join(missing)


def test_register_types_are_translated_in_their_context() -> None:
    """Every type of the register ("Kreisfreie Stadt") has an English label of its own, apart
    from the same words as qualifiers of names ("Warendorf (district)")."""
    from omk.models.register import TYPE_LABELS

    with PO.open("rb") as f:
        catalog = read_po(f, locale="en")
    for label in TYPE_LABELS.values():
        message = catalog.get(label, context="register type")
        assert message is not None, f"{label!r}: add it to omk/translations/dynamic_msgids.py"
        assert message.string and not message.fuzzy, label
    assert catalog.get("Kreisfreie Stadt", context="register type").string == "Independent city"


def test_texts_translated_at_run_time_are_listed() -> None:
    """The lists in omk/translations/dynamic_msgids.py mirror the dictionaries they stand for."""
    from omk.compare import bases, coverage, definitions, names, similarity
    from omk.errors import GENERIC_MESSAGES
    from omk.models.accounts import ROLE_LABELS
    from omk.models.register import URBANISATION_LABELS

    catalogue = _catalogue()
    units = {i.unit for i in load_content().indicators.values()} - {"%", "EUR"}
    for text in [
        *ROLE_LABELS.values(),
        *URBANISATION_LABELS.values(),
        *GENERIC_MESSAGES.values(),
        *bases.BASIS_LABELS.values(),
        bases.NO_POPULATION,
        bases.ALLOCATED_MISSING,
        bases.NONE_ALLOCATED,
        *names.LEVEL_KINDS.values(),
        *names.KREIS_KINDS.values(),
        names.KREISFREI,
        names.STADTKREIS,
        *definitions.COMPARISON_LEVEL_LABELS.values(),
        *(c.label for c in definitions.SIZE_CLASSES),
        similarity.SAME_CRITERION,
        similarity.SAME_TARGET_GROUP,
        similarity.SHARED_TERMS,
        similarity.SIMILAR_MEANING,
        *coverage.DIMENSION_LABELS.values(),
        *units,
    ]:
        assert text in catalogue, f"{text!r}: add it to omk/translations/dynamic_msgids.py"
