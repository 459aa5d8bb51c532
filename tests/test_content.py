"""The shipped content loads; a broken content file stops the app and says where and why."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient

from omk import create_app
from omk.content import DEFAULT_CONTENT_DIR, load_content
from tests.conftest import test_settings as app_settings

# --- the shipped content -------------------------------------------------------------------


def test_shipped_content_loads_with_every_list() -> None:
    content = load_content()
    tax = content.taxonomy
    assert tax.codes("criteria") == [
        "unterbringung",
        "sprache_bildung",
        "arbeitsmarkt",
        "zivilgesellschaft",
        "verwaltung",
    ]
    assert len(tax.codes("fields")) == 6
    assert tax.codes("recommendations") == [
        *("A1", "A2", "A3", "A4", "A5", "B1", "B2", "B3", "B4", "C1", "C2", "C3", "C4")
    ]
    assert len(content.indicators) == 17
    for indicator in content.indicators.values():
        assert indicator.label_en, indicator.code
    template = content.current_template
    assert set(template.indicator_codes()) <= set(content.indicators)


def test_every_help_page_has_a_title_and_an_english_version() -> None:
    pages = load_content().help_pages
    assert {
        "omk",
        "berichterstattung",
        "rollen",
        "kriterien",
        "kennzahlen",
        "datenschutz",
    } <= set(pages)
    orders = [p.order for p in pages.values()]
    assert orders == sorted(orders)
    for page in pages.values():
        assert page.title and page.title_en and page.title_en != page.title, page.slug
        assert len(page.body) > 400, f"{page.slug}: German text too short"
        assert len(page.body_en) > 400, f"{page.slug}: English text missing or too short"


def test_help_pages_link_only_to_pages_that_exist(
    client: FlaskClient, make_user: Callable[..., Any]
) -> None:
    """Every relative link on a help page (German and English) answers 200; a page for
    logged-in users (the search) answers anonymous readers with the login page and 200 to an
    account."""
    from tests.conftest import login

    reader = make_user("staff")
    member = client.application.test_client()
    login(member, reader)
    pages = load_content().help_pages
    for slug, page in pages.items():
        base = f"/hilfe/{slug}"
        for body in (page.body, page.body_en):
            for href in re.findall(r"\]\(([^)\s]+)", body):
                if urlsplit(href).scheme:
                    continue
                path = urlsplit(urljoin(base, href)).path
                response = client.get(path)
                if response.status_code == 302:
                    assert urlsplit(response.location).path == "/anmelden", f"{slug}: {href}"
                    response = member.get(path)
                assert response.status_code == 200, f"{slug}: broken link {href}"


def test_help_examples_use_the_taxonomys_labels() -> None:
    """The worked example on the criteria help page names real labels (German and English)."""
    content = load_content()
    tax = content.taxonomy
    page = content.help_pages["kriterien"]
    for body, locale, heading in (
        (page.body, "de", "# Ein Beispiel"),
        (page.body_en, "en", "# An example"),
    ):
        example = body.split(heading, 1)[1].split("\n# ", 1)[0]
        labels = {
            tax.label(name, code, locale)
            for name in ("criteria", "fields", "recommendations")
            for code in tax.codes(name)
        }
        labels |= {
            f"{code} {tax.label('recommendations', code, locale)}"
            for code in tax.codes("recommendations")
        }
        named = re.findall(r"\*([^*]+)\*", example.replace("\n  ", " "))
        assert named, f"no example found ({locale})"
        for label in named:
            assert label in labels, f"{locale}: {label!r} is not a label of content/taxonomy.yaml"


def test_indicator_help_explains_every_basis_in_use() -> None:
    """Each normalisation basis the catalogue uses is explained on the indicator help page."""
    from omk.compare.bases import BASIS_LABELS

    content = load_content()
    page = content.help_pages["kennzahlen"]
    for basis in {i.normalise for i in content.indicators.values()}:
        assert BASIS_LABELS[basis] in page.body, basis


# --- broken content stops the app ----------------------------------------------------------


@pytest.fixture
def content_dir(tmp_path: Path) -> Path:
    """A writable copy of content/ (without the large register extract)."""
    target = tmp_path / "content"
    shutil.copytree(DEFAULT_CONTENT_DIR, target, ignore=shutil.ignore_patterns("register"))
    return target


@pytest.fixture
def start(tmp_path: Path, content_dir: Path) -> Callable[[], str]:
    """Start the app on the copied content; return the message it stopped with."""

    def run() -> str:
        settings = app_settings(
            tmp_path,
            f"sqlite:///{tmp_path / 'unused.sqlite3'}",
            CONTENT_DIR=str(content_dir),
        )
        with pytest.raises(SystemExit) as stopped:
            create_app(settings)
        return str(stopped.value)

    return run


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path.name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_the_copied_content_starts(tmp_path: Path, content_dir: Path) -> None:
    app = create_app(
        app_settings(tmp_path, f"sqlite:///{tmp_path / 'ok.sqlite3'}", CONTENT_DIR=str(content_dir))
    )
    assert isinstance(app, Flask)
    assert app.extensions["omk_content"].root == content_dir


def test_invalid_yaml_names_file_and_line(content_dir: Path, start: Callable[[], str]) -> None:
    _edit(content_dir / "taxonomy.yaml", "criteria:\n", "criteria:\n  - code: [unclosed\n")
    message = start()
    assert "taxonomy.yaml" in message
    assert re.search(r"Zeile \d+", message)
    assert "kein gültiges YAML" in message


def test_unknown_criterion(content_dir: Path, start: Callable[[], str]) -> None:
    _edit(
        content_dir / "indicators.yaml",
        "  - code: arbeitsmarkt.ausbildung\n    criterion: arbeitsmarkt\n",
        "  - code: arbeitsmarkt.ausbildung\n    criterion: arbeitswelt\n",
    )
    message = start()
    assert "indicators.yaml" in message
    assert "indicators.8.criterion" in message
    assert "unbekanntes Kriterium 'arbeitswelt'" in message


def test_unknown_criterion_in_template(content_dir: Path, start: Callable[[], str]) -> None:
    _edit(content_dir / "templates" / "bericht-1.yaml", "- criterion: verwaltung", "- criterion: x")
    message = start()
    assert "bericht-1.yaml" in message
    assert "sections.4.criterion" in message
    assert "unbekanntes Kriterium 'x'" in message


def test_duplicate_indicator_code(content_dir: Path, start: Callable[[], str]) -> None:
    _edit(
        content_dir / "indicators.yaml",
        "code: arbeitsmarkt.praktika",
        "code: arbeitsmarkt.ausbildung",
    )
    message = start()
    assert "indicators.yaml" in message
    assert "indicators.9.code" in message
    assert "doppelt: arbeitsmarkt.ausbildung" in message


def test_duplicate_taxonomy_code(content_dir: Path, start: Callable[[], str]) -> None:
    _edit(content_dir / "taxonomy.yaml", "  - code: B2\n", "  - code: A1\n")
    message = start()
    assert "taxonomy.yaml" in message
    assert "recommendations.6.code" in message
    assert "doppelter Code 'A1'" in message


def test_template_indicator_not_in_catalogue(content_dir: Path, start: Callable[[], str]) -> None:
    _edit(
        content_dir / "templates" / "bericht-1.yaml",
        "- code: arbeitsmarkt.praktika",
        "- code: arbeitsmarkt.minijobs",
    )
    message = start()
    assert "bericht-1.yaml" in message
    assert "sections.2.indicators.2.code" in message
    assert "nicht im Kennzahlenkatalog: arbeitsmarkt.minijobs" in message


def test_help_page_without_front_matter(content_dir: Path, start: Callable[[], str]) -> None:
    (content_dir / "help" / "neu.md").write_text("# Nur Text\n", encoding="utf-8")
    message = start()
    assert "neu.md" in message
    assert "front matter" in message
    assert "fehlt" in message


def test_help_page_without_title(content_dir: Path, start: Callable[[], str]) -> None:
    (content_dir / "help" / "neu.md").write_text("---\norder: 3\n---\nText\n", encoding="utf-8")
    message = start()
    assert "neu.md: title: fehlt" in message


def test_help_page_with_broken_front_matter(content_dir: Path, start: Callable[[], str]) -> None:
    (content_dir / "help" / "neu.md").write_text(
        "---\ntitle: [kaputt\n---\nText\n", encoding="utf-8"
    )
    message = start()
    assert "neu.md: front matter: kein gültiges YAML" in message


def test_help_page_order_must_be_a_number(content_dir: Path, start: Callable[[], str]) -> None:
    (content_dir / "help" / "neu.md").write_text(
        "---\ntitle: Neu\norder: zwei\n---\nText\n", encoding="utf-8"
    )
    assert "neu.md: order: muss eine ganze Zahl sein" in start()


def test_english_help_page_without_german_page(content_dir: Path, start: Callable[[], str]) -> None:
    (content_dir / "help" / "waise.en.md").write_text("Orphan\n", encoding="utf-8")
    message = start()
    assert "waise.en.md" in message
    assert "ohne deutsche Seite waise.md" in message


@pytest.mark.parametrize(
    ("bounds", "key", "problem"),
    [
        ("max: 150\n", "indicators.2.max", "ein Prozentwert endet bei 100"),
        ("min: -5\n", "indicators.2.min", "ein Prozentwert beginnt bei 0"),
        ("min: 80\n    max: 20\n", "indicators.2.max", "20 ist kleiner als min 80"),
    ],
)
def test_percent_bounds(
    content_dir: Path, start: Callable[[], str], bounds: str, key: str, problem: str
) -> None:
    _edit(
        content_dir / "indicators.yaml",
        '    unit: "%"\n    type: percent\n',
        f'    unit: "%"\n    type: percent\n    {bounds}',
    )
    message = start()
    assert "indicators.yaml" in message
    assert key in message
    assert problem in message


def test_missing_file(content_dir: Path, start: Callable[[], str]) -> None:
    (content_dir / "indicators.yaml").unlink()
    message = start()
    assert "indicators.yaml" in message
    assert "Datei fehlt" in message


def test_unknown_key_is_named(content_dir: Path, start: Callable[[], str]) -> None:
    _edit(content_dir / "indicators.yaml", "    normalise: none\n", "    normalize: none\n")
    message = start()
    assert "indicators.yaml" in message
    assert "indicators.2.normalise" in message or "indicators.2.normalize" in message
