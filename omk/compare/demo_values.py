"""Synthetic indicator values for the demo that make sense to compare (issue 11, item 8).

A pure, deterministic generator: per-capita rates that depend on size and degree of
urbanisation (drawn once per municipality, its traits), a trend over the cycles (some
municipalities improve, some fall back, most hold), noise per cycle, a few values left out
and two planted outliers, so that every category of the scoreboard occurs among the demo's
municipalities. The values are synthetic; every page that shows them says so (the report's
``has_synthetic_indicators`` flag).
"""

from __future__ import annotations

import hashlib
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass

SEED = 2026

#: The demo's cycles, oldest first (their codes; the values trend along this order).
CYCLE_CODES: tuple[str, ...] = ("2024", "2025", "2026")

#: Persons newly allocated per 1,000 inhabitants and year, by degree of urbanisation.
ALLOCATIONS_PER_1000 = {1: (3.5, 6.5), 2: (2.5, 5.0), 3: (1.5, 4.0)}
#: Fewer new allocations from cycle to cycle.
YEAR_FACTOR = {"2024": 1.0, "2025": 0.8, "2026": 0.65}
#: Persons in municipal accommodation per person allocated (cities: longer stays).
ACCOMMODATED_PER_ALLOCATED = {1: (1.8, 3.0), 2: (1.2, 2.2), 3: (0.8, 1.6)}
#: Share in flats (%): the countryside has vacant flats, cities shared accommodation.
DECENTRAL_SHARE = {1: (25.0, 55.0), 2: (45.0, 75.0), 3: (60.0, 90.0)}
#: Mean stay in shared accommodation (months).
STAY_MONTHS = {1: (14.0, 30.0), 2: (9.0, 20.0), 3: (5.0, 14.0)}
#: Active volunteers per 1,000 inhabitants (more in rural places).
VOLUNTEERS_PER_1000 = {1: (0.6, 1.8), 2: (1.0, 3.0), 3: (1.5, 4.5)}
#: Inhabitants per involved migrant organisation.
INHABITANTS_PER_MIGRANT_ORGANISATION = {1: 25_000, 2: 40_000, 3: 60_000}
#: Per 100 allocated: ranges of the shares, wider in small places (fewer, more varied cases).
SHARES_PER_ALLOCATED = {
    "sprache_bildung.kursplaetze_kommunal": (0.05, 0.30),
    "sprache_bildung.kita_kinder": (0.04, 0.12),
    "sprache_bildung.vorbereitungsklassen": (0.08, 0.20),
    "arbeitsmarkt.ausbildung": (0.03, 0.09),
    "arbeitsmarkt.praktika": (0.04, 0.15),
    "zivilgesellschaft.patenschaften": (0.05, 0.25),
}
#: Trends per cycle (multiplied per step along CYCLE_CODES) and how often each is drawn.
TRENDS: tuple[tuple[str, float, tuple[float, float]], ...] = (
    ("improving", 0.30, (1.15, 1.40)),
    ("declining", 0.25, (0.65, 0.85)),
    ("steady", 0.45, (0.97, 1.03)),
)
#: Two planted outliers: (register key, indicator, factor from the second cycle on). Alheim's
#: Kita children jump as in the issue (268 → 1,234: the form warns, the scoreboard flags).
OUTLIERS: tuple[tuple[str, str, float], ...] = (
    ("06632001", "sprache_bildung.kita_kinder", 4.6),
    ("01060039", "zivilgesellschaft.ehrenamtliche_aktiv", 5.0),
)
#: How often an optional indicator is left out of one report (besides those a municipality
#: never reports).
MISSING_PER_REPORT = 0.05


@dataclass(frozen=True)
class DemoProfile:
    """What the values depend on, from the register (never from a report)."""

    key: str
    population: int
    urbanisation: int | None  # 1 dicht, 2 mittel, 3 gering besiedelt (a Kreis: its majority)


def _rng(seed: int, *parts: str) -> random.Random:
    digest = hashlib.sha256("|".join([str(seed), *parts]).encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))  # noqa: S311 - not for security


def _trend(trait: random.Random) -> float:
    """The factor per cycle of a municipality's judged rates."""
    pick = trait.random()
    total = 0.0
    for _name, weight, bounds in TRENDS:
        total += weight
        if pick < total:
            return trait.uniform(*bounds)
    return 1.0  # pragma: no cover - weights sum to 1


