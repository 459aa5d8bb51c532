"""Build steps that setup.cfg cannot declare; the project's metadata lives in setup.cfg.

A wheel (``pip install .``, ``pip wheel .``) must run anywhere, without the repository:

* the repository's top-level ``content/`` and ``migrations/`` go into the package as
  ``omk/_shipped/content`` and ``omk/_shipped/migrations`` (``omk/paths.py`` finds them);
* the translations are compiled into ``.mo`` files (Babel);
* the KERN-UX assets (``omk/static/kern``, from ``make assets``) must be there, or the build
  stops with one line saying so.

An editable install (``pip install -e .``, what ``make setup`` does) uses the checkout's own
folders and needs none of this.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
SHIPPED = ("content", "migrations")
KERN = ROOT / "omk" / "static" / "kern" / "kern.min.css"


class BuildPy(build_py):
    """``build_py`` plus the shipped data folders, compiled translations and a KERN check."""

    def run(self) -> None:
        editable = getattr(self, "editable_mode", False)
        if not editable and not KERN.is_file():
            raise SystemExit(
                f"KERN-UX fehlt ({KERN.relative_to(ROOT)}): erst `make assets` (npm ci) ausführen."
            )
        super().run()
        if editable:
            return
        target = Path(self.build_lib) / "omk" / "_shipped"
        for name in SHIPPED:
            shutil.rmtree(target / name, ignore_errors=True)
            shutil.copytree(
                ROOT / name, target / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
            )
        self._compile_translations(Path(self.build_lib) / "omk" / "translations")

    @staticmethod
    def _compile_translations(target: Path) -> None:
        from babel.messages.mofile import write_mo
        from babel.messages.pofile import read_po

        for po in sorted((ROOT / "omk" / "translations").glob("*/LC_MESSAGES/*.po")):
            locale = po.parent.parent.name
            with po.open("rb") as source:
                catalog = read_po(source, locale=locale)
            mo = target / po.relative_to(ROOT / "omk" / "translations").with_suffix(".mo")
            mo.parent.mkdir(parents=True, exist_ok=True)
            with mo.open("wb") as out:
                write_mo(out, catalog, use_fuzzy=True)


setup(cmdclass={"build_py": BuildPy})
