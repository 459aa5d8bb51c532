"""All-pairs similar practices at scale (issue 12 item 8): ``omk bench synergies``.

**Corpus.** The texts are the search benchmark's (``omk.search.bench.corpus``: German words
of the demo practices drawn by a Zipf law, one in ten a compound of two demo nouns, the
demo's field lengths). Two things are added so that the task has the shape of the real one:

* *topics*: each practice belongs to one of ``n / 50`` topics (25 words of middling
  frequency and compounds each) and a quarter of the words of each field is drawn from its
  topic, so every practice has about fifty look-alikes sharing its topic words;
* *planted near-duplicates*: 1 % of the practices are copies of another one (of another
  municipality) with a fifth of their words replaced by fresh draws.

Municipalities are drawn among ``n / 5`` keys (about five practices each). The terms are
those of ``omk.search.analysis`` (each distinct word analysed once: the generated texts have
no numbers and no suspended compounds, so a text's terms are its words' terms) weighted by
field as ``omk.compare.similarity`` does: the weighted term counts are what the product
would have stored for each version. Dense vectors are **generated**, not embedded (the
benchmark does not embed 100,000 texts): 384 dimensions, a centre per topic plus noise plus
a common offset (so that all cosines bunch high, as e5's do), planted copies close to their
original.

**Methods**, each in a fresh process (``spawn``), so that its peak memory (VmHWM:
interpreter, libraries and the stored counts and vectors included) is its own:

* ``product``: ``similarity.model_from_matrix`` (TF-IDF, each vector pruned to its strongest
  ``PRUNE`` terms) + ``similarity.all_pairs`` as the product runs it (each practice looks for
  ``CANDIDATES`` candidates with its ``QUERY_TERMS`` strongest terms, blocked sparse
  products; with vectors the dense score of every candidate and the dense row statistics
  from the vectors' second moments), candidates scored exactly; a planted pair counts as
  found when all_pairs returns it (above the threshold, among the top 5 of one of the two);
* ``exact``: exact sparse top-k over the full TF-IDF vectors (every row against every row,
  blocked, the ``TOP_K`` best allowed partners by cosine); a planted pair counts as found
  when one is among the other's top k. At more than ``exact_max`` practices it runs on a
  random sample of rows and its time is extrapolated linearly (n / sample: each row costs
  the same) — the table says so.
"""

from __future__ import annotations

import multiprocessing
import resource
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypedDict

import numpy as np
import scipy.sparse as sp

from omk.compare import similarity

SEED = 20261206
TOPIC_SIZE = 50  # practices per topic
TOPIC_WORDS = 25
TOPIC_SHARE = 0.25  # of each field's words drawn from the practice's topic
PLANTED = 0.01
REPLACED = 0.2
PER_MUNICIPALITY = 5
DIMENSIONS = 384
FIELDS = (
    ("title", similarity.TITLE_WEIGHT),
    ("summary", similarity.SUMMARY_WEIGHT),
    ("description", similarity.DESCRIPTION_WEIGHT),
    ("outcomes", similarity.OUTCOMES_WEIGHT),
)
EXACT_SAMPLE = 2000  # rows of the exact method above exact_max


class Result(TypedDict):
    """One method's figures on one corpus."""

    method: str
    docs: int
    wall: float  # seconds of TF-IDF + all pairs (extrapolated for a sample)
    cpu: float  # CPU seconds of this process (same)
    peak_mib: float  # peak resident memory of the process
    found: float  # share of planted near-duplicates found
    pairs: int  # pairs returned (product) or rows × k (exact)
    sampled: int  # rows actually computed (0: all)


@dataclass
class Corpus:
    """Stored weighted term counts (docs × terms), their terms, municipalities, planted pairs."""

    counts: sp.csr_matrix
    terms: list[str]
    surfaces: dict[str, str]
    municipalities: np.ndarray
    planted: np.ndarray  # (p, 2): original, copy
    vectors: np.ndarray | None


def _word_terms(words: list[str]) -> tuple[sp.csr_matrix, list[str], dict[str, str]]:
    """Each word's analysed terms as a (words × terms) count matrix."""
    from omk.search import analysis

    index: dict[str, int] = {}
    surfaces: dict[str, str] = {}
    rows: list[int] = []
    cols: list[int] = []
    for row, word in enumerate(words):
        for token in analysis.analyze(word):
            col = index.setdefault(token.text, len(index))
            if token.kind == "word" or token.text not in surfaces:
                surfaces[token.text] = word[token.startchar : token.endchar]
            rows.append(row)
            cols.append(col)
    matrix = sp.csr_matrix(
        (np.ones(len(rows), dtype=np.float32), (rows, cols)), shape=(len(words), len(index))
    )
    matrix.sum_duplicates()
    return matrix, list(index), surfaces


