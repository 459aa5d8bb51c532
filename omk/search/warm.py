"""Load what the first search needs when a worker starts, so that no user waits for it.

The first search in a fresh process used to take about 5.5 s: simplemma's dictionary, the
splitter's lexicon and the synonyms (``analysis.warm_up``), the e5 model (``embeddings``),
the stored vectors (``ranking.store``) and the index's reader and facet arrays. The Whoosh
backend then reads its most frequent posting lists into its postings cache in a thread of
its own (``whoosh_prefill``; PostgreSQL: ``PostgresBackend.prefill_postings``), so the first
queries do not wait for them. ``create_app``
calls :func:`warm_up` when the setting ``WARM_UP`` says so (``auto``: not in tests, not for
CLI commands other than ``omk run``); gunicorn's ``post_worker_init`` hook
(``gunicorn.conf.py``) calls it too, which does nothing when the app factory already did.
Never before a fork: the model's OpenMP threads do not survive one (no ``--preload``).

Nothing here may stop the app from starting: a database without tables yet, an index
folder that cannot be opened, a model that does not load are logged and left to the first
search (and /healthz says what is missing).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from typing import TYPE_CHECKING, TypedDict

from flask import Flask

if TYPE_CHECKING:
    from omk.search.pg_backend import PostgresBackend

log = logging.getLogger("omk.search")


class WarmUp(TypedDict):
    """What :func:`warm_up` loaded in this process."""

    pid: int
    seconds: float
    embeddings: bool  # the model loaded (else lexical only)
    vectors: int  # stored vectors loaded
    index: bool  # the search engine opened and its facet arrays built
    #: the most frequent terms' posting lists being read into the postings cache in a
    #: background thread (Whoosh: again for later commits' segments while the budget allows)
    postings_prefill: bool


def enabled(app: Flask) -> bool:
    """Whether the app loads the search data at start (setting ``WARM_UP``)."""
    setting = str(app.config.get("WARM_UP", "auto"))
    return setting == "on" or (setting == "auto" and not app.config.get("TESTING"))


def state(app: Flask) -> WarmUp | None:
    """What this process loaded at start, or None if it did not warm up."""
    found: WarmUp | None = app.extensions.get("omk_warm_up")
    return found if found is not None and found["pid"] == os.getpid() else None


def warm_up(app: Flask) -> WarmUp:
    """Load the analysis data, the embedding model, the stored vectors and the index's
    reader now (once per process; again after a fork)."""
    done = state(app)
    if done is not None:
        return done
    from omk.extensions import db
    from omk.search import analysis, embeddings, ranking, service

    started = time.perf_counter()
    analysis.warm_up()
    result = WarmUp(
        pid=os.getpid(),
        seconds=0.0,
        embeddings=False,
        vectors=0,
        index=False,
        postings_prefill=False,
    )
    with app.app_context():
        try:
            result["embeddings"] = embeddings.embeddings_available()
            if result["embeddings"]:
                vectors = ranking.store()
                result["vectors"] = len(vectors) if vectors is not None else 0
        except Exception as error:  # no tables yet (before omk db upgrade), …
            db.session.rollback()
            log.warning("warm-up: stored vectors not loaded: %s", error)
        try:
            backend = service.engine()
            result["postings_prefill"] = _prefill_postings(backend)
            backend.match([], filters={}, version=None, sort="relevance", offset=0, limit=1)
            result["index"] = True
        except Exception as error:
            db.session.rollback()
            log.warning("warm-up: search index not opened: %s", error)
        finally:
            db.session.remove()
    result["seconds"] = round(time.perf_counter() - started, 3)
    app.extensions["omk_warm_up"] = result
    log.info("search warm-up in %.1f s: %s", result["seconds"], result)
    return result


def _prefill_postings(backend: object) -> bool:
    """Let the backend fill its postings cache in the background, so that the first queries
    after a start (or, with Whoosh, a commit) do not read every list they need: Whoosh from
    its first searcher on (``whoosh_prefill``; bounded by ``OMK_SEARCH_POSTINGS_CACHE_MB``),
    PostgreSQL once, in a thread of its own (``PostgresBackend.prefill_postings``: the live
    rows, the facet values and the most common lexemes' lists)."""
    from omk.search.pg_backend import PostgresBackend
    from omk.search.whoosh_index import WhooshIndex

    if isinstance(backend, PostgresBackend):
        if not backend.cached:
            return False
        threading.Thread(
            target=_prefill_postgres, args=(backend,), name="omk-postings-prefill", daemon=True
        ).start()
        return True
    engine = getattr(backend, "index", None)
    if not isinstance(engine, WhooshIndex) or engine.postings.max_bytes <= 0:
        return False
    engine.prefill_on_change = True
    return True


def _prefill_postgres(backend: PostgresBackend) -> None:
    try:
        log.info("search postings prefilled: %s", backend.prefill_postings())
    except Exception as error:  # tables not there yet, the database gone, …
        log.warning("search postings prefill failed: %s", error)