def indicator_values(
    profile: DemoProfile,
    cycle_code: str,
    optional: Sequence[str] = (),
    seed: int = SEED,
) -> dict[str, int | float]:
    """Plausible, synthetic indicator values of one municipality in one cycle.

    Allocations per 1,000 inhabitants depend on the degree of urbanisation and fall from
    cycle to cycle; the other counts are shares of the allocations or rates per inhabitant,
    drawn once per municipality and moved along its trend (improving, declining or steady:
    for the mean stay in shared accommodation, where lower is better, improving means
    shorter). Optional indicators are left out now and then."""
    u = profile.urbanisation if profile.urbanisation in (1, 2, 3) else 2
    pop = max(profile.population, 1)
    trait = _rng(seed, "traits", profile.key)
    rng = _rng(seed, "values", cycle_code, profile.key)
    step = CYCLE_CODES.index(cycle_code) if cycle_code in CYCLE_CODES else 0
    trend = _trend(trait) ** step
    small = 1.6 if pop < 20_000 else 1.0  # small places spread wider

    def jitter() -> float:
        return rng.uniform(0.92, 1.08)

    def spread(bounds: tuple[float, float]) -> float:
        low, high = bounds
        mid = (low + high) / 2
        return max(low / 2, trait.uniform(mid - (mid - low) * small, mid + (high - mid) * small))

    allocated = max(
        0,
        round(
            pop
            / 1000
            * trait.uniform(*ALLOCATIONS_PER_1000[u])
            * YEAR_FACTOR.get(cycle_code, 1.0)
            * jitter()
        ),
    )
    stock_ratio = trait.uniform(*ACCOMMODATED_PER_ALLOCATED[u])
    decentral = trait.uniform(*DECENTRAL_SHARE[u])
    stay = trait.uniform(*STAY_MONTHS[u])
    shares = {code: spread(bounds) for code, bounds in SHARES_PER_ALLOCATED.items()}
    employment = trait.uniform(0.15, 0.40)
    volunteers = trait.uniform(*VOLUNTEERS_PER_1000[u])
    coordination = trait.uniform(0.3, 0.9)  # FTE per 10,000 inhabitants
    budget = trait.uniform(2.0, 14.0)  # EUR per inhabitant
    trained = trait.uniform(0.1, 0.6)  # per 1,000 inhabitants
    round_tables = trait.uniform(1.0, 4.0)
    never = {code for code in optional if trait.random() < 0.08}

    values: dict[str, int | float] = {
        "unterbringung.zuweisungen": allocated,
        "unterbringung.untergebracht": round(allocated * stock_ratio * jitter()),
        "unterbringung.dezentral_anteil": round(
            min(100.0, decentral * math.sqrt(trend) * jitter()), 1
        ),
        "unterbringung.aufenthaltsdauer_gu": round(stay / trend * jitter(), 1),
    }
    base = max(allocated, 1)
    for code, share in shares.items():
        values[code] = round(base * share * trend * jitter())
    values["arbeitsmarkt.beschaeftigt_svp"] = round(base * employment * trend * jitter())
    values["arbeitsmarkt.runder_tisch_treffen"] = max(
        0, round((round_tables + max(0.0, math.log10(pop / 10_000)) * 2) * trend * jitter())
    )
    values["zivilgesellschaft.ehrenamtliche_aktiv"] = round(
        pop / 1000 * volunteers * trend * jitter()
    )
    values["zivilgesellschaft.migrantenorganisationen"] = round(
        pop / INHABITANTS_PER_MIGRANT_ORGANISATION[u] * trend * rng.uniform(0.7, 1.3)
    )
    values["verwaltung.koordination_vze"] = max(0.1, round(pop / 10_000 * coordination * trend, 1))
    values["verwaltung.budget_eur"] = round(pop * budget * jitter() / 100) * 100
    values["verwaltung.geschulte_mitarbeitende"] = round(pop / 1000 * trained * trend * jitter())
    for key, code, factor in OUTLIERS:
        if key == profile.key and step >= 1 and code in values:
            values[code] = round(values[code] * factor)
    now = {code for code in optional if rng.random() < MISSING_PER_REPORT}
    return {code: v for code, v in values.items() if code not in never and code not in now}
