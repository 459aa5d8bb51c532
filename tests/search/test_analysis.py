"""German analysis: a table of query/document cases checked by hand, and the API around it.

A case matches when the query's terms (query mode) are a subset of the document's terms
(index mode); with ``SYN`` each query word (or synonym phrase) needs one of its alternatives
(its own term, a synonym from content/search/synonyms.txt, or its compound parts).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from omk.search import analysis

STRICT, SYN = False, True

# (query, document, expected match, with synonym expansion)
CASES: list[tuple[str, str, bool, bool]] = [
    # --- umlaut, ß and accent folding, both ways
    ("Fluechtlinge", "Hilfe für Flüchtlinge in Alheim", True, STRICT),
    ("Flüchtlinge", "Beratung fuer Fluechtlinge", True, STRICT),
    ("Strasse", "Integrationszentrum in der Wiener Straße", True, STRICT),
    ("Straße", "Wiener Strasse 12", True, STRICT),
    ("Sprachcafe", "Das Sprachcafé trifft sich montags", True, STRICT),
    ("Sprachcafé", "Ein Sprachcafe im Rathaus", True, STRICT),
    ("Ärzte", "Aerzte der Welt mobil", True, STRICT),
    ("Aerzte", "Ärzte der Welt mobil", True, STRICT),
    ("Budysin", "Bautzen / Budyšin", True, STRICT),
    ("Uebergang", "Übergang in Ausbildung", True, STRICT),
    ("MÜNCHEN", "Landkreis München", True, STRICT),
    # --- lemmas before stems: the Snowball trap and plurals
    ("Integrationskurs", "Integrationskurse für Frauen", True, STRICT),
    ("Integrationskurse", "Sie besuchen einen Integrationskurs", True, STRICT),
    ("Kita", "Neue Kitas in der Innenstadt", True, STRICT),
    ("Kitas", "Die Kita am Markt", True, STRICT),
    ("Mutter", "Mütter mit kleinen Kindern", True, STRICT),
    ("Mütter", "Angebote für jede Mutter", True, STRICT),
    ("Kurs", "Kurse für Anfängerinnen", True, STRICT),
    ("Kurse", "Der Kurs beginnt im Mai", True, STRICT),
    ("Unterkünfte", "Eine Unterkunft für zwölf Geflüchtete", True, STRICT),
    ("lotsen", "Ein Lotse begleitet die Familie", True, STRICT),
    ("Geflüchtete", "Wohnungen für Geflüchteten", True, STRICT),
    ("Kinder", "Für jedes Kind ein Platz", True, STRICT),
    ("Wohnungen", "Eine Wohnung in der Altstadt", True, STRICT),
    # --- compound splitting: parts and sub-compounds are indexed with the whole word
    ("Unterkunft", "Gemeinschaftsunterkünfte in München", True, STRICT),
    ("Förderung", "Sprachförderung in der Kita", True, STRICT),
    ("Lotse", "Ausbildungslotsen begleiten Jugendliche", True, STRICT),
    ("Gemeinschaft", "Leben in der Gemeinschaftsunterkunft", True, STRICT),
    ("Sprache", "Sprachförderung von Anfang an", True, STRICT),
    ("Sozialarbeit", "Flüchtlingssozialarbeit im Landkreis", True, STRICT),
    ("Wohnraum", "Wohnraumakquise für Geflüchtete", True, STRICT),
    ("Akquise", "Wohnraumakquise für Geflüchtete", True, STRICT),
    ("Klasse", "Willkommensklassen an Grundschulen", True, STRICT),
    ("Willkommen", "Willkommensklassen an Grundschulen", True, STRICT),
    ("Koordination", "Ehrenamtskoordination im Rathaus", True, STRICT),
    ("Ehrenamt", "Ehrenamtskoordination im Rathaus", True, STRICT),
    ("Tagesstätte", "Plätze in einer Kindertagesstätte", True, STRICT),
    ("Arbeitsmarkt", "Arbeitsmarktintegration von Frauen", True, STRICT),
    ("Kitaplätze", "Es fehlen Kita-Plätze", True, STRICT),
    ("Kita-Plätze", "mehr Kitaplätze", True, STRICT),
    ("Sprach-Café", "Das Sprachcafé", True, STRICT),
    ("Café", "Ein Sprach-Café für Frauen", True, STRICT),
    ("Platz", "Es fehlen Kita-Plätze", True, STRICT),
    ("Stelle", "Eine Anlaufstelle für Geflüchtete", True, STRICT),
    ("Amt", "Das Jugendamt vermittelt", True, STRICT),
    ("Rat", "Der Integrationsrat der Stadt", True, STRICT),
    ("Haus", "Das Integrationshaus Gartenstraße", True, STRICT),
    ("Kurs", "Ein neues Kursangebot", True, STRICT),
    ("Gesundheitskarte", "Die Gesundheitskarte für Asylsuchende", True, STRICT),
    ("Sprachförderung", "Förderung der Sprache", False, STRICT),
    ("Fluechtlingssozialarbeit", "Flüchtlingssozialarbeit", True, STRICT),
    ("Sprachkurse", "Sprach- und Integrationskurse für Frauen", True, STRICT),
    ("Jugendhilfe", "Träger der Kinder- und Jugendhilfe", True, STRICT),
    ("Sportverein", "Sport- oder Musikvereine", True, STRICT),
    ("Botschafter", "Kulturbotschafterinnen aus Syrien", True, STRICT),
    # --- no over-splitting: lexicalised words stay whole
    ("kommen", "Willkommen in Gotha", False, STRICT),
    ("kommen", "Willkommensklassen an Grundschulen", False, STRICT),
    ("kommen", "Familien mit geringem Einkommen", False, STRICT),
    ("Will", "Willkommen in Gotha", False, STRICT),
    ("Hand", "Handwerk und Ehrenamt", False, STRICT),
    ("Werk", "Mit Ehrenamt und Handwerk zur Unterkunft", False, STRICT),
    ("Rat", "Beratung für Familien", False, STRICT),
    ("Amt", "Ehrenamt im Sportverein", False, STRICT),
    ("Garten", "Ein Kindergarten im Stadtteil", False, STRICT),
    ("Haus", "Sprechstunde im Rathaus", False, STRICT),
    ("Tag", "Jeden Freitag ab 16 Uhr", False, STRICT),
    ("nehmen", "Unternehmen aus der Region", False, STRICT),
    ("Schaft", "Eine Patenschaft für jede Familie", False, STRICT),
    ("Lot", "Ausbildungslotsen", False, STRICT),
    # participles of separable verbs are no compounds (zu|ge|wandert, not Zuge + wanderte)
    ("Zug", "Beratung für Zugewanderte", False, STRICT),
    ("wandern", "Beratung für Neuzugewanderte", False, STRICT),
    ("Zugewanderte", "Beratung für Neuzugewanderte", True, STRICT),
    ("Rat", "Der Rat der Stadt", True, STRICT),
    # --- words, stop words, abbreviations, numbers, URLs
    ("VHS", "Kurse der VHS Erlangen", True, STRICT),
    ("vhs", "VHS-Kurse am Abend", True, STRICT),
    ("VHS-Kurse", "Kurse der VHS am Abend", True, STRICT),
    ("Covid-19", "Seit Covid-19 digital", True, STRICT),
    ("BAMF", "vom Bamf gefördert", True, STRICT),
    ("2015", "seit Herbst 2015", True, STRICT),
    ("2.500", "rund 2500 Beratungen", True, STRICT),
    ("B1", "Sprachniveau B1 erreicht", True, STRICT),
    ("der", "der Kurs", False, STRICT),  # a query of stop words only matches nothing
    ("für Frauen", "Angebote für Frauen", True, STRICT),
    ("Frauen Kurs", "Kurse für Frauen", True, STRICT),
    ("Frauen Kurs", "Kurse für Männer", False, STRICT),
    ("alheim", "Mehr unter https://www.alheim.de/news", False, STRICT),
    ("info", "Kontakt: info@stadt-beispiel.de", False, STRICT),
    ("Lehrer", "Lehrer*innen gesucht", True, STRICT),
    ("Lehrerinnen", "Lehrer:innen gesucht", True, STRICT),
    ("Pate", "Patinnen begleiten Familien", True, STRICT),
    ("Migrant", "MigrantInnen beraten MigrantInnen", True, STRICT),
    # --- synonyms (query-time expansion)
    ("Flüchtlinge", "Beratung für Geflüchtete", False, STRICT),
    ("Flüchtlinge", "Beratung für Geflüchtete", True, SYN),
    ("Fluechtlinge", "Sprechstunde für Asylsuchende", True, SYN),
    ("Asylbewerber", "Schutzsuchende in der Erstaufnahme", True, SYN),
    ("Kita", "Plätze in Kindertagesstätten", False, STRICT),
    ("Kita", "Plätze in Kindertagesstätten", True, SYN),
    ("VHS", "Kurse der Volkshochschule", True, SYN),
    ("Volkshochschule", "VHS-Kurse am Abend", True, SYN),
    ("Agentur für Arbeit", "Kooperation mit der Arbeitsagentur", True, SYN),
    ("Arbeitsagentur", "die Agentur für Arbeit in Rostock", True, SYN),
    ("Jobcenter", "Arbeitsagentur Rostock", False, SYN),
    ("UMF", "unbegleitete minderjährige Geflüchtete in Wohngruppen", True, SYN),
    ("Ehrenamt", "Freiwillige helfen beim Umzug", True, SYN),
    ("Wohnung", "Wohnraum für Familien", True, SYN),
    ("Integrationskurs", "Sprachkurs für Mütter", True, SYN),
    ("Sprachkurs", "Integrationskurs für Mütter", False, SYN),
    ("Sprachförderung", "Förderung der Sprache", True, SYN),
    ("Sprachcafé", "Sprachtreff im Stadtteilzentrum", True, SYN),
    ("Kita Jobcenter", "Kindergarten und Jobcenter", True, SYN),
    ("Kita Jobcenter", "Kindergarten und Arbeitsagentur", False, SYN),
    # German administrative synonyms (general municipal language, not from any query set)
    ("Bürgeramt", "Termine im Bürgerbüro", True, SYN),
    ("Meldebehörde", "Anmeldung beim Einwohnermeldeamt", True, SYN),
    ("Tagesmutter", "Plätze in der Kindertagespflege", True, SYN),
    ("Wohnungslosigkeit", "Hilfe bei drohender Obdachlosigkeit", True, SYN),
    ("Zuwanderer", "Beratung für Migrantinnen", True, SYN),
    ("Bürgergeld", "Leistungen nach Hartz IV", True, SYN),
    ("Jugendamt", "Anträge beim Sozialamt", False, SYN),
    # municipal and integration vocabulary: everyday words find the official ones, the names
    # the Länder give one office meet, one-way lines stay one way
    ("Rathauschef", "Die Bürgermeisterin lädt zum Empfang ein", True, SYN),
    ("Bürgermeister", "Der Rathauschef lädt zum Empfang ein", False, SYN),
    ("Neuankömmlinge", "Beratung für Neuzugewanderte", True, SYN),
    ("Landratsamt", "Sprechstunde in der Kreisverwaltung", True, SYN),
    ("Helferjobs", "Vermittlung in Helfertätigkeiten", True, SYN),
    ("Erstorientierung", "Wegweiserkurse für Asylsuchende", True, SYN),
    ("Erstorientierung", "Der Orientierungskurs beginnt im Mai", True, SYN),
    ("Orientierungskurs", "Erstorientierung für Asylsuchende", False, SYN),
    ("Minijob", "geringfügige Beschäftigung im Einzelhandel", True, SYN),
    ("ÖPNV", "Mit Bus und Bahn zum Sprachkurs", True, SYN),
    ("Handy", "Smartphones für Schülerinnen", True, SYN),
    ("Vermieter", "Wohnungseigentümer gesucht", True, SYN),
    ("Leerstand", "Viele Häuser stehen leer", True, SYN),
    ("Alphabetisierung", "Alpha-Kurse für Frauen", True, SYN),
    ("Einstiegsqualifizierung", "eine EQ im Handwerk", True, SYN),
    ("Helferkreis", "Der Unterstützerkreis Asyl trifft sich", True, SYN),
    ("Gemeinderat", "Beschluss der Stadtverordnetenversammlung", True, SYN),
    ("Quereinsteiger", "Seiteneinsteiger an Grundschulen", True, SYN),
    ("Seiteneinsteiger", "Quereinsteiger im Lehrerberuf", False, SYN),
    ("Arbeit", "Beschäftigung für Geflüchtete", True, SYN),
    # loose associations are left to the thesaurus: work is not training, a flat no shelter
    ("Arbeit", "Ausbildung für Geflüchtete", False, SYN),
    ("Unterkunft", "Wohnungen in der Altstadt", False, SYN),
    # "Geduldete" shares its term with "Geduld" (patience): only a way in
    ("Geduldete", "Beratung für Menschen mit Duldung", True, SYN),
    ("Menschen mit Duldung", "mit viel Geduld begleitet", False, SYN),
]


@pytest.mark.parametrize(("query", "document", "expected", "use_synonyms"), CASES)
def test_match_table(query: str, document: str, expected: bool, use_synonyms: bool) -> None:
    assert analysis.matches(query, document, use_synonyms=use_synonyms) is expected, (
        analysis.terms(query, "query"),
        analysis.terms(document),
    )


def test_table_is_large_enough() -> None:
    assert len(CASES) >= 60
    assert len({(q, d, s) for q, d, _, s in CASES}) == len(CASES)


def test_snowball_trap_is_avoided() -> None:
    assert analysis.terms("Integrationskurs") == analysis.terms("Integrationskurse")
    assert analysis.terms("Kitas", "query") == ["kita"]
    assert analysis.terms("Mütter", "query") == analysis.terms("Mutter", "query")


@pytest.mark.parametrize(
    ("word", "parts"),
    [
        ("Gemeinschaftsunterkünfte", ("gemeinschaft", "unterkünfte")),
        ("Sprachförderung", ("sprach", "förderung")),
        ("Ausbildungslotsen", ("ausbildung", "lotsen")),
        ("Willkommensklassen", ("willkommen", "klassen")),
        ("Ehrenamtskoordination", ("ehrenamt", "koordination")),
        ("Willkommen", ()),
        ("Handwerk", ()),
        ("Beratung", ()),
    ],
)
def test_split_compound(word: str, parts: tuple[str, ...]) -> None:
    assert analysis.split_compound(word) == parts


def test_positions_and_offsets() -> None:
    text = "Sprach-Café und Gemeinschaftsunterkünfte"
    tokens = analysis.analyze(text)
    assert {t.pos for t in tokens} == {0, 1}
    whole = [t for t in tokens if t.kind == "word"]
    assert [t.text for t in whole] == ["sprachcaf", "gemeinschaftsunterkunft"]
    assert [text[t.startchar : t.endchar] for t in whole] == [
        "Sprach-Café",
        "Gemeinschaftsunterkünfte",
    ]
    parts = {t.text for t in tokens if t.pos == 1 and t.kind == "part"}
    assert parts == {"gemeinschaft", "unterkunft"}


def test_query_mode_has_only_whole_words() -> None:
    assert analysis.terms("Gemeinschaftsunterkünfte in München", "query") == [
        "gemeinschaftsunterkunft",
        "munch",
    ]


def test_query_terms_alternatives() -> None:
    alternatives = analysis.query_terms("Flüchtlinge")
    assert alternatives[0] == ("fluchtling",)
    assert tuple(analysis.terms("Geflüchtete", "query")) in alternatives
    assert analysis.query_terms("Sprachförderung", use_synonyms=False) == [
        ("sprachforder",),
        ("sprach", "forder"),
    ]
    assert analysis.query_terms("und") == []
    # a compound of three parts: two halves at each cut, never every part on its own, so
    # "Tagesstätte für Kinder" matches but not any text with "Kinder", "Tag" and "statt"
    assert analysis.query_terms("Kindertagesstätte", use_synonyms=False) == [
        ("kindertagesstatt",),
        ("kind", "tagesstatt"),
        ("kindertag", "statt"),
    ]


def test_expand_query_finds_phrases() -> None:
    parts = analysis.expand_query("Agentur für Arbeit Kita")
    assert [part.text for part in parts] == ["Agentur für Arbeit", "Kita"]
    assert ("arbeitsagentur",) in parts[0].alternatives
    assert parts[1].alternatives[0] == ("kita",)


def test_synonym_format() -> None:
    rules = analysis.parse_synonyms(
        ["# comment", "", "Kita, Kindertagesstätte", "Integrationskurs => Sprachkurs"]
    )
    assert rules.alternatives(("kita",)) == (("kindertagesstatt",),)
    assert rules.alternatives(("kindertagesstatt",)) == (("kita",),)
    assert rules.alternatives(("integrationskur",)) == (("sprachkur",),)
    assert rules.alternatives(("sprachkur",)) == ()


def test_every_synonym_entry_analyses_to_terms() -> None:
    path = analysis.data_dir() / analysis.SYNONYMS_FILE
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        for entry in line.replace("=>", ",").split(","):
            if entry.strip():
                assert analysis.terms(entry, "query"), entry


def test_whoosh_analyzer_indexes_the_same_terms() -> None:
    from whoosh.fields import ID, TEXT, Schema
    from whoosh.filedb.filestore import RamStorage
    from whoosh.qparser import QueryParser

    german = analysis.whoosh_analyzer()
    text = "Gemeinschaftsunterkünfte und Sprach-Café für Geflüchtete"
    assert [t.text for t in german(text)] == analysis.terms(text)
    # Whoosh analyzers yield one token object again and again: read it while iterating.
    places = [(t.text, t.pos, t.startchar, t.endchar) for t in german(text, True, True)]
    assert places == [(t.text, t.pos, t.startchar, t.endchar) for t in analysis.analyze(text)]

    schema = Schema(uid=ID(stored=True, unique=True), body=TEXT(analyzer=german, stored=True))
    ix = RamStorage().create_index(schema)
    with ix.writer() as writer:
        writer.add_document(uid="a", body=text)
        writer.add_document(uid="b", body="Willkommen in Gotha: Handwerk und Beratung")
        writer.add_document(uid="c", body="Integrationskurse für Mütter")
    parser = QueryParser("body", schema)
    with ix.searcher() as searcher:

        def hits(query: str) -> list[str]:
            return sorted(hit["uid"] for hit in searcher.search(parser.parse(query)))

        assert hits("Unterkunft") == ["a"]
        assert hits("Sprachcafe") == ["a"]
        assert hits("Fluechtlinge") == []  # the synonym expansion is the search module's job
        assert hits("Geflüchteten") == ["a"]
        assert hits("kommen") == []
        assert hits("Hand") == []
        assert hits("Integrationskurs Mutter") == ["c"]
        assert hits('"Integrationskurse für Mütter"') == ["c"]
        highlighted = searcher.search(parser.parse("Unterkunft"))[0].highlights("body")
        assert '">Gemeinschaftsunterkünfte</b>' in highlighted


def test_tsvector_literal_keeps_terms_and_positions() -> None:
    literal = analysis.tsvector_literal("Sprachförderung und Kita-Plätze; Kita", "A")
    assert literal == (
        "'sprachforder':1A 'sprach':1A 'forder':1A 'kitaplatz':2A 'kita':2A,3A 'platz':2A"
    )
    with pytest.raises(ValueError, match="weight"):
        analysis.tsvector_literal("Kita", "E")


def test_data_files_are_consistent() -> None:
    assert "willkommen" in analysis.nosplit()
    assert "fuer" in analysis.stopwords()  # für, in its transliterated form
    assert "weg" not in analysis.stopwords()  # the noun "Weg"
    assert analysis.zipf_of("Sprache") > 4
    assert analysis.zipf_of("Fluechtlingshilfe") > 0  # umlauts spelt out find the word


def test_use_data_dir_reads_another_folder(tmp_path: Path) -> None:
    for name in (analysis.LEXICON_FILE, analysis.STOPWORDS_FILE, analysis.NOSPLIT_FILE):
        shutil.copy(analysis.DEFAULT_DATA_DIR / name, tmp_path / name)
    (tmp_path / analysis.SYNONYMS_FILE).write_text("Kita, Krippe\n", encoding="utf-8")
    try:
        analysis.use_data_dir(tmp_path)
        assert analysis.data_dir() == tmp_path
        assert analysis.query_terms("Kita") == [("kita",), ("kripp",)]
    finally:
        analysis.use_data_dir(None)
    assert ("kindertagesstatt",) in analysis.query_terms("Kita")


def test_analysis_module_imports_no_flask_or_database() -> None:
    import ast

    package = Path(analysis.__file__).parent  # every module of the package
    trees = [ast.parse(path.read_text(encoding="utf-8")) for path in package.glob("*.py")]
    assert len(trees) > 1
    imported = {
        name.split(".")[0]
        for tree in trees
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for name in (
            [alias.name for alias in node.names]
            if isinstance(node, ast.Import)
            else [node.module or ""]
        )
    }
    assert not imported & {"flask", "sqlalchemy", "omk", "psycopg", "flask_sqlalchemy"}


def test_edge_cases() -> None:
    assert analysis.analyze("") == []
    assert analysis.terms(" … – „“ !? ") == []
    blob = "Qx" * 2500  # a pasted blob is no word: no term (PostgreSQL refuses > 2,047 bytes)
    assert analysis.terms(blob) == []
    assert analysis.terms(f"Sprachcafé {blob}") == analysis.terms("Sprachcafé")
    assert analysis.terms("Donaudampfschifffahrtsgesellschaft")[0] == (
        "donaudampfschifffahrtsgesellschaft"
    )


def test_a_run_of_letters_longer_than_any_word_gets_no_term() -> None:
    """A pasted hash or a 3,000-letter run is no word: no term longer than PostgreSQL's
    tsvector takes (2,047 bytes) can reach either backend, and the words around it keep
    their terms."""
    run = "Integrationskursteilnehmerbetreuung" * 90
    assert analysis.terms(f"{run} Sprachcafé") == analysis.terms("Sprachcafé")
    longest = "Grundstücksverkehrsgenehmigungszuständigkeitsübertragungsverordnung"
    assert analysis.terms(longest)  # the longest German words are still words
    assert all(len(term.encode()) < 2047 for term in analysis.terms(run * 3, "query"))
