"""gunicorn settings read from the checkout (``gunicorn wsgi:app`` run in this folder).

Each worker loads the search data (dictionary, e5 model, stored vectors, index reader)
before it serves its first request: the app factory does it when the worker imports the
app, and ``post_worker_init`` makes sure of it (omk/search/warm.py; a no-op when done).
No ``preload_app``: the model's OpenMP threads do not survive the fork into the workers.

After a publication the worker that answered applies the outbox (search index, similar
practices, stored figures) once the response is sent, for at most
``omk.services.outbox.AFTER_RESPONSE_SECONDS`` (20 s) plus the batch in hand; gunicorn counts
that time as the request's, so its ``timeout`` leaves room for it (the default, 30 s, killed
workers mid-drain when a dozen reports were accepted at once).
"""

from typing import Any

preload_app = False
timeout = 120


def post_worker_init(worker: Any) -> None:
    from omk.search import warm

    app = worker.wsgi
    if hasattr(app, "extensions") and warm.enabled(app):
        warm.warm_up(app)
