"""Full-text search behind one small interface (Whoosh embedded; PostgreSQL later)."""

from __future__ import annotations

import gc
import warnings
from pathlib import Path

from flask import current_app
from whoosh import index
from whoosh.fields import ID, STORED, TEXT, Schema

SCHEMA_VERSION = 1


def schema() -> Schema:
    """The index schema of published practices."""
    return Schema(
        uid=ID(stored=True, unique=True),
        title=TEXT(stored=True),
        body=TEXT,
        municipality=ID(stored=True),
        cycle=ID(stored=True),
        meta=STORED,
    )


def index_dir() -> Path:
    return Path(current_app.config["SEARCH_INDEX"])


def ensure_index() -> None:
    """Create an empty index in the configured folder if there is none."""
    path = index_dir()
    path.mkdir(parents=True, exist_ok=True)
    if not index.exists_in(str(path)):
        index.create_in(str(path), schema())


def index_status() -> str:
    """'ok' when the index opens, otherwise a short reason."""
    path = str(index_dir())
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
