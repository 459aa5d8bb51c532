"""All-pairs similar practices at scale (issue 12 item 8): prints numbers, asserts nothing.

    python -m tests.benchmarks.similarity --docs 10000 100000 [--exact-max 100000] [--dense]

For each size it generates a synthetic corpus in term space: the analysed vocabulary of
content/practices/practices.jsonl with its real frequencies plus 60,000 generated compounds
of two of its words (Zipf-distributed); each document mixes two of 2,000 topics with
background words; 1 % of the documents are planted as near-duplicates of another one in
another municipality, with a fifth of their terms replaced. Each method runs in a fresh
process, so that the peak memory is its own:

* ``pruned``: ``similarity.all_pairs`` as the synergy view runs it (each vector pruned to its
  32 strongest terms, each practice looking for its 50 candidates with its 8 strongest, the
  candidates scored exactly; blocked sparse products);
* ``exact``: the same with full TF-IDF vectors looking with all their terms (exact sparse
  top-k), up to ``--exact-max`` documents.

It prints the time to build the TF-IDF matrix from the term counts (the analysis itself runs
when a version is stored, not here), the time of the all-pairs step, the process's peak
resident memory (the generated corpus included) and what the all-pairs step added to the
resident memory after the corpus was freed ("step"), the recall of planted duplicates (pair
above the threshold and among the top 5 of one of the two) and the number of pairs found.
``--dense`` adds generated 384-dimension vectors (planted duplicates close in that space
too) blended as in production, candidates from the lexical signal only: the benchmark
generates vectors instead of embedding 100,000 texts.
"""

from __future__ import annotations

import argparse
import gc
import multiprocessing
import resource
import sys
import time
from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np

from omk.compare import similarity
from omk.search import analysis
from tests.search.eval_sets import load_practices

TOPICS = 2000
TOPIC_TERMS = 25
COMPOUNDS = 60_000  # generated compounds of two vocabulary words (Zipf-distributed)
COMPOUND_SHARE = 0.3  # of the background words
DOC_TERMS = 90  # terms drawn per document (title words are drawn thrice)
PLANTED = 0.01
REPLACED = 0.2


def vocabulary() -> tuple[list[str], np.ndarray, dict[str, str]]:
    counts: Counter[str] = Counter()
    surfaces: dict[str, str] = {}
    for row in load_practices().values():
        text = f"{row['title']} {row['summary']} {row['description']}"
        for token in analysis.analyze(text):
            counts[token.text] += 1
            surfaces.setdefault(token.text, text[token.startchar : token.endchar])
    terms = sorted(counts)
    weights = np.array([counts[t] for t in terms], dtype=np.float64)
    return terms, weights / weights.sum(), surfaces


Corpus = tuple[list[dict[str, float]], list[str], list[tuple[int, int]]]


