"""Demo data: accounts for every role, three reporting cycles and the reports of the
municipalities whose real practices ship in ``content/practices/`` (CC BY 4.0, with sources).

The reports are made through the real services (start, save, submit, return, accept, reopen),
so revisions, diffs, review comments and the audit trail are what users would have produced.
The indicator values are synthetic (drawn per municipality and cycle from ranges that depend
on population and degree of urbanisation) and every report carries the synthetic flag.

Deterministic: a fixed seed, practice ids derived with uuid5 from the file's ids, hashes
instead of Python's ``hash()``; two runs into fresh databases give identical documents.
Idempotent: an account, cycle or report that exists is left alone, so ``omk demo`` may run on
every ``make run`` (and never overwrites what someone did with the demo since).

How practices are spread over the cycles (documented in README.md and content/practices/):

* a practice is first reported in a cycle drawn from the seed (60 % the first cycle, 25 % the
  second, 15 % the third), never before the year it started or the year of its source, so no
  report describes facts later than its period;
* an active practice is continued in every later cycle with the same id (its lineage);
* an ended or planned practice is reported once, with the status of its source: the demo
  does not invent what became of it;
* a municipality reports in a cycle when it has at least one practice there; the others with
  a reporter account are the ones "expected, not yet reported".
"""

from __future__ import annotations

import copy
import hashlib
import json
import logging
import math
import random
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import func, select

from omk import exchange, mail
from omk.content import Content
from omk.errors import NotFound
from omk.extensions import db
from omk.models.accounts import Role, User
from omk.models.register import Level, Municipality
from omk.models.reporting import Cycle, Report, ReportState
from omk.services import accounts, audit, cycles, outbox, reports
from omk.services.transaction import unit_of_work

log = logging.getLogger("omk.demo")

DEMO_PASSWORD = "Demo-Passwort-2026"  # noqa: S105 - printed for the local demo on purpose

#: The seed of every random draw; change it and the demo changes (deterministically).
SEED = 20260101

#: Namespace of the practice ids: uuid5(PRACTICE_NAMESPACE, "d001") is practice d001's id.
PRACTICE_NAMESPACE = uuid.UUID("7b1e4f52-3c2a-5d6e-9f80-0a1b2c3d4e5f")

#: The demo reporter (Essen) and the demo reviewer's region (Nordrhein-Westfalen).
DEMO_REPORTER_KEY = "05113000"
DEMO_REVIEWER_SCOPE = "05"


@dataclass(frozen=True)
class DemoAccount:
    email: str
    role: Role
    name: str
    municipality: str | None = None
    scope: str | None = None


DEMO_ACCOUNTS = [
    DemoAccount("admin@example.org", Role.ADMIN, "Betrieb (Admin)"),
    DemoAccount(
        "pruefung.nrw@example.org", Role.REVIEWER, "Prüfstelle NRW", scope=DEMO_REVIEWER_SCOPE
    ),
    DemoAccount(
        "bericht.essen@example.org",
        Role.REPORTER,
        "Integrationsbüro Essen",
        municipality=DEMO_REPORTER_KEY,
    ),
    DemoAccount("fachkraft@example.org", Role.STAFF, "Fachkraft Integration"),
]

#: Short names for the e-mail addresses of the Länder's (password-less) reviewer accounts.
LAND_SLUGS = {
    "01": "sh",
    "02": "hh",
    "03": "ni",
    "04": "hb",
    "05": "nrw",
    "06": "he",
    "07": "rp",
    "08": "bw",
    "09": "by",
    "10": "sl",
    "11": "be",
    "12": "bb",
    "13": "mv",
    "14": "sn",
    "15": "st",
    "16": "th",
}


@dataclass(frozen=True)
class DemoCycle:
    code: str
    title: str
    period_start: date
    period_end: date
    deadline: date
    is_open: bool
    objectives: str

    @property
    def year(self) -> int:
        return self.period_start.year


