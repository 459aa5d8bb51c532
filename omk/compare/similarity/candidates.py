"""Candidate pairs and each practice's row statistics (mean and spread of its similarities),
blocked so that 100,000 practices fit in memory."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from .items import Item

STATS_SAMPLE = 4000  # rows from which a larger corpus estimates each row's spread


def group_codes(items: Sequence[Item]) -> tuple[np.ndarray, np.ndarray]:
    municipalities: dict[str, int] = {}
    lineages: dict[str, int] = {}
    muni = np.array(
        [municipalities.setdefault(i.municipality_key, len(municipalities)) for i in items]
    )
    line = np.array([lineages.setdefault(i.lineage_id, len(lineages)) for i in items])
    return muni, line


def allowed(rows: np.ndarray, cols: np.ndarray, muni: np.ndarray, line: np.ndarray) -> np.ndarray:
    allowed: np.ndarray = (muni[rows] != muni[cols]) & (line[rows] != line[cols])
    return allowed


def rank_in_group(groups: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The order that sorts by group, largest value first, and each
    position's rank inside its group (in that order): one float sort, not a lexsort."""
    if not len(groups):
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    low = int(groups.min())
    local = groups - low
    spread = float(values.max() - values.min()) + 1.0
    key = local + (1.0 - (values - values.min()) / spread)  # in (group, group + 1]
    order = np.argsort(key)  # ties (equal floats) in a fixed, not the given, order
    starts = np.concatenate([[0], np.cumsum(np.bincount(local))[:-1]])
    rank = np.arange(len(order)) - starts[local[order]]
    return order, rank


def _top_per_row(
    rows: np.ndarray, cols: np.ndarray, vals: np.ndarray, keep: int | None
) -> tuple[np.ndarray, np.ndarray]:
    if keep is None:
        return rows, cols
    order, rank = rank_in_group(rows, vals)
    chosen = order[rank < keep]
    return rows[chosen], cols[chosen]


@dataclass
class Stats:
    mean: np.ndarray
    std: np.ndarray


def _finish_stats(sums: np.ndarray, sumsq: np.ndarray, counts: np.ndarray) -> Stats:
    counts = np.maximum(counts, 1)
    mean = sums / counts
    var = np.maximum(sumsq / counts - mean**2, 0.0)
    std = np.sqrt(var)
    # a practice that shares little with anyone has a tiny spread, and one weak overlap would
    # give it a large z: no row's spread counts as less than the corpus' typical spread
    std = np.maximum(std, float(np.median(std)) if len(std) else 0.0)
    std[std < 1e-6] = 1e-6
    return Stats(mean, std)


def _other_counts(muni: np.ndarray) -> np.ndarray:
    sizes = np.bincount(muni)
    others: np.ndarray = len(muni) - sizes[muni]
    return others


def _strongest(matrix: sp.csr_matrix, terms: int) -> sp.csr_matrix:
    """Each row reduced to its ``terms`` largest entries (the query side of candidate search)."""
    if not matrix.nnz:
        return matrix
    rows = np.repeat(np.arange(matrix.shape[0]), np.diff(matrix.indptr))
    order, rank = rank_in_group(rows, matrix.data)
    chosen = np.sort(order[rank < terms])
    return sp.csr_matrix(
        (matrix.data[chosen], (rows[chosen], matrix.indices[chosen])), shape=matrix.shape
    )


def sparse_stats(matrix: sp.csr_matrix, muni: np.ndarray, line: np.ndarray, block: int) -> Stats:
    """Each row's mean and spread of cosines with the allowed rows: exact up to
    ``STATS_SAMPLE`` rows, else the mean exact (from the column sums) and the spread from a
    fixed random sample of rows."""
    n = matrix.shape[0]
    if n <= STATS_SAMPLE:
        sample = np.arange(n)
    else:
        sample = np.sort(np.random.default_rng(0).choice(n, STATS_SAMPLE, replace=False))
    transposed = sp.csr_matrix(matrix[sample].T)
    sums = np.zeros(n)
    sumsq = np.zeros(n)
    for start in range(0, n, block):
        product = (matrix[start : start + block] @ transposed).tocoo()
        rows = product.row.astype(np.int64) + start
        cols = sample[product.col]
        vals = product.data.astype(np.float64)
        ok = allowed(rows, cols, muni, line)
        local = rows[ok] - start
        size = min(block, n - start)
        sums[start : start + size] = np.bincount(local, vals[ok], minlength=size)
        sumsq[start : start + size] = np.bincount(local, vals[ok] ** 2, minlength=size)
    if n <= STATS_SAMPLE:
        return _finish_stats(sums, sumsq, _other_counts(muni))
    counts = np.full(n, float(len(sample)))
    stats = _finish_stats(sums, sumsq, counts)
    column_sums = np.asarray(matrix.sum(axis=0)).ravel()
    exact_mean = (matrix @ column_sums - 1.0) / np.maximum(n - 1, 1)  # without itself
    spread = np.sqrt(np.maximum(stats.std**2 + stats.mean**2 - exact_mean**2, 0.0))
    return Stats(exact_mean, np.maximum(spread, 1e-6))


