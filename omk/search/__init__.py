"""Full-text search of published practices, behind one small interface.

``service`` is what the app calls (search, sync, reindex, verify); ``backend`` the interface
of an engine, implemented by ``whoosh_backend`` (``whoosh_index``: an index folder, the
default) and ``pg_backend`` (a table in PostgreSQL); ``records`` what is indexed;
``analysis`` the German text analysis shared with similarity; ``snippets`` the highlighted
passages.
"""

from __future__ import annotations

from pathlib import Path

from flask import current_app


def index_dir() -> Path:
    """The folder holding the index's generations (OMK_SEARCH_INDEX)."""
    return Path(current_app.config["SEARCH_INDEX"])


def ensure_index() -> str:
    """Create an empty index if there is none; returns where the index lives."""
    from omk.search import service

    backend = service.engine()
    backend.ensure()
    return backend.where()


def index_status() -> str:
    """'ok' when the current index can be searched, otherwise a short reason."""
    from omk.search import service

    try:
        name = service.backend_name()
    except ValueError:
        return "unavailable: OMK_SEARCH_BACKEND"
    if name == "whoosh":
        # Without opening the engine: a broken index folder must not break /healthz.
        from omk.search.whoosh_backend import open_problem

        problem = open_problem(index_dir())
    else:
        try:
            problem = service.engine().problem()
        except Exception as exc:
            problem = f"unavailable: {type(exc).__name__}"
    return problem or "ok"
