"""Search by meaning over the full text (omk.search.passages): passages cut at sentence ends,
embedded once per published version by the outbox consumer ``passages``, and scored with the
title + summary vector by the best cosine; nothing without the model."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from flask import Flask
from sqlalchemy import func, select

from omk.extensions import db
from omk.models.similarity import PracticePassageVector
from omk.search import embeddings, passages, ranking, service
from omk.services import outbox
from tests import factories
from tests.search import test_ranking
from tests.search.test_ranking import AACHEN, BIKES, CHOIR, ESSEN, KOELN, publish

# the fixtures of the hybrid ranking's tests (a fake model, no thesaurus, three reporters)
fake_model = test_ranking.fake_model
no_thesaurus = test_ranking.no_thesaurus
people = test_ranking.people


def test_passages_are_cut_at_sentence_ends_after_the_title() -> None:
    body = " ".join(f"Satz {n} hat genau sechs Wörter." for n in range(60))  # 360 words
    found = embeddings.passage_texts("Titel", body, "Ergebnis in zwei Sätzen. Noch einer.")
    assert len(found) == 3
    assert all(text.startswith("Titel. Satz") for text in found)
    assert all(len(text.split()) <= embeddings.PASSAGE_WORDS + 1 for text in found)
    # every sentence once, in order
    joined = " ".join(text.removeprefix("Titel. ") for text in found)
    assert joined.endswith("Ergebnis in zwei Sätzen. Noch einer.")
    assert embeddings.passage_texts("Titel", "", "") == []


def test_a_passage_lifts_its_version_to_its_best_cosine() -> None:
    matrix = np.eye(3, dtype=np.float32)
    store = ranking.DenseStore([("a", 1), ("b", 1), ("c", 1)], matrix)
    query = np.array([0.0, 0.0, 1.0], dtype=np.float32)
    assert store.cosines(query).tolist() == [0.0, 0.0, 1.0]
    store.passages = np.array([[0, 0.6, 0.8], [0, 0, 0.5]], dtype=np.float32)
    store.owners = np.array([0, 2])
    # a's passage is closer than its summary; c keeps its own better cosine
    assert np.allclose(store.cosines(query), [0.8, 0.0, 1.0])


HIDDEN = factories.practice(
    "Neues Projekt",
    summary="Ein Projekt der Stadt.",
    description="Wir vermitteln Mietwohnungen und beraten Vermieter.",
)


def _stored() -> int:
    return int(db.session.scalar(select(func.count()).select_from(PracticePassageVector)) or 0)


def test_the_full_text_is_embedded_once_and_found_by_meaning(
    app: Flask, people: dict[str, Any], fake_model: None, no_thesaurus: None
) -> None:
    publish(people, ESSEN, HIDDEN)
    publish(people, KOELN, CHOIR)
    publish(people, AACHEN, BIKES)
    assert _stored() == 3  # one passage each, written by the outbox consumer
    # only the description is about flats: found by meaning through its passage
    results = service.search("Bleibe gesucht")
    assert [h.title for h in results.hits] == ["Neues Projekt"]
    # a reindex reuses the stored passages
    before = db.session.scalars(select(PracticePassageVector.created_at)).all()
    service.reindex()
    assert db.session.scalars(select(PracticePassageVector.created_at)).all() == before


@pytest.fixture(params=["off", "unavailable"])
def without_model(
    request: pytest.FixtureRequest, app: Flask, fake_model: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Embeddings switched off, or the model failing to load (no AVX2)."""
    if request.param == "off":
        app.config["EMBEDDINGS"] = "off"
        return
    embeddings.reset()
    monkeypatch.setattr(embeddings, "cpu_has_avx2", lambda *a: False)


def test_without_the_model_nothing_is_embedded_and_search_is_lexical(
    app: Flask, people: dict[str, Any], no_thesaurus: None, without_model: None
) -> None:
    publish(people, ESSEN, HIDDEN)
    assert _stored() == 0
    assert passages.embed_all() == 0
    assert service.search("Bleibe gesucht").total == 0
    assert service.search("Vermieter").total == 1


def test_a_web_worker_embeds_a_bounded_share_per_kick_and_cron_the_rest(
    app: Flask,
    people: dict[str, Any],
    fake_model: None,
    no_thesaurus: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """After a response (e.g. the first publication after an upgrade replays the outbox) a
    worker embeds a few versions and leaves the entries pending; a later drain finishes."""
    monkeypatch.setattr(passages, "AFTER_RESPONSE_LIMIT", 1)
    monkeypatch.setattr(outbox, "after_response", lambda: True)
    with outbox.deferred():
        publish(people, ESSEN, HIDDEN)
        publish(people, KOELN, CHOIR)
        publish(people, AACHEN, BIKES)
    assert _stored() == 1
    assert outbox.lag(passages.CONSUMER).pending > 0
    monkeypatch.setattr(outbox, "after_response", lambda: False)
    outbox.kick()
    assert _stored() == 3
    assert outbox.lag(passages.CONSUMER).pending == 0


def test_embed_all_catches_up_what_was_published_without_the_model(
    app: Flask, people: dict[str, Any], fake_model: None, no_thesaurus: None
) -> None:
    app.config["EMBEDDINGS"] = "off"
    publish(people, ESSEN, HIDDEN)
    assert _stored() == 0
    assert outbox.lag(passages.CONSUMER).pending == 0  # passed over, not stuck
    app.config["EMBEDDINGS"] = "auto"
    seen: list[tuple[int, int]] = []
    assert passages.embed_all(lambda done, total: seen.append((done, total))) == 1
    assert _stored() == 1
    assert seen == [(1, 1)]
    assert passages.embed_all() == 0  # stored passages are reused


def test_the_embed_command_reports_what_it_did_or_why_not(
    app: Flask, people: dict[str, Any], fake_model: None, no_thesaurus: None
) -> None:
    runner = app.test_cli_runner()
    app.config["EMBEDDINGS"] = "off"
    publish(people, ESSEN, HIDDEN)
    refused = runner.invoke(args=["search", "embed"])
    assert refused.exit_code == 1
    assert "OMK_EMBEDDINGS=off" in refused.output
    app.config["EMBEDDINGS"] = "auto"
    done = runner.invoke(args=["search", "embed"])
    assert done.exit_code == 0, done.output
    assert "1 Fassungen eingebettet" in done.output
    assert _stored() == 1


def test_a_practice_found_by_a_passage_alone_must_clear_the_higher_floor(
    app: Flask, fake_model: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Passages lift every practice's best cosine a little, nonsense queries included: one
    that is found by meaning only through a passage needs DENSE_MIN_PASSAGE."""
    query = np.array([1.0, 0.0], dtype=np.float32)
    monkeypatch.setattr(embeddings, "query", lambda text: query)

    def row(cosine: float) -> list[float]:
        return [cosine, float(np.sqrt(1 - cosine**2))]

    own = [0.815, 0.815, 0.821]  # title + summary: all below DENSE_MIN but the third
    store = ranking.DenseStore(
        [("lifted", 1), ("weak", 1), ("own", 1)], np.array([row(c) for c in own], np.float32)
    )
    store.passages = np.array([row(0.835), row(0.825)], dtype=np.float32)
    store.owners = np.array([0, 1])
    assert ranking.DENSE_MIN <= 0.821 and 0.825 < ranking.DENSE_MIN_PASSAGE <= 0.835
    fused = ranking.rerank(
        "Anfrage", [], [], 0, add=lambda offered: [(k, k[0]) for k in offered], vectors=store
    )
    assert fused.added == [("lifted", 1), ("own", 1)]  # best first; "weak" left out