#: Three calendar-year cycles covering all of Germany; the newest is open (its deadline lies
#: ahead), the older ones are closed.
CYCLES = [
    DemoCycle(
        "2024",
        "Berichtsrunde 2024 – Bestandsaufnahme",
        date(2024, 1, 1),
        date(2024, 12, 31),
        date(2025, 3, 31),
        False,
        "Erste gemeinsame Runde: Jede Kommune beschreibt ihre wichtigsten Maßnahmen in den "
        "vier Kriterien und der Verwaltung und meldet die Kernkennzahlen zu Zuweisung, "
        "Unterbringung, Sprache, Arbeit und Ehrenamt.\n\n"
        "- Maßnahmen mit Quellen belegen (Ratsvorlage, Presse, Evaluation)\n"
        "- Kontakt als Funktionsadresse angeben",
    ),
    DemoCycle(
        "2025",
        "Berichtsrunde 2025 – Übergänge in Arbeit",
        date(2025, 1, 1),
        date(2025, 12, 31),
        date(2026, 3, 31),
        False,
        "Schwerpunkt: Übergänge in Ausbildung und Arbeit (Empfehlungen B2–B4) und die "
        "Verstetigung befristet geförderter Strukturen (A3). Laufende Maßnahmen aus der "
        "Runde 2024 bitte fortschreiben.",
    ),
    DemoCycle(
        "2026",
        "Berichtsrunde 2026 – Wohnen und Ehrenamt",
        date(2026, 1, 1),
        date(2026, 12, 31),
        date(2027, 3, 31),
        True,
        "Schwerpunkt: Wohnen und dezentrale Unterbringung (A5) sowie die Koordination des "
        "Ehrenamts (C4). Laufende Maßnahmen aus den Vorrunden fortschreiben, neue ergänzen.",
    ),
]


class Flow(StrEnum):
    """The way a demo report goes through the workflow (its final state in the name)."""

    ACCEPTED = "accepted"  # submit → accept
    ACCEPTED_AFTER_RETURN = "accepted_after_return"  # submit → return → fix → submit → accept
    CORRECTED = "corrected"  # submit → accept → reopen → fix → submit → accept
    SUBMITTED = "submitted"  # submit
    SUBMITTED_AFTER_RETURN = "submitted_after_return"  # submit → return → fix → submit
    RETURNED = "returned"  # submit → return (the comments are open)
    DRAFT = "draft"  # saved, incomplete, not submitted


#: Flows of the closed cycles, dealt out in a seeded order: all accepted, a quarter after a
#: return with comments, one in eight corrected after acceptance.
CLOSED_FLOWS = [
    Flow.ACCEPTED_AFTER_RETURN,
    Flow.ACCEPTED,
    Flow.ACCEPTED,
    Flow.CORRECTED,
    Flow.ACCEPTED,
    Flow.ACCEPTED_AFTER_RETURN,
    Flow.ACCEPTED,
    Flow.ACCEPTED,
]

#: Flows of the open cycle (after Essen and one NRW report, see plan_flows): about 35 %
#: accepted, 30 % submitted, 20 % drafts, 15 % returned; the first four cover every state.
OPEN_FLOWS = [
    Flow.ACCEPTED,
    Flow.DRAFT,
    Flow.SUBMITTED,
    Flow.RETURNED,
    Flow.ACCEPTED_AFTER_RETURN,
    Flow.SUBMITTED_AFTER_RETURN,
    Flow.ACCEPTED,
    Flow.DRAFT,
    Flow.SUBMITTED,
    Flow.ACCEPTED,
    Flow.RETURNED,
    Flow.DRAFT,
    Flow.ACCEPTED,
    Flow.SUBMITTED,
    Flow.ACCEPTED_AFTER_RETURN,
    Flow.DRAFT,
    Flow.SUBMITTED_AFTER_RETURN,
    Flow.ACCEPTED,
    Flow.RETURNED,
    Flow.SUBMITTED,
]

