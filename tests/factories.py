"""Factories for reporting data: cycles and complete omk-report/1 documents."""

from __future__ import annotations

import copy
import uuid
from datetime import date
from typing import Any

from omk.models.reporting import Cycle
from omk.services import cycles

FULL_INDICATORS: dict[str, float | int] = {
    "unterbringung.zuweisungen": 412,
    "unterbringung.untergebracht": 980,
    "unterbringung.dezentral_anteil": 61.5,
    "unterbringung.aufenthaltsdauer_gu": 9.5,
    "sprache_bildung.kursplaetze_kommunal": 120,
    "sprache_bildung.kita_kinder": 85,
    "sprache_bildung.vorbereitungsklassen": 140,
    "arbeitsmarkt.beschaeftigt_svp": 210,
    "arbeitsmarkt.ausbildung": 35,
    "arbeitsmarkt.praktika": 60,
    "arbeitsmarkt.runder_tisch_treffen": 4,
    "zivilgesellschaft.ehrenamtliche_aktiv": 350,
    "zivilgesellschaft.patenschaften": 90,
    "zivilgesellschaft.migrantenorganisationen": 7,
    "verwaltung.koordination_vze": 3.5,
    "verwaltung.budget_eur": 450000,
    "verwaltung.geschulte_mitarbeitende": 48,
}


def make_cycle(code: str = "2025", regions: list[str] | None = None, **kw: Any) -> Cycle:
    """An open cycle over the given regions (default: all Länder of the sample)."""
    return cycles.create_cycle(
        None,
        code,
        kw.pop("period_start", date(2025, 1, 1)),
        kw.pop("period_end", date(2025, 12, 31)),
        kw.pop("deadline", date(2026, 3, 31)),
        regions=regions if regions is not None else ["01", "05", "06", "08", "09"],
        **kw,
    )


def practice(title: str = "Sprachcafé im Stadtteilzentrum", **kw: Any) -> dict[str, Any]:
    """A complete practice (every field the template requires)."""
    data: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "title": title,
        "criterion": "sprache_bildung",
        "fields": ["sprache_bildung", "partizipation"],
        "recommendations": ["B1", "C1"],
        "summary": "Wöchentliches offenes Sprachcafé mit Ehrenamtlichen.",
        "description": "Jeden Mittwoch treffen sich **Neuzugewanderte** und Ehrenamtliche.",
        "site": "Stadtteilzentrum Weststadt",
        "actors": [{"name": "Volkshochschule", "type": "bildungstraeger", "lead": True}],
        "target_groups": ["erwachsene", "frauen"],
        "started": "2019-05",
        "ended": None,
        "status": "active",
        "budget_eur": 1500,
        "staff_fte": 0.2,
        "funding": "kommunaler Haushalt",
        "outcomes": "Rund 40 Teilnehmende pro Woche.",
        "transferability": "Braucht einen Raum und zwei verlässliche Ehrenamtliche.",
        "contact": "integration@example.org",
        "sources": ["https://www.example.org/sprachcafe"],
        "adopted_from": None,
    }
    data.update(kw)
    return data


def document(
    ags: str, cycle: str = "2025", practices: list[dict[str, Any]] | None = None, **kw: Any
) -> dict[str, Any]:
    """A complete omk-report/1 document, ready to submit."""
    practices = practices if practices is not None else [practice()]
    doc: dict[str, Any] = {
        "format": "omk-report/1",
        "municipality": ags,
        "cycle": cycle,
        "indicators": copy.deepcopy(FULL_INDICATORS),
        "indicator_practices": {"sprache_bildung.kursplaetze_kommunal": [practices[0]["id"]]}
        if practices
        else {},
        "practices": practices,
    }
    doc.update(kw)
    return doc


#: Two practices that solve the same need in different words (a planted similar pair for the
#: similarity and synergy tests).
BIKE_WORKSHOPS = (
    practice(
        "Fahrradwerkstatt der Flüchtlingshilfe",
        summary="Ehrenamtliche reparieren gespendete Fahrräder mit Geflüchteten.",
        description="Schläuche, Bremsen und Ketten: gespendete Räder werden repariert.",
    ),
    practice(
        "Selbsttragende Fahrradwerkstatt des Helferkreises",
        summary="Spendenräder werden in der Werkstatt repariert und weitergegeben.",
        description="Der Helferkreis repariert gespendete Fahrräder, Bremsen und Ketten.",
    ),
)
