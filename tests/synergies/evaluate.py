"""Evaluate similar practices on the hand-judged pairs (issue 10 item 5, issue 12 item 7).

    python -m tests.synergies.evaluate [--no-embeddings] [--split dev|heldout|fresh|both]

Builds the items from content/practices/practices.jsonl (no database), ranks every pair of
practices of different municipalities by the method of ``omk.compare.similarity`` and, in the
same run, by plain TF-IDF cosine over title + summary + description (scikit-learn's default
tokenisation ``(?u)\\b\\w\\w+\\b``, lower case, smooth idf, L2; reimplemented here so that no
scikit-learn is needed), and prints per split:

* ``judged top n / 2n``: the ranking restricted to the split's judged pairs; share of the
  n similar pairs (n = number of similar pairs) in its top n, and of look-alikes there;
* ``all top n / 2n``: the ranking of all cross-municipality pairs (7,000+); share of the
  similar pairs found in its top n and 2n, and the share of look-alikes among the judged
  pairs that are there;
* ``top 3``: per practice top 3: share of similar pairs where one is in the other's top 3;
  share of look-alike pairs listed so; and the look-alikes' share of the judged pairs listed;
* ``threshold``: precision (similar / judged) and recall of the above-threshold set.

Tune only on ``dev``; ``heldout`` is for reporting.
"""

from __future__ import annotations

import argparse
import hashlib
import math
import re
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from omk.compare import similarity
from omk.search import embeddings
from tests.search.eval_sets import SPLITS, Pair, load_pairs, load_practices

_SKLEARN_TOKEN = re.compile(r"(?u)\b\w\w+\b")


def items(vectors: np.ndarray | None = None) -> list[similarity.Item]:
    """The demo practices as similarity items (one lineage per demo id)."""
    rows = list(load_practices().values())
    return [
        similarity.Item(
            id=row["id"],
            lineage_id=row["id"],
            municipality_key=row["ags"],
            title=row["title"],
            summary=row["summary"],
            description=row["description"],
            outcomes=row.get("outcomes") or "",
            criterion=row["criterion"],
            target_groups=tuple(row.get("target_groups") or ()),
            actor_types=tuple(sorted({a["type"] for a in row.get("actors") or ()})),
            recommendations=tuple(row.get("recommendations") or ()),
            place=row["municipality"],
            vector=None if vectors is None else vectors[index],
        )
        for index, row in enumerate(rows)
    ]


CACHE = Path(tempfile.gettempdir()) / "omk-eval-e5"


def embed(practices: Sequence[similarity.Item]) -> np.ndarray | None:
    """Passage vectors of title + summary (cached in the temp folder by the texts' hash)."""
    texts = [embeddings.practice_text(p.title, p.summary) for p in practices]
    digest = hashlib.sha256("\x00".join([embeddings.MODEL, *texts]).encode()).hexdigest()[:16]
    cached = CACHE / f"{digest}.npy"
    if cached.exists():
        return np.load(cached)
    vectors = embeddings.passages(texts, mode="auto")
    if vectors is not None:
        CACHE.mkdir(exist_ok=True)
        np.save(cached, vectors)
    return vectors


def plain_tfidf(practices: Sequence[similarity.Item]) -> dict[tuple[str, str], float]:
    """Cosine of plain TF-IDF (scikit-learn defaults) for every cross-municipality pair."""
    docs = [
        Counter(_SKLEARN_TOKEN.findall(f"{p.title} {p.summary} {p.description}".lower()))
        for p in practices
    ]
    vocabulary = {t: i for i, t in enumerate(sorted({t for d in docs for t in d}))}
    n = len(docs)
    df = Counter(t for d in docs for t in d)
    idf = {t: math.log((1 + n) / (1 + df[t])) + 1 for t in vocabulary}
    rows, cols, vals = [], [], []
    for r, d in enumerate(docs):
        for t, c in d.items():
            rows.append(r)
            cols.append(vocabulary[t])
            vals.append(c * idf[t])
    m = sp.csr_matrix((vals, (rows, cols)), shape=(n, len(vocabulary)))
    norms = np.sqrt(np.asarray(m.multiply(m).sum(axis=1)).ravel())
    m = sp.csr_matrix(sp.diags(1 / norms) @ m)
    sims = (m @ m.T).toarray()
    out = {}
    for i in range(n):
        for j in range(i + 1, n):
            if practices[i].municipality_key != practices[j].municipality_key:
                out[key(practices[i].id, practices[j].id)] = float(sims[i, j])
    return out