#: The indicator a practice of a criterion is linked to (``indicator_practices``).
EXPLAINS = {
    "unterbringung": "unterbringung.dezentral_anteil",
    "sprache_bildung": "sprache_bildung.kursplaetze_kommunal",
    "arbeitsmarkt": "arbeitsmarkt.praktika",
    "zivilgesellschaft": "zivilgesellschaft.ehrenamtliche_aktiv",
    "verwaltung": "verwaltung.koordination_vze",
}


# --- accounts -----------------------------------------------------------------------------


def ensure_accounts() -> list[tuple[DemoAccount, bool]]:
    """Create the demo accounts that are missing; returns (account, created) pairs."""
    result = []
    for account in DEMO_ACCOUNTS:
        existing = accounts.find_user_by_email(account.email)
        if existing is None:
            accounts.create_user(
                None,
                account.email,
                account.role.value,
                name=account.name,
                password=DEMO_PASSWORD,
                municipality_key=account.municipality,
                scope=account.scope,
            )
        result.append((account, existing is None))
    return result


def demo_users() -> list[User]:
    emails = [a.email for a in DEMO_ACCOUNTS]
    return [u for u in (accounts.find_user_by_email(e) for e in emails) if u is not None]


def _account(email: str, role: Role, name: str, **kw: Any) -> tuple[User, bool]:
    """An account without a password (it exists for the workflow; nobody logs in with it)."""
    existing = accounts.find_user_by_email(email)
    if existing is not None:
        return existing, False
    return accounts.create_user(None, email, role.value, name=name, **kw), True


def reporter_email(municipality: Municipality) -> str:
    """The demo reporter's address of a municipality (Essen: the documented demo login)."""
    ags = municipality.reporting_ags or municipality.key
    if ags == DEMO_REPORTER_KEY:
        return DEMO_ACCOUNTS[2].email
    return f"bericht.{ags}@example.org"


def reviewer_email(land_key: str) -> str:
    """The demo reviewer's address of a Land (NRW: the documented demo login)."""
    return f"pruefung.{LAND_SLUGS.get(land_key, land_key)}@example.org"


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
    practice: dict[str, Any]  # the practice of the exchange format (id = uuid5)


def practices_path(content: Content | None = None) -> Path:
    """Where the shipped practices live."""
    content = content or current_app.extensions["omk_content"]
    return content.root / "practices" / "practices.jsonl"


def practice_id(code: str) -> str:
    """The stable UUID of a practice of the file (``d001`` → always the same id)."""
    return str(uuid.uuid5(PRACTICE_NAMESPACE, code))


def _year(value: str | None) -> int | None:
    return int(value[:4]) if value else None


def to_practice(line: dict[str, Any]) -> dict[str, Any]:
    """A line of the file as a practice of the exchange format; its main source and the
    source's date are kept as the extra fields ``source_url`` and ``source_date``."""
    return {
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
        "source_url": line.get("source_url"),
        "source_date": line.get("source_date"),
    }


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


# --- a service for the synthetic flag --------------------------------------------------------


def mark_synthetic(actor: Any, report: Report) -> None:
    """Flag a report's indicator values as synthetic (every page showing them says so)."""
    if report.has_synthetic_indicators:
        return
    with unit_of_work():
        report.has_synthetic_indicators = True
        audit.record(actor, "report.mark_synthetic", report)


# --- building one report ------------------------------------------------------------------


@dataclass
class Slip:
    """A first submission with mistakes, the reviewer's comments on them, and the replies
    the municipality gives when it fixes them."""

    document: dict[str, Any]
    comments: list[tuple[str, str]]
    replies: dict[str, str] = field(default_factory=dict)


def _document(
    ags: str, cycle_code: str, practices: list[dict[str, Any]], values: dict[str, Any]
) -> dict[str, Any]:
    """A complete omk-report/1 document; practices linked to the indicator they explain."""
    links: dict[str, list[str]] = {}
    for p in practices:
        code = EXPLAINS.get(p["criterion"])
        if code and code in values:
            links.setdefault(code, []).append(p["id"])
    return {
        "format": exchange.FORMAT,
        "municipality": ags,
        "cycle": cycle_code,
        "indicators": dict(values),
        "indicator_practices": links,
        "practices": copy.deepcopy(practices),
    }


