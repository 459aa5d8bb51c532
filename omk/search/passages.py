"""Stored passage vectors: search by meaning over a practice's full text.

The e5 vector of title + summary (``PracticeVector``, written by the outbox consumer
``similarity``) misses what only the description or outcomes say. Each published version's
description and outcomes are also embedded, in passages of about 150 words after the title
(``embeddings.passage_texts``), and stored once per version (``PracticePassageVector``) by the
outbox consumer ``passages`` (after the request, never during one: at most
``AFTER_RESPONSE_LIMIT`` versions per kick there, the rest by the next kick or cron's
``omk outbox drain``); ``omk search embed`` embeds whatever is missing with a progress bar (after
an upgrade, or after the model was unavailable: the consumer skips its entries then). The
ranking by meaning (``omk.search.ranking``) scores a practice by the best cosine of its title +
summary and its passages.

Embedding a full text costs about five times a title + summary (measured: ~1.4 s of CPU per
demo practice of ~210 words on the busy two-core machine): it runs once per version.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Sequence

from sqlalchemy import delete, select, text

from omk.extensions import db
from omk.models.outbox import OutboxEntry
from omk.models.similarity import PracticePassageVector
from omk.search import embeddings, records
from omk.services import outbox
from omk.services.transaction import unit_of_work

log = logging.getLogger("omk.search")

CONSUMER = "passages"
#: Versions embedded per kick in a web worker after its response (~1.4 s of CPU each): a
#: worker is never busy for minutes, e.g. on the first kick after an upgrade.
AFTER_RESPONSE_LIMIT = 8
#: Arbitrary constant naming the PostgreSQL advisory lock that orders the passage writers:
#: two processes embedding the same version write one after the other (the second replaces
#: the first's rows) instead of colliding on their keys.
_LOCK = 0x6F6D6B50


def _hash(texts: Sequence[str]) -> str:
    joined = "\x1e".join(texts)
    return hashlib.sha1(joined.encode(), usedforsecurity=False).hexdigest()[:16]


def texts_of(record: records.PracticeRecord) -> list[str]:
    """The passages embedded of one published version."""
    return embeddings.passage_texts(record.title, record.description, record.outcomes)


def embed_missing(
    versions: Sequence[records.PracticeRecord],
    batch: int = 16,
    *,
    limit: int | None = None,
) -> tuple[int, int]:
    """Embed and store the passages of the versions whose stored ones are missing or of
    other text or model, at most ``limit`` of them; returns (embedded, still missing)."""
    if not versions or not embeddings.embeddings_available():
        return 0, 0
    wanted = {r.practice_id for r in versions}
    stored = {
        (practice_id, revision_id): text_hash
        for practice_id, revision_id, text_hash in db.session.execute(
            select(
                PracticePassageVector.practice_id,
                PracticePassageVector.revision_id,
                PracticePassageVector.text_hash,
            )
            .where(PracticePassageVector.model == embeddings.MODEL)
            .where(PracticePassageVector.practice_id.in_(sorted(wanted)))
        )
    }
    todo = []
    for record in versions:
        texts = texts_of(record)
        key = (record.practice_id, record.revision_id)
        if texts and stored.get(key) != _hash(texts):
            todo.append((key, texts))
    db.session.rollback()  # end the read transaction before the slow part
    left = 0
    if limit is not None and len(todo) > limit:
        todo, left = todo[:limit], len(todo) - limit
    done = 0
    for start in range(0, len(todo), batch):
        chunk = todo[start : start + batch]
        flat = [text for _, texts in chunk for text in texts]
        vectors = embeddings.passages(flat)
        if vectors is None:
            return done, len(todo) - done + left
        with unit_of_work():
            if db.engine.dialect.name == "postgresql":  # SQLite serialises writers anyway
                db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK})
            row = 0
            for (practice_id, revision_id), texts in chunk:
                db.session.execute(
                    delete(PracticePassageVector).where(
                        PracticePassageVector.practice_id == practice_id,
                        PracticePassageVector.revision_id == revision_id,
                    )
                )
                for number in range(len(texts)):
                    db.session.add(
                        PracticePassageVector(
                            practice_id=practice_id,
                            revision_id=revision_id,
                            chunk=number,
                            model=embeddings.MODEL,
                            text_hash=_hash(texts),
                            vector=embeddings.to_bytes(vectors[row]),
                        )
                    )
                    row += 1
        done += len(chunk)
    return done, left


def embed_lineages(practice_ids: Sequence[str], *, limit: int | None = None) -> tuple[int, int]:
    """Embed what is missing of these lineages' newest published versions."""
    if not practice_ids:
        return 0, 0
    latest = [r for r in records.records(practice_ids) if r.is_latest]
    return embed_missing(latest, limit=limit)


def embed_all(progress: Callable[[int, int], None] | None = None) -> int:
    """Embed what is missing of every newest published version, 500 lineages at a time
    (``omk search embed``); returns how many versions were embedded."""
    lineages = records.all_lineages()
    done = 0
    for batch in records.batches(lineages):
        latest = [r for r in batch if r.is_latest]
        count, _ = embed_missing(latest)
        done += count
        if progress is not None:
            progress(len(latest), len(lineages))
    return done


def apply_entries(entries: Sequence[OutboxEntry]) -> None:
    """The outbox consumer: embed the newest versions of the lineages the entries name. In a
    web worker after its response only ``AFTER_RESPONSE_LIMIT`` of them per kick; the entries
    stay pending (``ConsumerBusy``) until all are embedded. Without the model the entries are
    passed over: ``omk search embed`` catches up once it loads."""
    if not embeddings.embeddings_available():
        return
    from omk.search.service import lineages_of_entries

    limit = AFTER_RESPONSE_LIMIT if outbox.after_response() else None
    _, left = embed_lineages(lineages_of_entries(entries), limit=limit)
    if left:
        log.info("passages: %d versions left for the next kick or `omk outbox drain`", left)
        raise outbox.ConsumerBusy()
