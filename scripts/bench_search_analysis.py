"""Measure the German analysis: compound splitting accuracy and speed (prints numbers).

    .venv/bin/python scripts/bench_search_analysis.py

Accuracy: GOLD, domain compounds split by hand (parts as dictionary words; a word that must
stay whole has no parts). Speed: every distinct word of the demo practices, caches cleared.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

from omk.search import analysis

ROOT = Path(__file__).resolve().parent.parent

# word: expected parts ("" = must not be split)
GOLD: dict[str, str] = {
    # the ten compounds of issue 10 / ECOSYSTEM.md
    "Gemeinschaftsunterkünfte": "Gemeinschaft Unterkunft",
    "Sprachförderung": "Sprache Förderung",
    "Integrationskurse": "Integration Kurs",
    "Wohnraumakquise": "wohnen Raum Akquise",
    "Ausbildungslotsen": "Ausbildung Lotse",
    "Willkommensklassen": "Willkommen Klasse",
    "Ehrenamtskoordination": "Ehrenamt Koordination",
    "Kindertagesstätte": "Kinder Tag Stätte",
    "Arbeitsmarktintegration": "Arbeit Markt Integration",
    "Flüchtlingssozialarbeit": "Flüchtling sozial Arbeit",
    # more domain compounds
    "Integrationsbeirat": "Integration Beirat",
    "Ausländerbehörde": "Ausländer Behörde",
    "Anlaufstelle": "Anlauf Stelle",
    "Sprachkurse": "Sprache Kurs",
    "Deutschkurse": "deutsch Kurs",
    "Erstaufnahmeeinrichtung": "erst Aufnahme Einrichtung",
    "Jugendamt": "Jugend Amt",
    "Stadtverwaltung": "Stadt Verwaltung",
    "Gesundheitskarte": "Gesundheit Karte",
    "Patenschaftsmodell": "Patenschaft Modell",
    "Wohnungsgesellschaft": "Wohnung Gesellschaft",
    "Schulsozialarbeit": "Schule sozial Arbeit",
    "Praktikumsplätze": "Praktikum Platz",
    "Kitaplätze": "Kita Platz",
    "Landkreis": "Land Kreis",
    "Stadtteil": "Stadt Teil",
    "Fahrradwerkstatt": "Fahrrad Werkstatt",
    "Integrationskonzept": "Integration Konzept",
    "Migrationsberatung": "Migration Beratung",
    "Sprachcafé": "Sprache Café",
    "Integrationslotsen": "Integration Lotse",
    "Ausbildungsplätze": "Ausbildung Platz",
    "Arbeitgeber": "Arbeit Geber",
    "Handwerkskammer": "Handwerk Kammer",
    "Asylbewerberleistungsgesetz": "Asylbewerber Leistung Gesetz",
    "Frauencafé": "Frau Café",
    "Begegnungsstätte": "Begegnung Stätte",
    "Stadtbibliothek": "Stadt Bibliothek",
    "Sportvereine": "Sport Verein",
    "Mietwohnungen": "Miete Wohnung",
    # words that must stay whole
    "Willkommen": "",
    "Handwerk": "",
    "Beratung": "",
    "Unternehmen": "",
    "Verwaltung": "",
    "Gemeinschaft": "",
    "Teilhabe": "",
    "Ehrenamt": "",
    "Information": "",
    "Wohnung": "",
    "Ausbildung": "",
    "Einrichtung": "",
    "Integration": "",
    "Kindergarten": "",
    "Rathaus": "",
    "Vermieter": "",
    "Angebot": "",
    "Begegnung": "",
    "Patenschaft": "",
    "Bürgerschaft": "",
}


def part_terms(parts: str) -> set[str]:
    return {term for word in parts.split() if (term := word_term(word))}


def leaves(word: str) -> set[str]:
    split = analysis.split_compound(word)
    return {term for part in split if (term := word_term(part))}


def word_term(word: str) -> str | None:
    analysed = analysis.analyze_word(word)
    return analysed.term if analysed else None


def clear_caches() -> None:
    analysis.clear_word_caches()


def corpus_words() -> list[str]:
    words: set[str] = set()
    for line in (ROOT / "content/practices/practices.jsonl").read_text("utf-8").splitlines():
        record = json.loads(line)
        text = " ".join(str(record[k]) for k in ("title", "summary", "description", "outcomes"))
        words.update(re.findall(r"[^\W\d_]{2,}", text))
    return sorted(words)


def main() -> None:
    analysis.warm_up()
    right = 0
    for word, expected in GOLD.items():
        got = leaves(word)
        ok = got == (part_terms(expected) if expected else set())
        right += ok
        if not ok:
            print(f"  wrong: {word}: {analysis.split_compound(word)} (expected {expected!r})")
    compounds = [w for w, e in GOLD.items() if e]
    right_compounds = sum(leaves(w) == part_terms(GOLD[w]) for w in compounds)
    print(
        f"splitting: {right}/{len(GOLD)} right ({right_compounds}/{len(compounds)} compounds, "
        f"{right - right_compounds}/{len(GOLD) - len(compounds)} words kept whole)"
    )
    words = corpus_words()
    clear_caches()
    started = time.perf_counter()
    for word in words:
        analysis.split_compound(word)
    split_seconds = time.perf_counter() - started
    clear_caches()
    started = time.perf_counter()
    for word in words:
        analysis.analyze_word(word)
    word_seconds = time.perf_counter() - started
    text = (ROOT / "content/practices/practices.jsonl").read_text("utf-8")
    count = len(analysis.terms(text))
    text_seconds = float("inf")
    for _ in range(3):  # best of three: the machine is shared
        started = time.perf_counter()
        analysis.terms(text)
        text_seconds = min(text_seconds, time.perf_counter() - started)
    print(
        f"splitter, cold cache: {len(words)} distinct words in {split_seconds:.2f} s "
        f"= {len(words) / split_seconds:,.0f} words/s"
    )
    print(f"whole word analysis, cold cache: {len(words) / word_seconds:,.0f} words/s")
    print(
        f"text analysis, warm cache, best of 3: {len(text) / text_seconds / 1e6:.2f} MB/s, "
        f"{count / text_seconds:,.0f} terms/s ({count} terms in {text_seconds:.2f} s)"
    )


if __name__ == "__main__":
    main()
