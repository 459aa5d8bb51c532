"""What the demo produces: its seed, password, accounts, cycles and report flows."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from omk.models.accounts import Role

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