def generate(
    n: int, dense: bool = True, progress: Callable[[int], None] | None = None, seed: int = SEED
) -> Corpus:
    """The benchmark corpus of ``n`` practices (the same for the same seed)."""
    from omk.search import bench as search_bench

    vocab = search_bench.vocabulary()
    known = set(vocab.words.tolist())
    words = [str(w) for w in vocab.words] + [str(c) for c in vocab.compounds if str(c) not in known]
    word_ids = {w: i for i, w in enumerate(words)}
    to_terms, terms, surfaces = _word_terms(words)
    rng = np.random.default_rng(seed)
    topics_n = max(n // TOPIC_SIZE, 1)
    # topic words: middling frequency (ranks 200–20,000 of the demo's words) and compounds
    middling = np.arange(min(200, len(vocab.words) - 1), min(20_000, len(vocab.words)))
    compound_ids = np.array([word_ids[str(c)] for c in vocab.compounds])
    pool = np.concatenate([middling, compound_ids])
    topics = rng.choice(pool, size=(topics_n, TOPIC_WORDS))
    topic_of = rng.integers(0, topics_n, n)
    municipalities = rng.integers(0, max(n // PER_MUNICIPALITY, 2), n)
    zipf_ids = np.arange(len(vocab.words))
    blocks: list[sp.csr_matrix] = []
    planted: list[tuple[int, int]] = []
    done = 0
    for batch in search_bench.corpus(vocab, n, seed):
        size = len(batch)
        doc_rows: list[np.ndarray] = []
        doc_cols: list[np.ndarray] = []
        doc_vals: list[np.ndarray] = []
        fields: list[list[np.ndarray]] = []
        for local, record in enumerate(batch):
            doc = done + local
            mine: list[np.ndarray] = []
            for name, _ in FIELDS:
                ids = np.array(
                    [word_ids[w] for w in getattr(record, name).rstrip(".").split()],
                    dtype=np.int64,
                )
                topical = rng.random(len(ids)) < TOPIC_SHARE
                ids[topical] = rng.choice(topics[topic_of[doc]], int(topical.sum()))
                mine.append(ids)
            fields.append(mine)
        # planted copies inside the batch (positions are shuffled at the end)
        copies = rng.choice(size, 2 * max(int(size * PLANTED), 1), replace=False)
        for original, copy in zip(copies[0::2].tolist(), copies[1::2].tolist(), strict=True):
            fields[copy] = []
            for ids in fields[original]:
                again = ids.copy()
                fresh = rng.random(len(again)) < REPLACED
                again[fresh] = rng.choice(
                    zipf_ids, int(fresh.sum()), p=vocab.weights[: len(zipf_ids)]
                )
                fields[copy].append(again)
            topic_of[done + copy] = topic_of[done + original]
            if municipalities[done + copy] == municipalities[done + original]:
                municipalities[done + copy] = (municipalities[done + copy] + 1) % max(
                    n // PER_MUNICIPALITY, 2
                )
            planted.append((done + original, done + copy))
        for local, mine in enumerate(fields):
            for (_, weight), ids in zip(FIELDS, mine, strict=True):
                doc_rows.append(np.full(len(ids), local))
                doc_cols.append(ids)
                doc_vals.append(np.full(len(ids), weight, dtype=np.float32))
        by_word = sp.csr_matrix(
            (np.concatenate(doc_vals), (np.concatenate(doc_rows), np.concatenate(doc_cols))),
            shape=(size, len(words)),
        )
        blocks.append(sp.csr_matrix(by_word @ to_terms))
        done += size
        if progress:
            progress(done)
    counts = sp.csr_matrix(sp.vstack(blocks))
    order = rng.permutation(n)  # the planted pairs anywhere, not side by side
    position = np.empty(n, dtype=np.int64)
    position[order] = np.arange(n)
    counts = sp.csr_matrix(counts[order])
    generated = np.asarray(planted, dtype=np.int64).reshape(-1, 2)
    vectors = _vectors(topic_of, generated, rng)[order] if dense else None
    return Corpus(
        counts,
        terms,
        surfaces,
        municipalities[order],
        position[generated],
        vectors,
    )


def _vectors(topic_of: np.ndarray, planted: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Random but structured: topic centre + noise + a common offset; copies near originals."""
    n = len(topic_of)
    centres = rng.normal(size=(int(topic_of.max()) + 1, DIMENSIONS)).astype(np.float32)
    out = centres[topic_of] + rng.normal(scale=1.5, size=(n, DIMENSIONS)).astype(np.float32)
    out += 8.0  # e5-like: every cosine high, bunched
    for original, copy in planted.tolist():
        out[copy] = out[original] + rng.normal(scale=0.3, size=DIMENSIONS).astype(np.float32)
    out /= np.linalg.norm(out, axis=1, keepdims=True)
    unit: np.ndarray = out.astype(np.float32)
    return unit


# --- the measured step, each method in a fresh process -----------------------------------------


def save(corpus: Corpus, folder: Path) -> Path:
    """Store the corpus as the product would have it (counts, vectors) in ``folder``."""
    path = folder / "corpus.npz"
    arrays: dict[str, Any] = {
        "data": corpus.counts.data,
        "indices": corpus.counts.indices,
        "indptr": corpus.counts.indptr,
        "shape": np.asarray(corpus.counts.shape),
        "municipalities": corpus.municipalities,
        "planted": corpus.planted,
        "terms": np.asarray(corpus.terms, dtype=object),
        "surface_keys": np.asarray(list(corpus.surfaces), dtype=object),
        "surface_values": np.asarray(list(corpus.surfaces.values()), dtype=object),
    }
    if corpus.vectors is not None:
        arrays["vectors"] = corpus.vectors
    np.savez(path, **arrays)
    return path


def load(path: Path) -> Corpus:
    with np.load(path, allow_pickle=True) as stored:  # our own file, written just now
        counts = sp.csr_matrix(
            (stored["data"], stored["indices"], stored["indptr"]), shape=tuple(stored["shape"])
        )
        surfaces = dict(
            zip(stored["surface_keys"].tolist(), stored["surface_values"].tolist(), strict=True)
        )
        return Corpus(
            counts,
            stored["terms"].tolist(),
            surfaces,
            stored["municipalities"],
            stored["planted"],
            stored["vectors"] if "vectors" in stored.files else None,
        )


def _items(corpus: Corpus) -> list[similarity.Item]:
    vectors = corpus.vectors
    return [
        similarity.Item(
            id=str(i),
            lineage_id=str(i),
            municipality_key=str(m),
            title="",
            vector=None if vectors is None else vectors[i],
        )
        for i, m in enumerate(corpus.municipalities.tolist())
    ]


def _product(corpus: Corpus) -> tuple[float, int]:
    model = similarity.model_from_matrix(
        corpus.counts, corpus.terms, corpus.surfaces, prune=similarity.PRUNE
    )
    corpus.counts = sp.csr_matrix((0, 0), dtype=np.float32)  # the model replaces the counts
    pairs = similarity.all_pairs(
        _items(corpus), model=model, with_terms=False, dense_candidates=False
    )
    found = {(int(p.a), int(p.b)) for p, _ in pairs}
    hits = sum(1 for a, b in corpus.planted.tolist() if (min(a, b), max(a, b)) in found)
    return hits / max(len(corpus.planted), 1), len(pairs)


def _exact(corpus: Corpus, sample: np.ndarray | None, block: int = 256) -> tuple[float, int]:
    model = similarity.model_from_matrix(corpus.counts, corpus.terms, corpus.surfaces)
    matrix = model.matrix
    rows = np.arange(matrix.shape[0]) if sample is None else sample
    transposed = sp.csr_matrix(matrix.T)
    muni = corpus.municipalities
    top: dict[int, set[int]] = {}
    for start in range(0, len(rows), block):
        chosen = rows[start : start + block]
        scores = (matrix[chosen] @ transposed).toarray()
        scores[muni[chosen][:, None] == muni[None, :]] = -1.0  # same municipality (and itself)
        best = np.argpartition(-scores, similarity.TOP_K, axis=1)[:, : similarity.TOP_K]
        for row, partners in zip(chosen.tolist(), best.tolist(), strict=True):
            top[row] = set(partners)
    hits = total = 0
    for a, b in corpus.planted.tolist():
        if a not in top and b not in top:
            continue
        total += 1
        hits += b in top.get(a, set()) or a in top.get(b, set())
    return hits / max(total, 1), len(top) * similarity.TOP_K


def _measure(path: str, method: str, sample: int, queue: Any) -> None:
    corpus = load(Path(path))
    n = corpus.counts.shape[0]
    chosen = None
    if method == "exact" and sample:
        chosen = np.sort(np.random.default_rng(SEED).choice(n, sample, replace=False))
    wall, cpu = time.perf_counter(), time.process_time()
    found, pairs = _product(corpus) if method == "product" else _exact(corpus, chosen)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    factor = n / sample if chosen is not None else 1.0
    peak = peak_mib()
    result: Result = {
        "method": method,
        "docs": n,
        "wall": wall * factor,
        "cpu": cpu * factor,
        "peak_mib": peak,
        "found": found,
        "pairs": pairs,
        "sampled": sample if chosen is not None else 0,
    }
    queue.put(result)


def peak_mib() -> float:
    """This process's peak resident memory in MiB: VmHWM (since its exec; ``ru_maxrss``
    would keep the parent's peak from before the spawn's exec), else ru_maxrss."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def measure(path: Path, method: str, sample: int = 0) -> Result:
    """Run one method on the stored corpus in a fresh process."""
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=_measure, args=(str(path), method, sample, queue))
    process.start()
    result: Result = queue.get()
    process.join()
    return result


def run(
    sizes: list[int],
    dense: bool = True,
    exact_max: int = 10_000,
    report: Callable[[str], None] | None = None,
) -> list[Result]:
    """Generate each corpus, then measure the product's method and the exact one on it."""
    results: list[Result] = []
    say = report or (lambda _: None)
    with tempfile.TemporaryDirectory(prefix="omk-bench-synergies-") as tmp:
        for n in sizes:
            started = time.perf_counter()
            corpus = generate(
                n,
                dense,
                lambda done: say(f"  {done} Maßnahmen erzeugt") if done % 20_000 == 0 else None,
            )
            path = save(corpus, Path(tmp))
            say(
                f"{n} Maßnahmen: {corpus.counts.nnz / n:.0f} Terme je Maßnahme, "
                f"{len(corpus.planted)} gepflanzte Duplikate "
                f"({time.perf_counter() - started:.0f} s)"
            )
            del corpus
            results.append(measure(path, "product"))
            say(_line(results[-1]))
            results.append(measure(path, "exact", 0 if n <= exact_max else min(EXACT_SAMPLE, n)))
            say(_line(results[-1]))
    return results


def _line(r: Result) -> str:
    method = r["method"] if not r["sampled"] else f"exact*{r['sampled']}"
    return (
        f"{r['docs']:>8} {method:<12} {r['wall']:>8.1f} {r['cpu']:>8.1f} {r['peak_mib']:>9.0f} "
        f"{r['found'] * 100:>7.1f}% {r['pairs']:>9}"
    )


def table(results: list[Result], dense: bool) -> str:
    head = (
        f"{'practices':>8} {'method':<12} {'wall s':>8} {'cpu s':>8} {'peak MiB':>9} "
        f"{'found':>8} {'pairs':>9}"
    )
    lines = [head, "-" * len(head), *(_line(r) for r in results)]
    lines.append(
        f"product: TF-IDF pruned to {similarity.PRUNE} terms, {similarity.QUERY_TERMS} query "
        f"terms, {similarity.CANDIDATES} candidates, all_pairs (threshold "
        f"{similarity.THRESHOLD if dense else similarity.LEXICAL_THRESHOLD}, top "
        f"{similarity.TOP_K}); exact: full TF-IDF vectors, top {similarity.TOP_K} by cosine; "
        f"found = share of the planted near-duplicates ({PLANTED:.0%}, {REPLACED:.0%} of words "
        "replaced)."
    )
    if dense:
        lines.append("dense vectors: GENERATED (384 d, topic centre + noise), not embedded.")
    if any(r["sampled"] for r in results):
        lines.append(
            "exact*N: computed for N random rows, time extrapolated × practices/N; found "
            "among the planted pairs with a side in the sample."
        )
    lines.append("wall s / cpu s: TF-IDF from the stored counts + all pairs; peak: whole process.")
    return "\n".join(lines)
