"""The annex: method (bases, peer groups, the scoreboard table), sources, demo note."""

from __future__ import annotations

from flask import current_app
from flask_babel import gettext as _

from omk.compare.bases import BASIS_LABELS
from omk.compare.scoreboard import BAND_LABELS, BANDS, CATEGORY_LABELS
from omk.content import Content
from omk.services import compare as compare_service
from omk.services import register
from omk.synergies import content as synergy_content
from omk.synthesis.base import Builder, Context
from omk.synthesis.document import Cell, Chapter


def chapter(builder: Builder, context: Context, synthetic: bool) -> Chapter:
    """Chapter "Anhang"."""
    chapter = builder.chapter("annex", _("Anhang: Methode und Quellen"))
    content: Content = current_app.extensions["omk_content"]
    paragraphs = chapter["paragraphs"]
    paragraphs += [
        _(
            "Datengrundlage sind ausschließlich die von der regionalen Stelle angenommenen "
            "Fassungen der Berichte. Entwürfe, eingereichte und zurückgegebene Berichte sowie "
            "laufende Korrekturen gehen in keine Zahl ein."
        ),
        _(
            "Basen: Zählgrößen werden durch die Einwohnerzahl geteilt, die mit dem angenommenen "
            "Bericht gespeichert wurde (je 1.000 oder 10.000 Einwohner), oder durch die Zahl der "
            "im selben Bericht gemeldeten neu Zugewiesenen (je 100 Zugewiesene). Fehlt der "
            "Nenner, bleibt der Wert leer; es wird nie durch null geteilt."
        ),
        _(
            "Vergleichsgruppen: Verglichen wird innerhalb der Region und innerhalb einer Ebene "
            "(Kreise und kreisfreie Städte; kreisangehörige Gemeinden). Median und Quartile "
            "werden linear interpoliert, die Standardabweichung nach der Formel für die "
            "Grundgesamtheit berechnet."
        ),
        _(
            "Scoreboard: Für jede bewertete Kennzahl wird der Stand (z-Wert des Werts) und die "
            "Veränderung seit der Vorrunde (z-Wert der Veränderung) in fünf Stufen eingeteilt: "
            "sehr gut (z über 1), gut (über 0,5 bis 1), durchschnittlich (−0,5 bis 0,5), "
            "schwach (−1 bis unter −0,5), sehr schwach (unter −1); bei Kennzahlen, bei denen "
            "niedriger besser ist, mit umgekehrtem Vorzeichen. Die Kategorie ergibt sich aus "
            "Tabelle %(table)s. Mit weniger als %(min)s Werten wird nichts eingeordnet. Das "
            "Verfahren folgt dem Scoreboard des Gemeinsamen Beschäftigungsberichts der "
            "Europäischen Kommission.",
            table=builder.tables + 1,
            min=compare_service.table().min_members,
        ),
    ]
    grid = compare_service.table()
    builder.table(
        chapter,
        "t-method-scoreboard",
        _("Scoreboard: Kategorie nach Stand (Zeilen) und Veränderung (Spalten)"),
        [_("Stand \\ Veränderung"), *[_(BAND_LABELS[b]) for b in BANDS]],
        [
            [_(BAND_LABELS[level]), *[_(CATEGORY_LABELS[grid.category(level, c)]) for c in BANDS]]
            for level in BANDS
        ],
    )
    rows: list[list[Cell]] = []
    for indicator in content.indicators.values():
        label = (
            indicator.label_en if context.locale == "en" and indicator.label_en else indicator.label
        )
        direction = {
            "higher": _("höher ist besser"),
            "lower": _("niedriger ist besser"),
        }.get(indicator.direction or "", _("Kontextkennzahl, nicht bewertet"))
        rows.append([label, indicator.unit, _(BASIS_LABELS[indicator.normalise]), direction])
    builder.table(
        chapter,
        "t-method-indicators",
        _("Kennzahlen, Basen und Bewertungsrichtung"),
        [_("Kennzahl"), _("Einheit"), _("Basis"), _("Bewertung")],
        rows,
    )
    paragraphs.append(
        _(
            "Beteiligung: Erwartet sind die Kommunen der Region, die zum Ende der Frist ein "
            "Konto für die Berichterstattung hatten oder in der Runde einen Bericht eingereicht "
            "haben. Fristgerecht heißt: die erste Einreichung lag spätestens am Tag der Frist. "
            "Ein Entwurf zählt wie kein Bericht."
        )
    )
    imported = register.latest_import()
    when = imported.reference_date if imported is not None else None
    stand = when.strftime("%d.%m.%Y") if when is not None else "–"
    rubric_sources = sorted({c.source for c in synergy_content.rubric().criteria})
    paragraphs.append(_("Quellen:"))
    paragraphs += [
        _(
            "Berichte der Kommunen zur Berichtsrunde %(cycle)s, angenommene Fassungen, "
            "Stand der Erstellung dieses Berichts.",
            cycle=context.cycle.code,
        ),
        _(
            "Gemeindeverzeichnis des Statistischen Bundesamts (GV-ISys), Stand %(date)s: "
            "Einwohnerzahlen, Fläche, Verstädterungsgrad.",
            date=stand,
        ),
        _(
            "Europäische Kommission: Joint Employment Report, Methodik des Scoreboards der "
            "sozialen Indikatoren."
        ),
        _("Bewertungsbogen für gute Praxis: %(sources)s.", sources="; ".join(rubric_sources)),
    ]
    if synthetic:
        paragraphs.append(
            _(
                "Hinweis: Die Kennzahlen dieses Berichts sind ganz oder teilweise synthetisch "
                "(Demodaten). Sie zeigen, wie der Bericht aussieht, und beschreiben keine "
                "wirkliche Kommune."
            )
        )
    return chapter
