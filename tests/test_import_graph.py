"""Arrows point one way: the core (services, command line, document format, comparison,
policy, models) never imports a screen module (``omk.views``, ``omk.forms``) or the API.

Read from the source with ``ast``, so that imports inside functions count as well.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "omk"

#: Modules and packages below ``omk/`` that form the core.
CORE = (
    "services",
    "workbook",
    "demo",
    "compare",
    "search",
    "synergies",
    "models",
    "cli.py",
    "exchange.py",
    "documents.py",
    "numbers.py",
    "wording.py",
    "policy.py",
    "content.py",
    "markdown.py",
    "errors.py",
    "mail.py",
)
#: What the core must never import (the modules and everything below them).
SCREENS = ("omk.views", "omk.forms", "omk.api")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(source: str, module: str, *, is_package: bool = False) -> set[str]:
    """Every module the source of ``module`` imports, anywhere in it, as absolute dotted
    names (``from omk import views`` counts as ``omk.views``)."""
    package = module if is_package else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def imports_of(path: Path) -> set[str]:
    source = path.read_text(encoding="utf-8")
    return imported_modules(source, module_name(path), is_package=path.name == "__init__.py")


def core_files() -> list[Path]:
    files: list[Path] = []
    for entry in CORE:
        path = PACKAGE / entry
        if path.is_dir():
            files += sorted(path.rglob("*.py"))
        elif path.exists():
            files.append(path)
    return files


def reaches_screen(module: str) -> bool:
    return any(module == s or module.startswith(s + ".") for s in SCREENS)


@pytest.mark.parametrize("path", core_files(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_core_never_imports_screens(path: Path) -> None:
    wrong = sorted(m for m in imports_of(path) if reaches_screen(m))
    assert not wrong, f"{path.relative_to(PACKAGE.parent)} imports {wrong}"


def test_the_core_is_there_to_be_checked() -> None:
    """The list above names real files (a renamed module would silently drop out)."""
    names = {str(p.relative_to(PACKAGE)) for p in core_files()}
    for entry in (
        "services/reports/workflow.py",
        "workbook/reading.py",
        "demo/seeder.py",
        "cli.py",
        "exchange.py",
    ):
        assert entry in names


def test_the_checker_sees_every_kind_of_import() -> None:
    """Plain, from-, relative and function-local imports are all found."""
    source = (
        "import omk.views.auth\n"
        "from omk import forms\n"
        "from ..api import reports\n"
        "def f():\n"
        "    from omk.views.users import bp\n"
    )
    found = {m for m in imported_modules(source, "omk.services.sample") if reaches_screen(m)}
    assert {"omk.views.auth", "omk.forms", "omk.api.reports", "omk.views.users.bp"} <= found
    relative = imported_modules("from . import audit", "omk.services.sample")
    assert relative == {"omk.services", "omk.services.audit"}
