"""omk/compare stays pure: it imports only the standard library, PyYAML, numpy/scipy (the
similarity matrices), itself and the German analysis (itself free of Flask and databases)."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import omk.compare

ALLOWED = {"yaml", "omk", "numpy", "scipy"}  # omk: only omk.compare.* and PURE_OMK
#: Pure modules outside omk/compare that it may use (checked below to stay pure).
PURE_OMK = {"omk.search.analysis"}
FORBIDDEN = {"flask", "flask_sqlalchemy", "sqlalchemy", "flask_babel", "flask_login"}


def test_compare_imports_no_flask_no_database_no_models() -> None:
    folder = Path(omk.compare.__file__).parent
    paths = sorted(folder.rglob("*.py"))  # packages inside (similarity/) too
    assert folder / "similarity" / "__init__.py" in paths
    for path in paths:
        for module in _imported(path):
            top = module.split(".")[0]
            if top == "omk":
                assert module.startswith("omk.compare") or module in PURE_OMK, (
                    path.name,
                    module,
                )
            else:
                assert top in sys.stdlib_module_names or top in ALLOWED, (path.name, module)


def test_the_analysis_compare_uses_is_pure_too() -> None:
    root = Path(omk.compare.__file__).parents[1]
    for name in PURE_OMK:
        base = root / name.removeprefix("omk.").replace(".", "/")
        # a module or a package (every module of it)
        paths = sorted(base.glob("*.py")) if base.is_dir() else [base.with_suffix(".py")]
        assert paths, name
        for path in paths:
            _assert_pure(name, path)


def _assert_pure(name: str, path: Path) -> None:
    for module in _imported(path):
        assert module.split(".")[0] not in FORBIDDEN, (name, module)
        assert not module.startswith(("omk.models", "omk.services", "omk.extensions")), (
            name,
            module,
        )


def _imported(path: Path) -> list[str]:
    """The modules a file imports by absolute name."""
    modules: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            modules += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules.append(node.module)
    return modules
