"""Full-text search of published practices, behind one small interface.

``service`` is what the app calls (search, sync, reindex, verify); ``whoosh_index`` the
embedded engine; ``records`` what is indexed; ``analysis`` the German text analysis shared
with similarity; ``snippets`` the highlighted passages.
"""

from __future__ import annotations

import gc
import warnings
from pathlib import Path

from flask import current_app
from whoosh import index


def index_dir() -> Path:
    """The folder holding the index's generations (OMK_SEARCH_INDEX)."""
    return Path(current_app.config["SEARCH_INDEX"])


def ensure_index() -> None:
    """Create an empty index in the configured folder if there is none."""
    from omk.search.whoosh_index import ensure

    ensure(index_dir())


def index_status() -> str:
    """'ok' when the current index opens, otherwise a short reason."""
    path = str(index_dir() / "current")
    # Whoosh leaves a corrupt TOC's file open when reading it fails: let it be closed here,
    # quietly, rather than as a ResourceWarning at some later garbage collection.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        problem = _open_problem(path)
        gc.collect()
    return problem or "ok"


def _open_problem(path: str) -> str | None:
    try:
        if not index.exists_in(path):
            return "unavailable: kein Index (omk search init)"
        ix = index.open_dir(path)
        ix.doc_count()
        ix.close()
    except Exception as exc:
        return f"unavailable: {type(exc).__name__}"
    return None
