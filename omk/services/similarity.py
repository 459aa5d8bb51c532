"""Similar practices, stored: embeddings of published versions and each practice's neighbours.

Written only after the request, by the outbox consumer ``similarity`` (registered at app
start), by ``omk similar sync`` (cron) and ``omk similar rebuild``; read by :func:`similar`,
which re-checks each stored neighbour as still published before showing it.

Each run embeds the published versions that have no vector of the current model yet (when
embeddings are available: ``omk.search.embeddings``) and recomputes the neighbours of every
latest published practice with ``omk.compare.similarity`` (the scores are z-normalised per
practice against the whole corpus, so one publication can change other practices' lists).
That takes well under a second for thousands of practices; the all-pairs path scales to
100,000 (``omk bench synergies``).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import delete, func, insert, select, text

from omk.compare import similarity as method
from omk.errors import NotFound
from omk.extensions import db
from omk.messages import msg
from omk.models.outbox import OutboxEntry
from omk.models.similarity import PracticeVector, SimilarPractice
from omk.models.types import utcnow
from omk.search import embeddings, records
from omk.services import outbox
from omk.services.transaction import unit_of_work

log = logging.getLogger("omk.similarity")

CONSUMER = "similarity"
#: Neighbours stored per practice (pages of :func:`similar` read from these).
STORED = 20
#: Neighbours a practice page lists ("Ähnliche Maßnahmen in anderen Kommunen").
ON_PAGE = 5
MAX_PER_PAGE = 100
#: Up to this many practices every pair is scored; above, candidates come from the pruned
#: search of ``all_pairs`` (``omk bench synergies``).
EXHAUSTIVE_MAX = 5_000
#: Arbitrary constant naming the advisory lock that serialises writers on PostgreSQL.
_WRITE_LOCK = 0x6F6D6B02


def _latest() -> list[records.PracticeRecord]:
    return [r for r in records.records(None) if r.is_latest]


def _hash(text_: str) -> str:
    return hashlib.sha1(text_.encode(), usedforsecurity=False).hexdigest()[:16]


def embed_missing(
    latest: Sequence[records.PracticeRecord], batch: int = 32
) -> dict[tuple[str, int], Any]:
    """Embed the versions without a stored vector of the current model; return all vectors
    of ``latest`` by (lineage, revision) (empty when embeddings are unavailable)."""
    if not embeddings.embeddings_available():
        return {}
    stored = {
        (row.practice_id, row.revision_id): row
        for row in db.session.scalars(
            select(PracticeVector).where(PracticeVector.model == embeddings.MODEL)
        )
    }
    vectors: dict[tuple[str, int], Any] = {}
    todo: list[tuple[tuple[str, int], str]] = []
    for record in latest:
        key = (record.practice_id, record.revision_id)
        content = embeddings.practice_text(record.title, record.summary)
        row = stored.get(key)
        if row is not None and row.text_hash == _hash(content):
            vectors[key] = embeddings.from_bytes(row.vector)
        else:
            todo.append((key, content))
    db.session.rollback()  # end the read transaction before the slow part
    for start in range(0, len(todo), batch):
        chunk = todo[start : start + batch]
        computed = embeddings.passages([content for _, content in chunk])
        if computed is None:
            return {}
        with unit_of_work():
            for (key, content), vector in zip(chunk, computed, strict=True):
                db.session.execute(
                    delete(PracticeVector).where(
                        PracticeVector.practice_id == key[0], PracticeVector.revision_id == key[1]
                    )
                )
                db.session.add(
                    PracticeVector(
                        practice_id=key[0],
                        revision_id=key[1],
                        model=embeddings.MODEL,
                        text_hash=_hash(content),
                        vector=embeddings.to_bytes(vector),
                    )
                )
                vectors[key] = vector
    return vectors


def items(
    latest: Sequence[records.PracticeRecord], vectors: dict[tuple[str, int], Any]
) -> list[method.Item]:
    """The latest published versions as similarity items."""
    return [
        method.Item(
            id=r.practice_id,
            lineage_id=r.practice_id,
            municipality_key=r.municipality_key,
            title=r.title,
            summary=r.summary,
            description=r.description,
            outcomes=r.outcomes,
            criterion=r.criterion[0] if r.criterion else "",
            fields=tuple(r.fields),
            target_groups=tuple(r.target_groups),
            actor_types=tuple(r.actor_types),
            recommendations=tuple(r.recommendations),
            place=r.name,
            vector=vectors.get((r.practice_id, r.revision_id)),
        )
        for r in latest
    ]


def recompute() -> int:
    """Embed what is missing and store every practice's neighbours anew; returns the number
    of stored neighbours."""
    latest = _latest()
    vectors = embed_missing(latest)
    corpus = items(latest, vectors)
    hybrid = bool(corpus) and all(item.vector is not None for item in corpus)
    options: dict[str, Any] = {}
    if len(corpus) > EXHAUSTIVE_MAX:
        options = {
            "candidates": method.CANDIDATES,
            "prune": method.PRUNE,
            "query_terms": method.QUERY_TERMS,
            "dense_candidates": False,
        }
    found = method.similar(corpus, k=STORED, **options) if corpus else {}
    now = utcnow()
    rows = [
        {
            "practice_id": practice_id,
            "other_id": n.id,
            "rank": rank,
            "score": n.score,
            "terms": list(n.terms),
            "reasons": [[message, params] for message, params in n.reasons()],
            "method": "hybrid" if hybrid else "lexical",
            "computed_at": now,
        }
        for practice_id, neighbours in found.items()
        for rank, n in enumerate(neighbours, start=1)
    ]
    with unit_of_work():
        if db.session.get_bind().dialect.name == "postgresql":
            db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _WRITE_LOCK})
        db.session.execute(delete(SimilarPractice))
        if rows:
            db.session.execute(insert(SimilarPractice), rows)
    return len(rows)


def apply_entries(entries: Sequence[OutboxEntry]) -> None:
    """The outbox consumer: any change to published practices recomputes (idempotent)."""
    if any(entry.practice_ids for entry in entries):
        recompute()


def register(app: Any) -> None:
    """Make similar practices a consumer of the outbox."""
    outbox.register_consumer(CONSUMER, apply_entries)


def sync() -> int:
    """Apply every pending outbox entry (cron: ``omk similar sync``)."""
    return outbox.drain(CONSUMER, apply_entries)


def rebuild() -> int:
    """Recompute everything from the database and move the cursor to the newest entry."""
    start = db.session.scalar(select(func.coalesce(func.max(OutboxEntry.id), 0))) or 0
    count = recompute()
    outbox.reset(CONSUMER, int(start))
    return count


def _explanation(reasons: list[Any], gettext: Callable[[str], str]) -> str:
    return ", ".join(gettext(str(message)) % dict(params) for message, params in reasons)


def similar(
    practice_id: str,
    page: int = 1,
    per_page: int = 10,
    gettext: Callable[[str], str] | None = None,
) -> dict[str, Any]:
    """The stored similar practices of a practice (lineage id), best first, each re-checked
    as still published. ``{"total", "page", "per_page", "items": [{"practice_id", "title",
    "ags", "municipality_key", "name", "score", "terms", "explanation", "method"}]}``.
    Raises NotFound when the practice is not published."""
    if page < 1 or not 1 <= per_page <= MAX_PER_PAGE:
        raise ValueError("page must be ≥ 1 and per_page between 1 and 100")
    if not _published([practice_id]):
        raise NotFound(msg("Diese Maßnahme gibt es nicht oder sie ist nicht veröffentlicht."))
    rows = list(
        db.session.scalars(
            select(SimilarPractice)
            .where(SimilarPractice.practice_id == practice_id)
            .order_by(SimilarPractice.rank)
        )
    )
    current = _published([row.other_id for row in rows])
    rows = [row for row in rows if row.other_id in current]
    if gettext is None:
        from flask_babel import gettext as babel_gettext

        gettext = babel_gettext
    shown = rows[(page - 1) * per_page : page * per_page]
    names = _display_names({current[row.other_id].municipality_key for row in shown}, gettext)
    return {
        "total": len(rows),
        "page": page,
        "per_page": per_page,
        "items": [
            {
                "practice_id": row.other_id,
                "title": current[row.other_id].title,
                "ags": current[row.other_id].ags,
                "municipality_key": current[row.other_id].municipality_key,
                "name": names.get(
                    current[row.other_id].municipality_key, current[row.other_id].name
                ),
                "score": row.score,
                "terms": list(row.terms),
                "explanation": _explanation(row.reasons, gettext),
                "method": row.method,
            }
            for row in shown
        ],
    }


def _display_names(keys: set[str], gettext: Callable[[str], str]) -> dict[str, str]:
    """The names shown to people (DOMAIN.md) of the municipalities ``keys``: "Coburg
    (Landkreis)", not the register's bare "Coburg" that reads like the city."""
    from omk.models.register import Municipality
    from omk.services import register

    if not keys:
        return {}
    entries = db.session.scalars(select(Municipality).where(Municipality.key.in_(keys)))
    return {key: name.render(gettext) for key, name in register.display_names(entries).items()}


def _published(practice_ids: Sequence[str]) -> dict[str, records.PracticeRecord]:
    if not practice_ids:
        return {}
    return {r.practice_id: r for r in records.records(list(practice_ids)) if r.is_latest}