def _slip(final: dict[str, Any], new_ids: list[str], rng: random.Random, label: Any) -> Slip:
    """The first submission of a report that is returned: one indicator and one practice
    need another look."""
    doc = copy.deepcopy(final)
    comments: list[tuple[str, str]] = []
    replies: dict[str, str] = {}
    indicators = doc["indicators"]
    optional_present = [c for c in OPTIONAL_SLIPS if c in indicators]
    if optional_present and rng.random() < 0.5:
        code = rng.choice(optional_present)
        del indicators[code]
        doc["indicator_practices"].pop(code, None)
        comments.append(
            (
                f"indicators.{code}",
                f"„{label(code)}“ fehlt. Bitte ergänzen, sofern die Zahl vorliegt "
                "(z. B. vom Jobcenter, Schulamt oder Jugendamt).",
            )
        )
    else:
        code = "verwaltung.budget_eur"
        indicators[code] = indicators[code] * 10 or 1000
        comments.append(
            (
                f"indicators.{code}",
                "Der Betrag liegt je Einwohnerin und Einwohner um ein Vielfaches über "
                "vergleichbaren Kommunen. Bitte prüfen – vielleicht eine Null zu viel?",
            )
        )
    if new_ids:
        pid = rng.choice(new_ids)
        practice = next(p for p in doc["practices"] if p["id"] == pid)
        for name in ("sources", "source_url", "source_date"):
            practice.pop(name, None)
        comments.append(
            (
                f"practices[{pid}].sources",
                "Bitte öffentliche Quellen angeben (Ratsvorlage, Pressebericht oder Seite "
                "der Kommune), damit andere Kommunen die Maßnahme nachvollziehen können.",
            )
        )
    else:
        pid = rng.choice([p["id"] for p in doc["practices"]])
        field_path = f"practices[{pid}].status"
        comments.append(
            (
                field_path,
                "Läuft die Maßnahme unverändert weiter? Bitte kurz bestätigen oder den Stand "
                "anpassen.",
            )
        )
        replies[field_path] = "Ja, die Maßnahme läuft unverändert weiter."
    return Slip(doc, comments, replies)


#: Optional indicators a first submission may lack (a return asks for them).
OPTIONAL_SLIPS = [
    "sprache_bildung.kita_kinder",
    "sprache_bildung.vorbereitungsklassen",
    "arbeitsmarkt.ausbildung",
    "zivilgesellschaft.patenschaften",
]

CORRECTION_REASON = (
    "Nach Hinweis der Kommune: Die Zahl der aktiven Ehrenamtlichen enthält Doppelzählungen "
    "(Personen, die in mehreren Initiativen aktiv sind). Bitte bereinigt erneut einreichen."
)


CORRECTION_REPLY = "Korrigiert: Mehrfach Engagierte werden jetzt nur einmal gezählt."


def _is_new(p: SourcePractice, cycle_code: str, seed: int) -> bool:
    first = first_cycle(p, seed)
    return first is not None and first.code == cycle_code


@dataclass
class _People:
    """Ids of the accounts that act in the demo (objects are loaded per report)."""

    admin: int
    reporters: dict[str, int]  # by register key
    reviewers: dict[str, int]  # by Land key

    def user(self, user_id: int) -> User:
        user = db.session.get(User, user_id)
        assert user is not None
        return user


