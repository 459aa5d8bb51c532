"""Load the hand-judged evaluation sets for search (issue 10) and similar practices (issue 12).

The judgements live as data next to this module (``tests/search/eval/queries.yaml``,
``tests/synergies/eval/pairs.yaml``, and the fresh reporting sets ``queries_fresh.yaml`` /
``pairs_fresh.yaml``, ``queries_fresh2.yaml`` / ``pairs_fresh2.yaml``, ``queries_fresh3.yaml`` /
``pairs_fresh3.yaml`` and ``queries_fresh4.yaml`` / ``pairs_fresh4.yaml`` beside them); practices
are named by their demo id (``d001`` …) from ``content/practices/practices.jsonl``. Every split
but the two newest has been tuned on; report on ``fresh3`` and ``fresh4`` (each judged blind and
isolated on 2026-12-06) and never tune on them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
PRACTICES = ROOT / "content" / "practices" / "practices.jsonl"
QUERIES = ROOT / "tests" / "search" / "eval" / "queries.yaml"
PAIRS = ROOT / "tests" / "synergies" / "eval" / "pairs.yaml"
QUERIES_FRESH = ROOT / "tests" / "search" / "eval" / "queries_fresh.yaml"
PAIRS_FRESH = ROOT / "tests" / "synergies" / "eval" / "pairs_fresh.yaml"
QUERIES_FRESH2 = ROOT / "tests" / "search" / "eval" / "queries_fresh2.yaml"
PAIRS_FRESH2 = ROOT / "tests" / "synergies" / "eval" / "pairs_fresh2.yaml"
QUERIES_FRESH3 = ROOT / "tests" / "search" / "eval" / "queries_fresh3.yaml"
PAIRS_FRESH3 = ROOT / "tests" / "synergies" / "eval" / "pairs_fresh3.yaml"
QUERIES_FRESH4 = ROOT / "tests" / "search" / "eval" / "queries_fresh4.yaml"
PAIRS_FRESH4 = ROOT / "tests" / "synergies" / "eval" / "pairs_fresh4.yaml"

KINDS = (
    "plain",
    "non_literal",
    "compound_inflection",
    "misspelled",
    "synonym",
    "phrase",
    "facet",
)
SPLITS = ("dev", "heldout", "fresh", "fresh2", "fresh3", "fresh4")
#: Blind sets for reporting: printed only when asked for by name, never by ``--split all``,
#: so that nobody tuning sees them by accident.
REPORTING = ("fresh3", "fresh4")
#: What ``--split all`` prints: every split that has been tuned on.
TUNING = tuple(split for split in SPLITS if split not in REPORTING)
LABELS = ("similar", "lookalike")
FACETS = ("criterion", "land", "status", "target_group", "actor_type")


@dataclass(frozen=True)
class Query:
    id: str
    text: str
    kind: str
    split: str
    facets: dict[str, str]
    note: str | None
    grades: dict[str, int]  # practice id -> 1..3; unlisted practices are 0
    titles: dict[str, str]


@dataclass(frozen=True)
class Pair:
    a: str
    b: str
    a_title: str
    b_title: str
    label: str
    split: str
    reason: str


def load_practices(path: Path = PRACTICES) -> dict[str, dict[str, Any]]:
    """The demo practices by id."""
    with path.open(encoding="utf-8") as lines:
        rows = [json.loads(line) for line in lines if line.strip()]
    return {row["id"]: row for row in rows}


def _items(paths: tuple[Path, ...], key: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for path in paths:
        items.extend(yaml.safe_load(path.read_text(encoding="utf-8"))[key])
    return items


def load_queries(*paths: Path) -> list[Query]:
    """The queries of the given files; by default of ``queries.yaml`` and every fresh set."""
    queries = []
    files = paths or (QUERIES, QUERIES_FRESH, QUERIES_FRESH2, QUERIES_FRESH3, QUERIES_FRESH4)
    for item in _items(files, "queries"):
        relevant = item.get("relevant") or []
        queries.append(
            Query(
                id=str(item["id"]),
                text=str(item["query"]),
                kind=str(item["kind"]),
                split=str(item["split"]),
                facets={str(k): str(v) for k, v in (item.get("facets") or {}).items()},
                note=item.get("note"),
                grades={str(r["id"]): int(r["grade"]) for r in relevant},
                titles={str(r["id"]): str(r["title"]) for r in relevant},
            )
        )
    return queries


def load_pairs(*paths: Path) -> list[Pair]:
    """The pairs of the given files; by default of ``pairs.yaml`` and every fresh set."""
    return [
        Pair(
            a=str(item["a"]),
            b=str(item["b"]),
            a_title=str(item["a_title"]),
            b_title=str(item["b_title"]),
            label=str(item["label"]),
            split=str(item["split"]),
            reason=str(item["reason"]),
        )
        for item in _items(
            paths or (PAIRS, PAIRS_FRESH, PAIRS_FRESH2, PAIRS_FRESH3, PAIRS_FRESH4), "pairs"
        )
    ]


def satisfies(practice: dict[str, Any], facets: dict[str, str]) -> bool:
    """Whether a practice passes a query's facet filters (exact codes, no expansion of ``alle``)."""
    for key, value in facets.items():
        if key == "criterion" and practice["criterion"] != value:
            return False
        if key == "land" and practice["ags"][:2] != value:
            return False
        if key == "status" and practice["status"] != value:
            return False
        if key == "target_group" and value not in practice["target_groups"]:
            return False
        if key == "actor_type" and all(a["type"] != value for a in practice["actors"]):
            return False
    return True