def sparse_candidate_pairs(
    matrix: sp.csr_matrix,
    muni: np.ndarray,
    line: np.ndarray,
    keep: int | None,
    block: int,
    query_terms: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The ``keep`` best allowed partners of each row by cosine (``keep=None``: all that share
    a term); with ``query_terms``, each row looks with its strongest terms only (a partial
    dot product ranks the candidates; their exact cosine is computed afterwards)."""
    n = matrix.shape[0]
    query = matrix if query_terms is None else _strongest(matrix, query_terms)
    transposed = sp.csr_matrix(matrix.T)
    found_rows: list[np.ndarray] = []
    found_cols: list[np.ndarray] = []
    for start in range(0, n, block):
        product = (query[start : start + block] @ transposed).tocoo()
        rows = product.row.astype(np.int64) + start
        cols = product.col.astype(np.int64)
        vals = product.data
        ok = allowed(rows, cols, muni, line)
        rows, cols = _top_per_row(rows[ok], cols[ok], vals[ok], keep)
        found_rows.append(rows)
        found_cols.append(cols)
    return np.concatenate(found_rows), np.concatenate(found_cols)


def dense_candidate_pairs(
    vectors: np.ndarray,
    muni: np.ndarray,
    line: np.ndarray,
    keep: int | None,
    block: int,
) -> tuple[np.ndarray, np.ndarray, Stats]:
    n = vectors.shape[0]
    sums = np.zeros(n)
    sumsq = np.zeros(n)
    found_rows: list[np.ndarray] = []
    found_cols: list[np.ndarray] = []
    for start in range(0, n, block):
        scores = vectors[start : start + block] @ vectors.T
        size = scores.shape[0]
        here = np.arange(start, start + size)
        bad = (muni[here][:, None] == muni[None, :]) | (line[here][:, None] == line[None, :])
        scores[bad] = 0.0
        sums[here] = scores.sum(axis=1, dtype=np.float64)
        sumsq[here] = np.square(scores, dtype=np.float64).sum(axis=1)
        scores[bad] = -np.inf
        if keep is None or keep >= n:
            rows, cols = np.nonzero(~bad)
            found_rows.append(rows + start)
            found_cols.append(cols)
            continue
        top = np.argpartition(-scores, keep, axis=1)[:, :keep]
        rows = np.repeat(here, keep)
        cols = top.ravel()
        good = np.isfinite(scores[rows - start, cols])
        found_rows.append(rows[good])
        found_cols.append(cols[good])
    stats = _finish_stats(sums, sumsq, _other_counts(muni))
    return np.concatenate(found_rows), np.concatenate(found_cols), stats


def dense_stats_cheap(vectors: np.ndarray) -> Stats:
    """Row mean and spread of cosines against all rows without the N×N product (at scale):
    from the vectors' mean and second moment, a block of rows at a time (memory)."""
    n, dimensions = vectors.shape
    mean_vector = np.zeros(dimensions)
    second = np.zeros((dimensions, dimensions))
    for start in range(0, n, DENSE_CHUNK):
        chunk = vectors[start : start + DENSE_CHUNK].astype(np.float64)
        mean_vector += chunk.sum(axis=0)
        second += chunk.T @ chunk
    mean_vector /= max(n, 1)
    second32 = (second / max(n, 1)).astype(np.float32)
    mean = vectors @ mean_vector.astype(np.float32)  # not a float64 copy of the vectors
    sumsq = np.empty(n)
    for start in range(0, n, DENSE_CHUNK):
        chunk = vectors[start : start + DENSE_CHUNK]
        sumsq[start : start + DENSE_CHUNK] = np.einsum("ij,ij->i", chunk @ second32, chunk)
    return _finish_stats(mean * n, sumsq * n, np.full(n, n))


DENSE_CHUNK = 16_384  # rows of vectors handled at a time (memory)


ROWWISE_CHUNK = 200_000  # candidate pairs scored at a time (dense: an eighth; memory)


def rowwise_sparse_dot(matrix: sp.csr_matrix, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    out = np.empty(len(a))
    for start in range(0, len(a), ROWWISE_CHUNK):
        stop = start + ROWWISE_CHUNK
        out[start:stop] = np.asarray(
            matrix[a[start:stop]].multiply(matrix[b[start:stop]]).sum(axis=1)
        ).ravel()
    return out


def rowwise_dense_dot(vectors: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    out = np.empty(len(a))
    for start in range(0, len(a), ROWWISE_CHUNK // 8):
        stop = start + ROWWISE_CHUNK // 8
        out[start:stop] = np.einsum("ij,ij->i", vectors[a[start:stop]], vectors[b[start:stop]])
    return out


def stacked_vectors(items: Sequence[Item]) -> np.ndarray | None:
    if not items or any(item.vector is None for item in items):
        return None
    first = np.asarray(items[0].vector, dtype=np.float32).ravel()
    vectors = np.empty((len(items), len(first)), dtype=np.float32)  # one copy, no list
    for row, item in enumerate(items):
        vectors[row] = np.asarray(item.vector, dtype=np.float32).ravel()
    norms = np.sqrt(np.einsum("ij,ij->i", vectors, vectors))[:, None]  # no squared copy
    norms[norms == 0] = 1.0
    vectors /= norms
    return vectors
