"""The shipped practices and the plan drawn from them: pure functions of the practices and
the seed.
"""

from __future__ import annotations

import hashlib
import json
import random
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import current_app

from omk.content import Content
from omk.demo.data import (
    CLOSED_FLOWS,
    CYCLES,
    DEMO_REPORTER_KEY,
    DEMO_REVIEWER_SCOPE,
    OPEN_FLOWS,
    PRACTICE_NAMESPACE,
    SEED,
    DemoCycle,
    Flow,
)
from omk.document_types import PracticeDocument, practice_with_extra

# --- the practices ------------------------------------------------------------------------


@dataclass(frozen=True)
class SourcePractice:
    """One line of content/practices/practices.jsonl, with its exchange-format practice."""

    code: str  # d001 …
    ags: str  # the reporting key (Gemeinde AGS, Kreis key + 000)
    municipality_name: str
    status: str
    started_year: int | None
    source_year: int | None
    practice: PracticeDocument  # the practice of the exchange format (id = uuid5)


def practices_path(content: Content | None = None) -> Path:
    """Where the shipped practices live."""
    content = content or current_app.extensions["omk_content"]
    return content.root / "practices" / "practices.jsonl"


def practice_id(code: str) -> str:
    """The stable UUID of a practice of the file (``d001`` → always the same id)."""
    return str(uuid.uuid5(PRACTICE_NAMESPACE, code))


def _year(value: str | None) -> int | None:
    return int(value[:4]) if value else None


def to_practice(line: Mapping[str, Any]) -> PracticeDocument:
    """A line of the file as a practice of the exchange format; its main source and the
    source's date are kept as the extra fields ``source_url`` and ``source_date``."""
    known = {
        "id": practice_id(line["id"]),
        "title": line["title"],
        "criterion": line["criterion"],
        "fields": list(line.get("fields") or []),
        "recommendations": list(line.get("recommendations") or []),
        "summary": line["summary"],
        "description": line["description"],
        "actors": [dict(a) for a in line.get("actors") or []],
        "target_groups": list(line.get("target_groups") or []),
        "started": line.get("started"),
        "ended": None,  # the sources give no end dates
        "status": line.get("status"),
        "budget_eur": line.get("budget_eur"),
        "outcomes": line.get("outcomes"),
        "transferability": line.get("transferability"),
        "sources": list(line.get("sources") or []),
        "adopted_from": None,
    }
    extra = {"source_url": line.get("source_url"), "source_date": line.get("source_date")}
    return practice_with_extra(known, extra)


def load_practices(path: Path | None = None) -> list[SourcePractice]:
    """Every practice of the shipped file, in file order."""
    path = path or practices_path()
    result = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if not line.strip():
                continue
            raw = json.loads(line)
            result.append(
                SourcePractice(
                    code=raw["id"],
                    ags=raw["ags"],
                    municipality_name=raw["municipality"],
                    status=raw.get("status") or "active",
                    started_year=_year(raw.get("started")),
                    source_year=_year(raw.get("source_date")),
                    practice=to_practice(raw),
                )
            )
    return result


# --- the plan: pure functions of the practices and the seed -------------------------------


def _unit(seed: int, *parts: str) -> float:
    """A number in [0, 1) from the seed and the parts (stable across runs and platforms)."""
    digest = hashlib.sha256(":".join([str(seed), *parts]).encode()).hexdigest()
    return int(digest[:13], 16) / 16**13


def _rng(seed: int, *parts: str) -> random.Random:
    return random.Random(":".join([str(seed), *parts]))  # noqa: S311 - demo values, not secrets


def first_cycle(p: SourcePractice, seed: int = SEED) -> DemoCycle | None:
    """The cycle a practice is first reported in: drawn from the seed, never before the
    year it started or its source's year; None if that is after the newest cycle."""
    earliest = max(p.started_year or 0, p.source_year or 0, CYCLES[0].year)
    u = _unit(seed, "first", p.code)
    offset = 0 if u < 0.6 else 1 if u < 0.85 else 2
    year = max(earliest, CYCLES[0].year + offset)
    return next((c for c in CYCLES if c.year == year), None)


def plan_reports(
    practices: list[SourcePractice], seed: int = SEED
) -> dict[str, dict[str, list[SourcePractice]]]:
    """Per cycle code: the reporting key of every municipality that reports, with its
    practices (active ones continued in every later cycle; ended and planned ones once)."""
    plan: dict[str, dict[str, list[SourcePractice]]] = {c.code: {} for c in CYCLES}
    for p in practices:
        first = first_cycle(p, seed)
        if first is None:
            continue
        for cycle in CYCLES[CYCLES.index(first) :]:
            if cycle is not first and p.status != "active":
                break
            plan[cycle.code].setdefault(p.ags, []).append(p)
    return plan


def plan_flows(cycle: DemoCycle, keys: list[str], seed: int = SEED) -> dict[str, Flow]:
    """How each municipality's report in a cycle goes through the workflow.

    Closed cycles: everything accepted (some after a return or a correction). The open
    cycle: Essen's report is returned with comments (the demo reporter has work to do), one
    other NRW report is submitted (the demo reviewer has a queue), the rest in every state.
    """
    order = sorted(keys, key=lambda k: (_unit(seed, "order", cycle.code, k), k))
    if not cycle.is_open:
        return {k: CLOSED_FLOWS[i % len(CLOSED_FLOWS)] for i, k in enumerate(order)}
    flows: dict[str, Flow] = {}
    if DEMO_REPORTER_KEY in keys:
        flows[DEMO_REPORTER_KEY] = Flow.RETURNED
    in_review_region = [k for k in order if k.startswith(DEMO_REVIEWER_SCOPE) and k not in flows]
    if in_review_region:
        flows[in_review_region[0]] = Flow.SUBMITTED
    rest = [k for k in order if k not in flows]
    flows.update({k: OPEN_FLOWS[i % len(OPEN_FLOWS)] for i, k in enumerate(rest)})
    return flows