def _build_report(
    cycle: Cycle,
    municipality: Municipality,
    items: list[SourcePractice],
    flow: Flow,
    people: _People,
    seed: int,
) -> Report:
    """Start one demo report and walk it through its flow with the real services."""
    content: Content = current_app.extensions["omk_content"]
    template = content.template(cycle.template_version)
    reporter = people.user(people.reporters[municipality.key])
    reviewer = people.user(people.reviewers[municipality.land_key])
    ags = municipality.reporting_ags or municipality.key
    optional = [c for c in template.indicator_codes() if c not in template.required_indicators()]
    values = synthetic_indicators(profile_of(municipality), cycle.code, optional, seed)
    practices = [p.practice for p in items]
    final = _document(ags, cycle.code, practices, values)
    new_ids = [p.practice["id"] for p in items if _is_new(p, cycle.code, seed)]
    rng = _rng(seed, "flow", cycle.code, ags)

    def label(code: str) -> str:
        return content.indicators[code].label

    report = reports.start_report(reporter, cycle, municipality)
    mark_synthetic(None, report)

    def save(doc: dict[str, Any]) -> None:
        reports.save_document(reporter, report, copy.deepcopy(doc), edit_version=None)

    if flow == Flow.DRAFT:
        draft = copy.deepcopy(final)
        for code in rng.sample(sorted(template.required_indicators()), 2):
            draft["indicators"].pop(code, None)
            draft["indicator_practices"].pop(code, None)
        save(draft)
        return report
    if flow == Flow.CORRECTED:
        first = copy.deepcopy(final)
        code = "zivilgesellschaft.ehrenamtliche_aktiv"
        first["indicators"][code] = first["indicators"][code] * 2 or 2
        save(first)
        reports.submit(reporter, report)
        reports.accept(reviewer, report)
        reports.reopen(reviewer, report, CORRECTION_REASON)
        save(final)
        for status in reports.open_comments(report):
            reports.reply(reporter, status.comment, CORRECTION_REPLY)
        reports.submit(reporter, report)
        reports.accept(reviewer, report)
        return report
    if flow in (Flow.ACCEPTED, Flow.SUBMITTED):
        save(final)
        reports.submit(reporter, report)
    else:
        slip = _slip(final, new_ids, rng, label)
        save(slip.document)
        reports.submit(reporter, report)
        created = reports.return_report(reviewer, report, slip.comments)
        if flow == Flow.RETURNED:
            return report
        save(final)
        for comment in created:
            if comment.field in slip.replies:
                reports.reply(reporter, comment, slip.replies[comment.field])
        reports.submit(reporter, report)
    if flow in (Flow.ACCEPTED, Flow.ACCEPTED_AFTER_RETURN):
        reports.accept(reviewer, report)
    return report


# --- the whole demo -----------------------------------------------------------------------


@dataclass
class DemoResult:
    """What ``omk demo`` did and what the demo now holds."""

    accounts: list[tuple[DemoAccount, bool]]
    other_accounts: int = 0
    other_accounts_created: int = 0
    practices: int = 0
    skipped: list[SourcePractice] = field(default_factory=list)
    reports_created: int = 0
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    cycle_status: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0


def _known(practices: list[SourcePractice]) -> tuple[dict[str, str], list[SourcePractice]]:
    """The register keys of the practices' municipalities (by reporting key), and the
    practices whose municipality is not in the register."""
    found: dict[str, str] = {}
    missing: set[str] = set()
    for ags in dict.fromkeys(p.ags for p in practices):
        try:
            found[ags] = reports.resolve_municipality(ags).key
        except NotFound:
            missing.add(ags)
    return found, [p for p in practices if p.ags in missing]


def _ensure_people(keys: list[str], result: DemoResult) -> _People:
    """A reporter account per municipality and a reviewer account per Land (without
    passwords, except the documented demo logins)."""
    admin = accounts.find_user_by_email(DEMO_ACCOUNTS[0].email)
    assert admin is not None
    reporters: dict[str, int] = {}
    reviewers: dict[str, int] = {}
    for key in sorted(keys):
        m = db.session.get(Municipality, key)
        assert m is not None
        email = reporter_email(m)
        user, created = _account(
            email,
            Role.REPORTER,
            f"Berichterstattung {m.short_name}",
            municipality_key=m.reporting_ags,
        )
        reporters[m.key] = user.id
        if email != DEMO_ACCOUNTS[2].email:
            result.other_accounts += 1
            result.other_accounts_created += created
        if m.land_key not in reviewers:
            land = db.session.get(Municipality, m.land_key)
            email = reviewer_email(m.land_key)
            user, created = _account(
                email,
                Role.REVIEWER,
                f"Prüfstelle {land.name if land else m.land_key}",
                scope=m.land_key,
            )
            reviewers[m.land_key] = user.id
            if email != DEMO_ACCOUNTS[1].email:
                result.other_accounts += 1
                result.other_accounts_created += created
    return _People(admin.id, reporters, reviewers)


