"""Messages the app translates at run time from a variable (``_(label)``, ``_(exc.message)``).

``pybabel extract`` only finds literal strings, so the strings that reach ``gettext`` through a
variable are listed here for it. Never imported by the app. tests/test_i18n.py checks that this
list still covers the dictionaries it mirrors and that every entry has an English translation.
"""

from __future__ import annotations


def _(message: str) -> str:
    """Marker for extraction only."""
    return message


def pgettext(context: str, message: str) -> str:
    """Marker for extraction only (a message in a context)."""
    return message


#: omk.models.accounts.ROLE_LABELS
ROLE_LABELS = [
    _("Berichterstattung (Kommune)"),
    _("Lesezugang (Fachkraft)"),
    _("Prüfung (Regionale Stelle)"),
    _("Administration"),
]

#: omk.models.register.TYPE_LABELS, shown as a label ("Art: Kreisfreie Stadt"); in their own
#: context, as some of the words are also qualifiers of names ("Warendorf (district)")
TYPE_LABELS = [
    pgettext("register type", "Kreisfreie Stadt"),
    pgettext("register type", "Stadtkreis"),
    pgettext("register type", "Kreis"),
    pgettext("register type", "Landkreis"),
    pgettext("register type", "Regionalverband"),
    pgettext("register type", "Verbandsfreie Gemeinde"),
    pgettext("register type", "Amt"),
    pgettext("register type", "Samtgemeinde"),
    pgettext("register type", "Verbandsgemeinde"),
    pgettext("register type", "Verwaltungsgemeinschaft"),
    pgettext("register type", "Kirchspielslandgemeinde"),
    pgettext("register type", "Verwaltungsverband"),
    pgettext("register type", "Verwaltungsgemeinschaft (Trägermodell)"),
    pgettext("register type", "Erfüllende Gemeinde"),
    pgettext("register type", "Markt"),
    pgettext("register type", "Stadt"),
    pgettext("register type", "Kreisangehörige Gemeinde"),
    pgettext("register type", "Gemeindefreies Gebiet, bewohnt"),
    pgettext("register type", "Gemeindefreies Gebiet, unbewohnt"),
    pgettext("register type", "Große Kreisstadt"),
]

#: omk.models.register.URBANISATION_LABELS
URBANISATION_LABELS = [
    _("dicht besiedelt"),
    _("mittlere Besiedlungsdichte"),
    _("gering besiedelt"),
]

#: Units of the indicator catalogue (content/indicators.yaml); "%" and "EUR" need none.
UNITS = [
    _("Personen"),
    _("Monate"),
    _("Plätze"),
    _("Kinder"),
    _("Schülerinnen und Schüler"),
    _("Anzahl"),
    _("VZÄ"),
]

#: omk.errors.GENERIC_MESSAGES
GENERIC_MESSAGES = [
    _("Die Anfrage war ungültig."),
    _("Bitte melden Sie sich an."),
    _("Sie haben keine Berechtigung für diese Seite oder Aktion."),
    _("Die Seite oder der Datensatz wurde nicht gefunden."),
    _("Diese Methode ist hier nicht erlaubt."),
    _("Der Datensatz wurde inzwischen geändert."),
    _("Die Anfrage ist zu groß."),
    _("Die Eingaben enthalten Fehler."),
    _("Zu viele Versuche. Bitte warten Sie etwas."),
    _("Ein interner Fehler ist aufgetreten."),
    _("Der Dienst ist vorübergehend nicht verfügbar."),
]

#: Messages of domain errors that views show with ``_(exc.message)``.
ERROR_MESSAGES = [
    _("Sie haben keine Berechtigung für diese Aktion."),
    _("Diese Seite hat keine Berechtigungsregel."),
    _("E-Mail-Adresse oder Passwort ist falsch."),
    _("Dieser Link ist abgelaufen. Bitte fordern Sie einen neuen an."),
    _("Dieser Link ist ungültig."),
    _("Dieser Link wurde bereits benutzt oder ist nicht mehr gültig."),
    _("Dieses Konto gibt es nicht."),
    _("Dieses Token gibt es nicht."),
    _("Diesen Schlüssel gibt es im Gemeindeverzeichnis nicht."),
    # omk.services.accounts: who may add whom, four eyes on accepting.
    _(
        "Diese Kommune hat schon eine Berichterstattung. Weitere Konten für die "
        "Berichterstattung laden deren Berichterstattende oder die Administration ein."
    ),
    _(
        "Dies ist das letzte aktive Konto der Berichterstattung dieser Kommune. "
        "Nur die Administration kann es deaktivieren oder ändern."
    ),
    _(
        "Diesen Bericht hat ein Konto bearbeitet oder eingereicht, das von Ihnen (oder über "
        "Ihr Konto) eingeladen wurde. Annehmen muss ihn eine andere Prüfstelle oder die "
        "Administration."
    ),
]

#: omk.compare.bases.BASIS_LABELS
BASIS_LABELS = [
    _("keine"),
    _("je 1.000 Einwohner"),
    _("je 10.000 Einwohner"),
    _("je Einwohner"),
    _("je 100 Zugewiesene"),
]

#: omk.compare.names: kinds added to a name where two entries would read the same.
NAME_KINDS = [
    _("Land"),
    _("Regierungsbezirk"),
    _("Region"),
    _("Kreis"),
    _("Gemeindeverband"),
    _("Gemeinde"),
    _("Landkreis"),
    _("Regionalverband"),
    _("kreisfreie Stadt"),
    _("Stadtkreis"),
]

