"""Stored passage vectors: search by meaning over a practice's full text.

The e5 vector of title + summary (``PracticeVector``, written by the outbox consumer
``similarity``) misses what only the description or outcomes say. Each published version's
description and outcomes are also embedded, in passages of about 150 words after the title
(``embeddings.passage_texts``), and stored once per version (``PracticePassageVector``) by the
outbox consumer ``passages`` (after the request, never during one); ``omk search reindex``
embeds what is missing and reuses the rest. The ranking by meaning (``omk.search.ranking``)
scores a practice by the best cosine of its title + summary and its passages.

Embedding a full text costs about five times a title + summary (measured: ~1.4 s of CPU per
demo practice of ~210 words on the busy two-core machine): it runs once per version.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence

from sqlalchemy import delete, select

from omk.extensions import db
from omk.models.outbox import OutboxEntry
from omk.models.similarity import PracticePassageVector
from omk.search import embeddings, records
from omk.services.transaction import unit_of_work

log = logging.getLogger("omk.search")

CONSUMER = "passages"


def _hash(texts: Sequence[str]) -> str:
    joined = "\x1e".join(texts)
    return hashlib.sha1(joined.encode(), usedforsecurity=False).hexdigest()[:16]


def texts_of(record: records.PracticeRecord) -> list[str]:
    """The passages embedded of one published version."""
    return embeddings.passage_texts(record.title, record.description, record.outcomes)


def embed_missing(versions: Sequence[records.PracticeRecord], batch: int = 16) -> int:
    """Embed and store the passages of the versions whose stored ones are missing or of
    other text or model; returns how many versions were embedded (0 without embeddings)."""
    if not versions or not embeddings.embeddings_available():
        return 0
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
    done = 0
    for start in range(0, len(todo), batch):
        chunk = todo[start : start + batch]
        flat = [text for _, texts in chunk for text in texts]
        vectors = embeddings.passages(flat)
        if vectors is None:
            return done
        with unit_of_work():
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
    return done


def embed_lineages(practice_ids: Sequence[str] | None) -> int:
    """Embed what is missing of these lineages' newest published versions (None: all)."""
    if practice_ids is not None and not practice_ids:
        return 0
    latest = [r for r in records.records(practice_ids) if r.is_latest]
    return embed_missing(latest)


def apply_entries(entries: Sequence[OutboxEntry]) -> None:
    """The outbox consumer: embed the newest versions of the lineages the entries name."""
    if not embeddings.embeddings_available():
        return
    from omk.search.service import lineages_of_entries

    embed_lineages(lineages_of_entries(entries))