def _ensure_cycle(spec: DemoCycle, admin: User) -> Cycle:
    try:
        return cycles.get_cycle(spec.code)
    except NotFound:
        return cycles.create_cycle(
            admin,
            spec.code,
            spec.period_start,
            spec.period_end,
            spec.deadline,
            regions=[""],
            title=spec.title,
            objectives=spec.objectives,
        )


def create_demo(
    seed: int = SEED,
    path: Path | None = None,
    on_skipped: Callable[[list[SourcePractice]], None] | None = None,
) -> DemoResult:
    """Create what is missing of the demo: accounts, cycles and reports (see module doc)."""
    started = time.perf_counter()
    result = DemoResult(accounts=ensure_accounts())
    practices = load_practices(path)
    found, skipped = _known(practices)
    result.practices = len(practices) - len(skipped)
    result.skipped = skipped
    if skipped:
        log.warning(
            "demo: %d practices skipped, their municipality is not in the register: %s",
            len(skipped),
            ", ".join(p.code for p in skipped),
        )
        if on_skipped:
            on_skipped(skipped)
    usable = [p for p in practices if p.ags in found]
    plan = plan_reports(usable, seed)
    with mail.held(), outbox.deferred():
        people = _ensure_people(list(found.values()), result)
        for spec in CYCLES:
            cycle_id = _ensure_cycle(spec, people.user(people.admin)).id
            entries = plan[spec.code]
            flows = plan_flows(spec, sorted(entries), seed)
            for ags in sorted(entries):
                # A fresh session per report: commits then expire a few objects, not thousands.
                db.session.close()
                cycle = db.session.get(Cycle, cycle_id)
                municipality = db.session.get(Municipality, found[ags])
                assert cycle is not None and municipality is not None
                if reports.find_report(cycle, municipality.key) is not None:
                    continue
                if cycle.status != "open":
                    log.info("demo: cycle %s is closed, no report for %s", spec.code, ags)
                    continue
                _build_report(cycle, municipality, entries[ags], flows[ags], people, seed)
                result.reports_created += 1
            db.session.close()
            cycle = db.session.get(Cycle, cycle_id)
            assert cycle is not None
            if not spec.is_open and cycle.status == "open":
                cycles.update_cycle(
                    people.user(people.admin),
                    cycle,
                    title=cycle.title,
                    objectives=cycle.objectives,
                    period_start=cycle.period_start,
                    period_end=cycle.period_end,
                    deadline=cycle.deadline,
                    status="closed",
                )
            result.counts[spec.code] = reports.report_counts(cycle)
            result.cycle_status[spec.code] = cycle.status
    result.seconds = time.perf_counter() - started
    log.info(
        "demo: %d reports created, %d practices (%d skipped) in %.1f s",
        result.reports_created,
        result.practices,
        len(skipped),
        result.seconds,
    )
    return result


#: How the summary of ``omk demo`` counts reports per state.
STATE_COUNT_LABELS = {
    ReportState.DRAFT.value: "Entwürfe",
    ReportState.SUBMITTED.value: "eingereicht",
    ReportState.RETURNED.value: "zurückgegeben",
    ReportState.ACCEPTED.value: "angenommen",
}

__all__ = [
    "CYCLES",
    "DEMO_ACCOUNTS",
    "DEMO_PASSWORD",
    "SEED",
    "DemoResult",
    "Flow",
    "create_demo",
    "demo_users",
    "ensure_accounts",
    "load_practices",
    "mark_synthetic",
    "plan_flows",
    "plan_reports",
    "practice_id",
    "synthetic_indicators",
]