def key(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a < b else (b, a)


def method_scores(practices: Sequence[similarity.Item]) -> dict[tuple[str, str], float]:
    scored = similarity.score_pairs(practices, candidates=None)
    return {
        key(practices[i].id, practices[j].id): float(s)
        for i, j, s in zip(scored.a.tolist(), scored.b.tolist(), scored.score.tolist(), strict=True)
    }


def top3(scores: dict[tuple[str, str], float], threshold: float | None) -> set[tuple[str, str]]:
    per: dict[str, list[tuple[float, str]]] = {}
    for (a, b), s in scores.items():
        if threshold is not None and s < threshold:
            continue
        per.setdefault(a, []).append((-s, b))
        per.setdefault(b, []).append((-s, a))
    listed = set()
    for a, others in per.items():
        for _, b in sorted(others)[:3]:
            listed.add(key(a, b))
    return listed


def report(
    name: str,
    scores: dict[tuple[str, str], float],
    pairs: Sequence[Pair],
    threshold: float | None,
) -> dict[str, float]:
    similar = {key(p.a, p.b) for p in pairs if p.label == "similar"}
    lookalike = {key(p.a, p.b) for p in pairs if p.label == "lookalike"}
    judged = similar | lookalike
    n = len(similar)
    out: dict[str, float] = {}
    ranked_judged = sorted(judged, key=lambda k: -scores.get(k, -math.inf))
    top = ranked_judged[:n]
    out["judged_top_n"] = len(set(top) & similar) / n
    out["judged_top_n_look"] = len(set(top) & lookalike) / n
    ranked_all = sorted(scores, key=lambda k: -scores[k])
    for label, size in (("n", n), ("2n", 2 * n)):
        head = set(ranked_all[:size])
        found = head & judged
        out[f"all_top_{label}"] = len(head & similar) / n
        out[f"all_top_{label}_look"] = len(head & lookalike) / max(len(found), 1)
    listed = top3(scores, None)
    out["top3_similar"] = len(listed & similar) / n
    out["top3_look_of_look"] = len(listed & lookalike) / len(lookalike)
    out["top3_look_share"] = len(listed & lookalike) / max(len(listed & judged), 1)
    if threshold is not None:
        shown = top3(scores, threshold)
        out["shown3_similar"] = len(shown & similar) / n
        out["shown3_look_share"] = len(shown & lookalike) / max(len(shown & judged), 1)
        above = {k for k in judged if scores.get(k, -math.inf) >= threshold}
        out["above_precision"] = len(above & similar) / max(len(above), 1)
        out["above_recall"] = len(above & similar) / n
        out["above_pairs"] = float(sum(1 for s in scores.values() if s >= threshold))
    return out


ROWS = (
    ("judged_top_n", "judged pairs, top n: similar share"),
    ("judged_top_n_look", "judged pairs, top n: look-alike share"),
    ("all_top_n", "all pairs, top n: similar pairs found"),
    ("all_top_n_look", "all pairs, top n: look-alikes among judged"),
    ("all_top_2n", "all pairs, top 2n: similar pairs found"),
    ("all_top_2n_look", "all pairs, top 2n: look-alikes among judged"),
    ("top3_similar", "top 3 per practice: similar pairs found"),
    ("top3_look_of_look", "top 3 per practice: look-alike pairs listed"),
    ("top3_look_share", "top 3 per practice: look-alikes among judged listed"),
    ("shown3_similar", "shown (top 3 above threshold): similar pairs found"),
    ("shown3_look_share", "shown (top 3 above threshold): look-alikes among judged"),
    ("above_precision", "above threshold: precision on judged pairs"),
    ("above_recall", "above threshold: recall of similar pairs"),
    ("above_pairs", "above threshold: pairs (all)"),
)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--no-embeddings", action="store_true", help="lexical only")
    parser.add_argument("--split", choices=(*SPLITS, "both"), default="both")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    practices = items()
    vectors = None if args.no_embeddings else embed(practices)
    embedded = time.perf_counter() - started
    columns: dict[str, dict[tuple[str, str], float]] = {"plain TF-IDF": plain_tfidf(practices)}
    columns["German TF-IDF"] = method_scores(practices)
    if vectors is not None:
        columns["hybrid (method)"] = method_scores(items(vectors))
    method = list(columns)[-1]
    unavailable = "--no-embeddings" if args.no_embeddings else embeddings.unavailable_reason("auto")
    print(
        f"{len(practices)} practices, {len(columns['plain TF-IDF'])} cross-municipality pairs; "
        f"embeddings: {'yes' if vectors is not None else 'no (' + str(unavailable) + ')'}"
        f" ({embedded:.1f} s); thresholds: hybrid {similarity.THRESHOLD}, "
        f"lexical {similarity.LEXICAL_THRESHOLD}"
    )
    pairs = load_pairs()
    splits = SPLITS if args.split == "both" else (args.split,)
    for split in splits:
        chosen = [p for p in pairs if p.split == split]
        n_sim = sum(p.label == "similar" for p in chosen)
        print(f"\n== {split}: {n_sim} similar, {len(chosen) - n_sim} look-alike pairs ==")
        thresholds = {
            "plain TF-IDF": None,
            "German TF-IDF": similarity.LEXICAL_THRESHOLD,
            "hybrid (method)": similarity.THRESHOLD,
        }
        results = {
            name: report(name, scores, chosen, thresholds[name]) for name, scores in columns.items()
        }
        print(f"{'':58}" + "".join(f"{name:>18}" for name in columns))
        for row, label in ROWS:
            cells = []
            for name in columns:
                value = results[name].get(row)
                if value is None:
                    cells.append(f"{'–':>18}")
                elif row == "above_pairs":
                    cells.append(f"{value:>18.0f}")
                else:
                    cells.append(f"{value * 100:>17.1f}%")
            print(f"{label:58}" + "".join(cells))
    print(f"\nmethod column: {method}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
