"""The demo's synthetic values: deterministic, structured by size and urbanisation, with
trends, gaps and outliers, so that every scoreboard category occurs among the demo's
municipalities (the full register's figures, as ``omk demo`` uses them)."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import pytest
import yaml

from omk.compare import scoreboard, stats
from omk.compare.bases import normalise
from omk.compare.definitions import comparison_level
from omk.compare.demo_values import CYCLE_CODES, OUTLIERS, DemoProfile, indicator_values
from omk.content import load_content
from omk.services.register_import import read_extract
from tests.conftest import FULL_REGISTER

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def profiles() -> list[tuple[DemoProfile, str]]:
    """The demo's reporting municipalities with their register figures and level."""
    text = (ROOT / "content" / "practices" / "practices.jsonl").read_text(encoding="utf-8")
    keys = {json.loads(line)["ags"] for line in text.splitlines() if line.strip()}
    entries = read_extract(FULL_REGISTER)
    out = []
    for ags in sorted(keys):
        e = entries.get(ags) or entries.get(ags[:5])
        assert e is not None, ags
        level = comparison_level(e.level, e.is_kreisfrei)
        assert level is not None
        out.append((DemoProfile(e.key, e.population or 0, e.urbanisation), level.value))
    return out


def test_values_are_deterministic() -> None:
    p = DemoProfile("05113000", 580_000, 1)
    assert indicator_values(p, "2025") == indicator_values(p, "2025")
    assert indicator_values(p, "2025") != indicator_values(p, "2024")


def test_every_category_occurs_among_the_demo_municipalities(
    profiles: list[tuple[DemoProfile, str]],
) -> None:
    content = load_content(ROOT / "content")
    table = scoreboard.parse_table(
        yaml.safe_load((ROOT / "content" / "scoreboard.yaml").read_text("utf-8"))
    )
    template = content.current_template
    optional = [c for c in template.indicator_codes() if c not in template.required_indicators()]
    seen: set[str] = set()
    flags: set[str] = set()
    missing = 0
    by_level: dict[str, list[DemoProfile]] = defaultdict(list)
    for p, level in profiles:
        by_level[level].append(p)
    for group in by_level.values():
        for cycle, before in zip(CYCLE_CODES[1:], CYCLE_CODES, strict=False):
            now = {p.key: indicator_values(p, cycle, optional) for p in group}
            then = {p.key: indicator_values(p, before, optional) for p in group}
            for _code, ind in content.indicators.items():
                direction = ind.direction
                values, changes = [], []
                for p in group:
                    v = _norm(ind, now[p.key], p)
                    w = _norm(ind, then[p.key], p)
                    missing += v is None
                    values.append(v)
                    changes.append(v - w if v is not None and w is not None else None)
                got, _ = scoreboard.classify(values, changes, direction, table)
                seen |= {g.category for g in got if g.category}
                s = stats.summarise(values)
                flags |= {f for v in values if (f := s.outlier(v))}
    assert seen == set(scoreboard.CATEGORY_LABELS), sorted(seen)
    assert missing > 0 and "outlier_high" in flags


def _norm(ind: object, values: dict[str, int | float], p: DemoProfile) -> float | None:
    raw = values.get(ind.code)  # type: ignore[attr-defined]
    if raw is None:
        return None
    n = normalise(  # type: ignore[arg-type]
        ind, float(raw), population=p.population, allocated=values.get("unterbringung.zuweisungen")
    )
    return float(raw) if n is None else n.value


def test_the_planted_outlier_jumps(profiles: list[tuple[DemoProfile, str]]) -> None:
    key, code, _factor = OUTLIERS[0]
    p = next(p for p, _ in profiles if p.key == key)
    before, after = indicator_values(p, "2024")[code], indicator_values(p, "2025")[code]
    assert after > 3 * before
