"""Where the shipped folders are found, and what the wheel carries (``.ci/wheel-check`` then
installs it and runs it from another folder)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from omk import paths
from omk.content import DEFAULT_CONTENT_DIR
from tests.conftest import SAMPLE_REGISTER

ROOT = Path(__file__).resolve().parent.parent


def test_a_checkout_uses_its_own_folders() -> None:
    assert paths.CONTENT_DIR == DEFAULT_CONTENT_DIR == ROOT / "content"
    assert paths.MIGRATIONS_DIR == ROOT / "migrations"
    assert (paths.CONTENT_DIR / paths.REGISTER_FILE).is_file()


def test_an_installed_package_uses_its_copies(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = tmp_path / "site-packages"
    (site / "content").mkdir(parents=True)  # a stray folder of another package is not ours
    monkeypatch.setattr(paths, "CHECKOUT_DIR", site)
    monkeypatch.setattr(paths, "SHIPPED_DIR", site / "omk" / "_shipped")
    assert paths.shipped("content") == site / "omk" / "_shipped" / "content"
    assert paths.shipped("migrations") == site / "omk" / "_shipped" / "migrations"


def test_the_shipped_register_comes_from_the_content_folder(
    make_app: Callable[..., Flask], tmp_path: Path
) -> None:
    content = tmp_path / "content"
    shutil.copytree(DEFAULT_CONTENT_DIR, content, ignore=shutil.ignore_patterns("register"))
    (content / "register").mkdir()
    shutil.copyfile(SAMPLE_REGISTER, content / paths.REGISTER_FILE)
    # the README beside the extract names its Gebietsstand (the import records it)
    shutil.copyfile(SAMPLE_REGISTER.parent / "README.md", content / "register" / "README.md")
    app = make_app(CONTENT_DIR=str(content))
    with app.app_context():
        result = app.test_cli_runner().invoke(args=["municipalities", "import", "--shipped"])
    assert result.exit_code == 0, result.output
    assert str(content / paths.REGISTER_FILE) in result.stderr
    assert "92 neu" in result.stdout


@pytest.mark.parametrize("args", [[], ["--shipped", str(SAMPLE_REGISTER)]])
def test_import_wants_a_path_or_shipped(app: Flask, runner: Any, args: list[str]) -> None:
    result = runner.invoke(args=["municipalities", "import", *args])
    assert result.exit_code == 2
    assert "Entweder PATH oder --shipped angeben." in result.stderr


@pytest.mark.slow
def test_the_wheel_carries_content_migrations_translations_and_assets(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(tmp_path), "."],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("omk-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = "omk/_shipped/"
    for path in [
        *(p.relative_to(ROOT).as_posix() for p in (ROOT / "content").rglob("*") if p.is_file()),
        *(p.relative_to(ROOT).as_posix() for p in (ROOT / "migrations").rglob("*.py")),
        "migrations/alembic.ini",
        "migrations/script.py.mako",
    ]:
        assert shipped + path in names, path
    for path in (
        "omk/translations/en/LC_MESSAGES/messages.mo",
        "omk/static/kern/kern.min.css",
        "omk/static/kern/fonts/fira-sans.css",
        "omk/static/kern/fonts/omk-sans/OMKSans-Regular.woff2",  # make assets: Latin subset
        "omk/static/kern/fonts/omk-sans/OFL.txt",  # and its licence
        "omk/data/common-passwords.txt",
        "omk/templates/base.html",
    ):
        assert path in names, path
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]
