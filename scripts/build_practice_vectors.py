"""Build content/practices/vectors-e5.npz, the precomputed e5 vectors of the shipped practices.

Run once by hand when content/practices/practices.jsonl, the passage cut or the model change
(not at run time; tests/search/test_passages_shipped.py fails while the file is not current):

    .venv/bin/python scripts/build_practice_vectors.py

It embeds every distinct text the app embeds of those practices (title + summary for similar
practices, each passage of the full text for search: ``omk.search.shipped_vectors``) with the
installed model, bypassing the file itself, and writes them keyed by the model key and the
SHA-256 of each text. float32, not float16: the engine computes the same vector for a text
whatever batch it is in, so float32 keeps the vectors bit for bit as the app would compute
them (a demo made with the file equals one made without it) for about 0.5 MB; float16 would
halve that but change every stored cosine by up to ~1e-4. Derived from the CC BY 4.0 texts of
content/practices/ (see its README.md).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from omk.paths import CONTENT_DIR
from omk.search import embeddings, shipped_vectors

BATCH = 16


def main() -> int:
    if not embeddings.embeddings_available("auto"):
        print(f"Modell nicht verfügbar: {embeddings.unavailable_reason('auto')}", file=sys.stderr)
        return 1
    texts = shipped_vectors.practice_texts(CONTENT_DIR / shipped_vectors.PRACTICES)
    started, cpu = time.perf_counter(), time.process_time()
    rows: list[np.ndarray] = []
    for start in range(0, len(texts), BATCH):
        vectors = embeddings.passages(texts[start : start + BATCH], "auto", shipped=False)
        assert vectors is not None
        rows.append(vectors)
        print(f"\r{min(start + BATCH, len(texts))}/{len(texts)} Texte", end="", flush=True)
    print()
    model = shipped_vectors.model_key(embeddings.MODEL)
    target = shipped_vectors.path(CONTENT_DIR)
    shipped_vectors.write(target, model, texts, np.concatenate(rows))
    print(
        f"{len(texts)} Vektoren ({model}) nach {target.relative_to(CONTENT_DIR.parent)} "
        f"geschrieben: {time.perf_counter() - started:.0f} s, "
        f"{time.process_time() - cpu:.0f} s CPU, {target.stat().st_size // 1024} KB."
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
