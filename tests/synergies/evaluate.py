"""Evaluate similar practices on the hand-judged pairs (issue 10 item 5, issue 12 item 7).

    python -m tests.synergies.evaluate [--no-embeddings] [--pairs PATH] [--summary]
                                       [--split dev|heldout|fresh|fresh2|fresh3|fresh4|
                                                both|all|tuning]

Builds the items from content/practices/practices.jsonl (no database), ranks every pair of
practices of different municipalities by the method of ``omk.compare.similarity`` and, in the
same run, by plain TF-IDF cosine over title + summary + description (scikit-learn's default
tokenisation ``(?u)\\b\\w\\w+\\b``, lower case, smooth idf, L2; reimplemented here so that no
scikit-learn is needed), and prints per split (n = the split's similar pairs, N = the similar
pairs of the whole file; tests/synergies/eval/README.md explains each measure):

* ``judged, top n``: the split's judged pairs ranked by score; share of its n similar pairs
  in the top n, and the look-alikes' share of that top n (issue 12's "top n");
* ``all pairs, top N / 2N``: all cross-municipality pairs (7,000+) ranked in one list; share
  of the split's similar pairs among the N and 2N best, and the look-alikes' share of the
  judged pairs there (issue 12's "top 2n": the judged ranking has fewer than 2n pairs, so its
  top 2n holds every pair and is 100 % by construction);
* ``all pairs, top n / 2n``: the same with the split's own n (older, stricter rows);
* ``top 3``: per practice top 3 (unthresholded): similar pairs where one is in the other's
  top 3; the look-alikes' share of the judged pairs listed so;
* ``shown``: top 3 above the threshold (issue 10's measure: "in a top 3");
* ``page``: top ``ON_PAGE`` (5) above the threshold, what a practice page lists;
* ``threshold``: precision (similar / judged) and recall of the above-threshold set.

Every split of ``pairs.yaml``, ``pairs_fresh.yaml`` and ``pairs_fresh2.yaml`` has been tuned
on (dev, heldout and fresh in session 4, fresh2 from session 5 on): ``--split tuning`` prints
them all in one run (N = the similar pairs of all three files), and ``--summary`` adds one
line per split with the rows of the issues' targets, for before/after comparisons. The blind
files (``pairs_fresh3.yaml``, ``pairs_fresh4.yaml``: ``--split fresh3``, ``--split fresh4``) are
for reporting only; ``tuning`` never includes a split named in ``BLIND``, and a run counts a
blind split's pairs in N only when it prints that split.
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
from omk.services.similarity import ON_PAGE
from tests.search.eval_sets import REPORTING, Pair, load_pairs, load_practices

_SKLEARN_TOKEN = re.compile(r"(?u)\b\w\w+\b")
#: Splits kept blind for reporting: never part of ``--split tuning``.
BLIND = REPORTING


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
            fields=tuple(row.get("fields") or ()),
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


def top3(
    scores: dict[tuple[str, str], float], threshold: float | None, k: int = 3
) -> set[tuple[str, str]]:
    per: dict[str, list[tuple[float, str]]] = {}
    for (a, b), s in scores.items():
        if threshold is not None and s < threshold:
            continue
        per.setdefault(a, []).append((-s, b))
        per.setdefault(b, []).append((-s, a))
    listed = set()
    for a, others in per.items():
        for _, b in sorted(others)[:k]:
            listed.add(key(a, b))
    return listed


def report(
    scores: dict[tuple[str, str], float],
    pairs: Sequence[Pair],
    threshold: float | None,
    total_similar: int,
) -> dict[str, float]:
    """The measures of one method on one split (``total_similar``: N, the file's similar
    pairs, which compete for the top of the one ranking of all pairs)."""
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
    for label, size in (("n", n), ("2n", 2 * n), ("N", total_similar), ("2N", 2 * total_similar)):
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
        page = top3(scores, threshold, ON_PAGE)
        out["page_similar"] = len(page & similar) / n
        out["page_look_share"] = len(page & lookalike) / max(len(page & judged), 1)
        above = {k for k in judged if scores.get(k, -math.inf) >= threshold}
        out["above_precision"] = len(above & similar) / max(len(above), 1)
        out["above_recall"] = len(above & similar) / n
        out["above_pairs"] = float(sum(1 for s in scores.values() if s >= threshold))
    return out


ROWS = (
    ("judged_top_n", "judged, top n: similar found (issue 12: >= 75 %)"),
    ("judged_top_n_look", "judged, top n: look-alike share (issue 12: <= 7 %)"),
    ("all_top_N", "all pairs, top N: similar found"),
    ("all_top_N_look", "all pairs, top N: look-alikes among judged"),
    ("all_top_2N", "all pairs, top 2N: similar found (issue 12: >= 95 %)"),
    ("all_top_2N_look", "all pairs, top 2N: look-alikes among judged (<= 7 %)"),
    ("all_top_n", "all pairs, top n: similar found"),
    ("all_top_2n", "all pairs, top 2n: similar found"),
    ("all_top_2n_look", "all pairs, top 2n: look-alikes among judged"),
    ("top3_similar", "top 3 per practice: similar found"),
    ("top3_look_of_look", "top 3 per practice: look-alike pairs listed"),
    ("top3_look_share", "top 3 per practice: look-alikes among judged"),
    ("shown3_similar", "shown (top 3 >= threshold): similar (issue 10: >= 90 %)"),
    ("shown3_look_share", "shown (top 3 >= threshold): look-alikes (<= 5 %)"),
    ("page_similar", f"page (top {ON_PAGE} >= threshold): similar"),
    ("page_look_share", f"page (top {ON_PAGE} >= threshold): look-alikes"),
    ("above_precision", "above threshold: precision on judged pairs"),
    ("above_recall", "above threshold: recall of similar pairs"),
    ("above_pairs", "above threshold: pairs (all)"),
)

#: The targets: (label, row, bound, at least?) — issue 12 item 7 and issue 10 item 5.
TARGETS = (
    ("issue 12, judged top n: similar", "judged_top_n", 0.75, True),
    ("issue 12, judged top n: look-alikes", "judged_top_n_look", 0.07, False),
    ("issue 12, all pairs top 2N: similar", "all_top_2N", 0.95, True),
    ("issue 12, all pairs top 2N: look-alikes", "all_top_2N_look", 0.07, False),
    ("issue 10, shown top 3: similar", "shown3_similar", 0.90, True),
    ("issue 10, shown top 3: look-alikes", "shown3_look_share", 0.05, False),
)


def verdict(result: dict[str, float]) -> list[str]:
    """One line per target: the method's figure and whether it is met."""
    lines = []
    for label, row, bound, at_least in TARGETS:
        value = result.get(row)
        if value is None:
            continue
        met = value >= bound if at_least else value <= bound
        sign = ">=" if at_least else "<="
        lines.append(
            f"  {label:42} {value * 100:5.1f} %  (target {sign} {bound * 100:.0f} %: "
            f"{'met' if met else 'NOT met'})"
        )
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--no-embeddings", action="store_true", help="lexical only")
    parser.add_argument(
        "--split",
        default="both",
        help="dev, heldout, fresh, fresh2, fresh3, fresh4, both (dev and heldout), all (the splits "
        "tests/search/eval_sets.py counts as tuned on), tuning (every split of the loaded files "
        "except the blind ones)",
    )
    parser.add_argument(
        "--summary", action="store_true", help="one line per split with the target rows"
    )
    parser.add_argument("--pairs", type=Path, default=None, help="a pairs file (default: eval)")
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
    pairs = load_pairs(args.pairs) if args.pairs else load_pairs()
    present = list(dict.fromkeys(p.split for p in pairs))
    splits: list[str] = [args.split]
    if args.split == "both":
        splits = [s for s in ("dev", "heldout") if s in present]
    elif args.split == "all":
        splits = [s for s in present if s not in REPORTING]
    elif args.split == "tuning":
        splits = [s for s in present if s not in BLIND]
    # a run learns nothing of a blind set it does not print, not even its size through N
    pairs = [p for p in pairs if p.split not in BLIND or p.split in splits]
    total_similar = sum(p.label == "similar" for p in pairs)
    print(f"N = {total_similar} similar pairs in the file (all splits compete in one ranking)")
    summary: dict[str, dict[str, float]] = {}
    for split in splits:
        chosen = [p for p in pairs if p.split == split]
        n_sim = sum(p.label == "similar" for p in chosen)
        print(f"\n== {split}: n = {n_sim} similar, {len(chosen) - n_sim} look-alike pairs ==")
        thresholds = {
            "plain TF-IDF": None,
            "German TF-IDF": similarity.LEXICAL_THRESHOLD,
            "hybrid (method)": similarity.THRESHOLD,
        }
        results = {
            name: report(scores, chosen, thresholds[name], total_similar)
            for name, scores in columns.items()
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
        print(f"targets, {method}, {split}:")
        print("\n".join(verdict(results[method])))
        summary[split] = results[method]
    print(f"\nmethod column: {method}")
    if args.summary:
        print("\n".join(summary_lines(summary)))
    return 0


#: The rows of ``--summary`` (short column names).
SUMMARY = (
    ("judged_top_n", "top n"),
    ("judged_top_n_look", "look"),
    ("all_top_2N", "2N"),
    ("all_top_2N_look", "look"),
    ("top3_similar", "top 3"),
    ("shown3_similar", "shown 3"),
    ("shown3_look_share", "look"),
    ("page_similar", "page"),
    ("page_look_share", "look"),
)


def summary_lines(results: dict[str, dict[str, float]]) -> list[str]:
    """The method's target rows, one line per split (percentages)."""
    lines = [f"{'split':8}" + "".join(f"{label:>9}" for _, label in SUMMARY)]
    for split, result in results.items():
        cells = [
            f"{result[row] * 100:>8.1f}%" if row in result else f"{'–':>9}" for row, _ in SUMMARY
        ]
        lines.append(f"{split:8}" + "".join(cells))
    return lines


if __name__ == "__main__":
    sys.exit(main())