def corpus(n: int, seed: int = 0) -> Corpus:
    """Weighted term counts, municipality keys and the planted (original, copy) pairs.

    Words are the analysed vocabulary of the demo practices (real frequencies) and generated
    compounds of two of them (Zipf-distributed, each adding its parts as the analysis does);
    a topic is a set of words of both kinds, a document two topics and background words."""
    base, p, _ = vocabulary()
    rng = np.random.default_rng(seed)
    left = rng.integers(0, len(base), COMPOUNDS)
    right = rng.integers(0, len(base), COMPOUNDS)
    compound_p = 1.0 / (np.arange(COMPOUNDS) + 10.0)
    compound_p /= compound_p.sum()

    def words_of(index: int) -> list[str]:
        if index < len(base):
            return [base[index]]
        c = index - len(base)
        first, second = base[left[c]], base[right[c]]
        return [first + second, first, second]

    def background(size: int) -> np.ndarray:
        compounds = rng.random(size) < COMPOUND_SHARE
        out = rng.choice(len(base), size, p=p)
        out[compounds] = len(base) + rng.choice(COMPOUNDS, int(compounds.sum()), p=compound_p)
        return out

    topics = [
        np.concatenate(
            [
                rng.choice(len(base), TOPIC_TERMS - 10, replace=False),
                len(base) + rng.choice(COMPOUNDS, 10, replace=False),
            ]
        )
        for _ in range(TOPICS)
    ]
    counts: list[dict[str, float]] = []
    for _ in range(n):
        chosen = rng.choice(TOPICS, 2, replace=False)
        topical = np.concatenate([topics[t] for t in chosen])
        drawn = np.concatenate(
            [rng.choice(topical, DOC_TERMS // 3), background(DOC_TERMS - DOC_TERMS // 3)]
        )
        doc: Counter[str] = Counter()
        for index in drawn.tolist():
            for word in words_of(index):
                doc[word] += 1.0
        for index in rng.choice(topical, 4).tolist():  # a title
            for word in words_of(index):
                doc[word] += similarity.TITLE_WEIGHT
        counts.append(dict(doc))
    municipalities = [f"m{m}" for m in rng.integers(0, max(n // 5, 2), n)]
    planted: list[tuple[int, int]] = []
    copies = rng.choice(n, int(n * PLANTED) * 2, replace=False)
    for original, copy in zip(copies[0::2].tolist(), copies[1::2].tolist(), strict=True):
        doc = Counter(counts[original])
        for term in list(doc):
            if rng.random() < REPLACED:
                del doc[term]
                for word in words_of(int(background(1)[0])):
                    doc[word] += 1.0
        counts[copy] = dict(doc)
        if municipalities[copy] == municipalities[original]:
            municipalities[copy] = municipalities[copy] + "x"
        planted.append((original, copy))
    return counts, municipalities, planted


def vectors_for(n: int, planted: Sequence[tuple[int, int]], seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(TOPICS, 384)).astype(np.float32)
    out = centres[rng.integers(0, TOPICS, n)] + rng.normal(scale=1.5, size=(n, 384))
    out += 8.0  # e5-like: every cosine high, bunched
    for original, copy in planted:
        out[copy] = out[original] + rng.normal(scale=0.3, size=384)
    return (out / np.linalg.norm(out, axis=1, keepdims=True)).astype(np.float32)


def _run(n: int, prune: int | None, dense: bool, queue: Any) -> None:
    counts, municipalities, planted = corpus(n)
    _, _, surfaces = vocabulary()
    vectors = vectors_for(n, planted) if dense else None
    items = [
        similarity.Item(
            id=str(i),
            lineage_id=str(i),
            municipality_key=municipalities[i],
            title="",
            vector=None if vectors is None else vectors[i],
        )
        for i in range(n)
    ]
    started = time.perf_counter()
    model = similarity.model_from_counts(counts, surfaces, prune=prune)
    building = time.perf_counter() - started
    del counts
    gc.collect()
    before = _rss_mib()
    started = time.perf_counter()
    pairs = similarity.all_pairs(
        items,
        prune=prune,
        query_terms=similarity.QUERY_TERMS if prune is not None else None,
        model=model,
        with_terms=False,
        dense_candidates=False,
        block=512,
    )
    seconds = time.perf_counter() - started
    found = {(int(p.a), int(p.b)) for p, _ in pairs}
    recall = sum(1 for a, b in planted if (min(a, b), max(a, b)) in found) / max(len(planted), 1)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux → MiB
    queue.put((building, seconds, peak, max(peak - before, 0.0), recall, len(pairs)))


def _rss_mib() -> float:
    with open("/proc/self/statm", encoding="ascii") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize() / 2**20


def measure(
    n: int, prune: int | None, dense: bool
) -> tuple[float, float, float, float, float, int]:
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    process = context.Process(target=_run, args=(n, prune, dense, queue))
    process.start()
    result = queue.get()
    process.join()
    return result  # type: ignore[no-any-return]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="All-pairs similar practices at scale.")
    parser.add_argument("--docs", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--exact-max", type=int, default=100_000, help="largest exact run")
    parser.add_argument("--dense", action="store_true", help="add generated 384-d vectors")
    args = parser.parse_args(argv)
    threshold = (
        f"hybrid {similarity.THRESHOLD}"
        if args.dense
        else f"lexical {similarity.LEXICAL_THRESHOLD}"
    )
    print(
        f"synthetic corpus: {DOC_TERMS} terms per document, {TOPICS} topics, "
        f"{PLANTED:.0%} planted near-duplicates ({REPLACED:.0%} of terms replaced); "
        f"threshold {threshold}"
        f"; {'with' if args.dense else 'without'} dense vectors"
    )
    print(
        f"{'documents':>10} {'method':>14} {'tf-idf s':>9} {'pairs s':>9} {'peak MiB':>9} "
        f"{'step MiB':>9} "
        f"{'recall':>8} {'pairs':>9}"
    )
    for n in args.docs:
        runs = [(f"pruned {similarity.PRUNE}", similarity.PRUNE)]
        if n <= args.exact_max:
            runs.append(("exact", None))
        for label, prune in runs:
            building, seconds, peak, step, recall, pairs = measure(n, prune, args.dense)
            print(
                f"{n:>10} {label:>14} {building:>9.1f} {seconds:>9.1f} {peak:>9.0f} {step:>9.0f} "
                f"{recall * 100:>7.1f}% {pairs:>9}",
                flush=True,
            )
        if n > args.exact_max:
            print(f"{n:>10} {'exact':>14}  skipped (--exact-max {args.exact_max})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
