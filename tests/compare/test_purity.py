"""omk/compare stays pure: it imports only the standard library, PyYAML and itself."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import omk.compare

ALLOWED = {"yaml", "omk"}  # omk: only omk.compare.*


def test_compare_imports_no_flask_no_database_no_models() -> None:
    folder = Path(omk.compare.__file__).parent
    for path in folder.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules = [node.module]
            else:
                continue
            for module in modules:
                top = module.split(".")[0]
                if top == "omk":
                    assert module.startswith("omk.compare"), (path.name, module)
                else:
                    assert top in sys.stdlib_module_names or top in ALLOWED, (path.name, module)