#: omk.compare.definitions.COMPARISON_LEVEL_LABELS
COMPARISON_LEVEL_LABELS = [
    _("Kreisebene (Landkreise und kreisfreie Städte)"),
    _("Gemeindeebene (kreisangehörige Gemeinden)"),
]

#: omk.compare.definitions.SIZE_CLASSES (BBSR)
SIZE_CLASS_LABELS = [
    _("unter 5.000 Einwohner"),
    _("5.000 bis unter 20.000 Einwohner"),
    _("20.000 bis unter 50.000 Einwohner"),
    _("50.000 bis unter 100.000 Einwohner"),
    _("100.000 bis unter 500.000 Einwohner"),
    _("500.000 Einwohner und mehr"),
]

#: omk.compare.bases.normalise: why a comparison value is missing.
NORMALISATION_REASONS = [
    _("keine Einwohnerzahl im Gemeindeverzeichnis"),
    _("Zahl der neu Zugewiesenen nicht angegeben"),
    _("keine neu Zugewiesenen im Berichtszeitraum"),
]

#: omk.search.labels.FACET_TITLES (the search page's filter headings)
FACET_TITLES = [
    _("Kriterium"),
    _("Handlungsfeld"),
    _("Handlungsempfehlung"),
    _("Land"),
    _("Kreis"),
    _("Besiedlung"),
    _("Größe der Kommune"),
    _("Berichtsrunde"),
    _("Akteure"),
    _("Zielgruppe"),
    _("Stand"),
    _("Gute Praxis"),
]

#: omk.compare.similarity: the parts of a similar practice's explanation.
SIMILARITY_REASONS = [
    _("gleiches Kriterium"),
    _("gleiche Zielgruppe"),
    _("gemeinsame Begriffe: %(terms)s"),
    _("ähnlicher Inhalt"),
]

#: omk.compare.coverage.DIMENSION_LABELS (the coverage page's column switch)
COVERAGE_DIMENSIONS = [
    _("Handlungsempfehlungen"),
    _("Handlungsfelder"),
    _("Kriterien"),
]

#: omk.numbers: problems with a typed number or month (translated by the report forms).
NUMBER_PROBLEMS = [
    _("Bitte eine Zahl eingeben, z. B. 1.234 oder 12,5."),
    _("Bitte eine ganze Zahl eingeben."),
    _("Bitte als JJJJ oder MM/JJJJ angeben, z. B. 05/2019."),
]

#: omk.synergies: provider labels and the messages of its errors (translated at the edge)
SYNERGIES = [
    _("Gemeinsame Partner"),
    _("Ähnliche Maßnahmen"),
    _("Übertragungsvorschläge"),
    _("Unbekannte Art von Vorschlag."),
    _("Die Notiz ist zu lang."),
    _("Diesen Vorschlag gibt es (nicht mehr)."),
    _("Bitte eine Bewertung wählen."),
    _("Bitte die Bewertung kurz begründen."),
    _("Der Text ist zu lang."),
    _("Bitte eine schriftliche Begründung (ein, zwei Sätze)."),
    _("Bitte das Ergebnis wählen."),
    _("Bitte mindestens eine Kommune einladen."),
    _("Höchstens 20 Kommunen je Peer Review."),
    _("Die gastgebende Kommune lädt sich nicht ein."),
    _("Bitte beantworten."),
    _("Die Synthese ist geschrieben; Antworten sind nicht mehr möglich."),
    _("Bitte eine Synthese schreiben (ein, zwei Absätze)."),
    _("Die Synthese ist bereits veröffentlicht."),
    _("Diese Peer Review gibt es nicht."),
    _("Keine veröffentlichte Maßnahme mit dieser ID."),
    _("Bitte die Maßnahme angeben."),
    _("Eine Maßnahme wird von einer anderen Kommune übernommen, nicht von der eigenen."),
    _("Diese Maßnahme ist eine der eigenen Kommune; übernommen wird von anderen."),
]

#: omk.compare.scoreboard.BAND_LABELS and CATEGORY_LABELS (the JER scoreboard)
SCOREBOARD_LABELS = [
    _("sehr gut"),
    _("gut"),
    _("durchschnittlich"),
    _("schwach"),
    _("sehr schwach"),
    _("beste Ergebnisse"),
    _("besser als der Durchschnitt"),
    _("gut, aber zu beobachten"),
    _("schwach, aber aufholend"),
    _("zu beobachten"),
    _("kritische Lage"),
]

#: omk.compare.peers.GROUP_LABELS
GROUP_LABELS = [
    _("ausgewählte Kommunen"),
    _("Region (Land, Regierungsbezirk oder Kreis)"),
    _("gleiche Größenklasse"),
    _("gleicher Verstädterungsgrad"),
    _("die ähnlichsten Kommunen (Einwohner und Dichte)"),
]

#: omk.services.compare: why a value is missing, and what a comparison needs.
COMPARE_MESSAGES = [
    _("im veröffentlichten Bericht nicht angegeben"),
    _("Bitte wählen Sie eine Größenklasse."),
    _("Bitte wählen Sie einen Verstädterungsgrad."),
    _("Bitte wählen Sie eine Kommune."),
    _("Unbekannte Vergleichsgruppe."),
    _("Diese Berichtsrunde gibt es nicht."),
]
