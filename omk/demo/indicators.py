"""Synthetic indicator values, drawn per municipality and cycle from ranges that depend on
population and degree of urbanisation.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from sqlalchemy import func, select

from omk.demo.data import CYCLES, SEED
from omk.demo.practices import _rng
from omk.extensions import db
from omk.models.register import Level, Municipality

# --- synthetic indicators ----------------------------------------------------------------

#: Persons newly allocated per 1,000 inhabitants and year, by degree of urbanisation
#: (1 dicht, 2 mittel, 3 gering besiedelt); scaled by the cycle's factor below.
ALLOCATIONS_PER_1000 = {1: (3.5, 6.5), 2: (2.5, 5.0), 3: (1.5, 4.0)}
#: Fewer new allocations from cycle to cycle.
YEAR_FACTOR = {"2024": 1.0, "2025": 0.8, "2026": 0.65}
#: Persons in municipal accommodation per person allocated in the year (cities: longer stays).
ACCOMMODATED_PER_ALLOCATED = {1: (1.8, 3.0), 2: (1.2, 2.2), 3: (0.8, 1.6)}
#: Share in flats (%): the countryside has vacant flats, cities shared accommodation.
DECENTRAL_SHARE = {1: (25.0, 55.0), 2: (45.0, 75.0), 3: (60.0, 90.0)}
#: Mean stay in shared accommodation (months).
STAY_MONTHS = {1: (14.0, 30.0), 2: (9.0, 20.0), 3: (5.0, 14.0)}
#: Active volunteers per 1,000 inhabitants (more in rural places).
VOLUNTEERS_PER_1000 = {1: (0.6, 1.8), 2: (1.0, 3.0), 3: (1.5, 4.5)}
#: Inhabitants per involved migrant organisation.
INHABITANTS_PER_MIGRANT_ORGANISATION = {1: 25_000, 2: 40_000, 3: 60_000}


@dataclass(frozen=True)
class Profile:
    """What the synthetic values depend on, from the register (never from a report)."""

    key: str
    population: int
    urbanisation: int  # 1 dicht, 2 mittel, 3 gering besiedelt


def synthetic_indicators(
    profile: Profile, cycle_code: str, optional: list[str], seed: int = SEED
) -> dict[str, int | float]:
    """Plausible, synthetic indicator values of one municipality in one cycle.

    Allocations are drawn per 1,000 inhabitants from a range per degree of urbanisation and
    scaled by the cycle; most other counts are shares of the allocations. A municipality
    keeps its traits (drawn once) across cycles; each cycle adds a little noise. Optional
    indicators (``optional``) are left out for some municipalities, as real reports do.
    """
    u = profile.urbanisation if profile.urbanisation in (1, 2, 3) else 2
    pop = max(profile.population, 1)
    trait = _rng(seed, "traits", profile.key)
    rng = _rng(seed, "values", cycle_code, profile.key)

    def between(r: random.Random, bounds: tuple[float, float]) -> float:
        return r.uniform(*bounds)

    def jitter() -> float:
        return rng.uniform(0.9, 1.1)

    allocation_rate = between(trait, ALLOCATIONS_PER_1000[u])
    stock_ratio = between(trait, ACCOMMODATED_PER_ALLOCATED[u])
    decentral = between(trait, DECENTRAL_SHARE[u])
    stay = between(trait, STAY_MONTHS[u])
    shares = {
        "sprache_bildung.kursplaetze_kommunal": trait.uniform(0.05, 0.30),
        "sprache_bildung.kita_kinder": trait.uniform(0.04, 0.12),
        "sprache_bildung.vorbereitungsklassen": trait.uniform(0.08, 0.20),
        "arbeitsmarkt.ausbildung": trait.uniform(0.03, 0.09),
        "arbeitsmarkt.praktika": trait.uniform(0.04, 0.15),
        "zivilgesellschaft.patenschaften": trait.uniform(0.05, 0.25),
    }
    employment = trait.uniform(0.20, 0.40)
    volunteers = between(trait, VOLUNTEERS_PER_1000[u])
    coordination = trait.uniform(0.3, 0.9)  # FTE per 10,000 inhabitants
    budget = trait.uniform(2.0, 14.0)  # EUR per inhabitant
    trained = trait.uniform(0.1, 0.6)  # per 1,000 inhabitants
    round_tables = trait.uniform(1.0, 4.0)
    left_out = {code for code in optional if trait.random() < 0.12}

    codes = [c.code for c in CYCLES]
    index = codes.index(cycle_code) if cycle_code in codes else 0
    factor = YEAR_FACTOR.get(cycle_code, 1.0)
    allocated = round(pop / 1000 * allocation_rate * factor * jitter())
    values: dict[str, int | float] = {
        "unterbringung.zuweisungen": allocated,
        "unterbringung.untergebracht": round(allocated * stock_ratio * jitter()),
        "unterbringung.dezentral_anteil": round(min(100.0, decentral * jitter()), 1),
        "unterbringung.aufenthaltsdauer_gu": round(stay * jitter(), 1),
    }
    for code, share in shares.items():
        values[code] = round(allocated * share * jitter())
    values["arbeitsmarkt.beschaeftigt_svp"] = round(
        allocated * employment * (1 + 0.15 * index) * jitter()
    )
    values["arbeitsmarkt.runder_tisch_treffen"] = max(
        0, round(round_tables + max(0.0, _log10(pop / 10_000)) * 2 * jitter())
    )
    values["zivilgesellschaft.ehrenamtliche_aktiv"] = round(
        pop / 1000 * volunteers * (1 - 0.07 * index) * jitter()
    )
    values["zivilgesellschaft.migrantenorganisationen"] = round(
        pop / INHABITANTS_PER_MIGRANT_ORGANISATION[u] * rng.uniform(0.6, 1.4)
    )
    values["verwaltung.koordination_vze"] = max(0.1, round(pop / 10_000 * coordination, 1))
    values["verwaltung.budget_eur"] = round(pop * budget * jitter() / 100) * 100
    values["verwaltung.geschulte_mitarbeitende"] = round(pop / 1000 * trained * jitter())
    return {code: value for code, value in values.items() if code not in left_out}


def _log10(x: float) -> float:
    return math.log10(x) if x > 0 else 0.0


def profile_of(municipality: Municipality) -> Profile:
    """The register's population and degree of urbanisation; a Kreis takes the degree that
    most of its inhabitants live in."""
    urbanisation = municipality.urbanisation
    if urbanisation is None and municipality.level == Level.KREIS:
        rows = db.session.execute(
            select(Municipality.urbanisation, func.sum(Municipality.population))
            .where(
                Municipality.level == Level.GEMEINDE.value,
                Municipality.key.startswith(municipality.key),
                Municipality.urbanisation.is_not(None),
            )
            .group_by(Municipality.urbanisation)
        ).all()
        if rows:
            urbanisation = max(rows, key=lambda r: (r[1] or 0, -(r[0] or 0)))[0]
    return Profile(municipality.key, municipality.population or 0, urbanisation or 2)
