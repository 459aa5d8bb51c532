"""Similar practices with known answers (omk.compare.similarity): planted twins are found and
ranked above look-alikes, never within a municipality or lineage, nothing above the threshold
for a practice without a twin, and explanations in words."""

from __future__ import annotations

import numpy as np
import pytest

import omk.search.analysis as analysis
from omk.compare import similarity
from omk.compare.similarity import Item

COMMON = "Die Stadt unterstützt Geflüchtete bei der Integration vor Ort."

TOPICS = [
    ("Sprachcafé", "Ehrenamtliche sprechen wöchentlich Deutsch mit Neuzugewanderten im Café."),
    ("Kita-Brückenangebot", "Spielgruppen bereiten Kinder ohne Kitaplatz auf die Kita vor."),
    ("Jobmesse", "Arbeitgeber und Bewerber treffen sich zu Vorstellungsgesprächen."),
    ("Dolmetscherpool", "Sprachmittler begleiten Termine bei Ärzten und Behörden."),
    ("Schwimmkurs", "Schwimmlehrer bringen Frauen das Schwimmen im Hallenbad bei."),
    ("Gartenprojekt", "Interkultureller Garten mit Beeten, Gemüse und Kompost."),
    ("Studienvorbereitung", "Hochschule bereitet studieninteressierte Flüchtlinge vor."),
    ("Gesundheitslotsen", "Lotsen erklären Vorsorge, Impfungen und Krankenversicherung."),
    ("Theaterprojekt", "Jugendliche proben gemeinsam ein Theaterstück auf der Bühne."),
    ("Schuldnerberatung", "Beratung zu Handyverträgen, Mahnungen und Schulden."),
    ("Führerscheinkurs", "Fahrschule übersetzt Theorie für die Führerscheinprüfung."),
    ("Nähwerkstatt", "Frauen nähen Kleidung an Nähmaschinen und verkaufen sie."),
    ("Hausaufgabenhilfe", "Schüler bekommen Hilfe bei Hausaufgaben und Mathematik."),
    ("Mieterschulung", "Mülltrennung, Lüften und Hausordnung für neue Mieter."),
    ("Elterntreff", "Eltern tauschen sich über Schule und Erziehung aus."),
    ("Sportverein", "Fußballtraining und Vereinsmitgliedschaft für junge Männer."),
]


def corpus() -> list[Item]:
    items = [
        Item(
            id=f"t{n}",
            lineage_id=f"t{n}",
            municipality_key=f"m{n}",
            title=f"{title} in der Stadt",
            summary=text,
            description=f"{COMMON} {text}",
            criterion=f"c{n % 4}",
            target_groups=("erwachsene",),
        )
        for n, (title, text) in enumerate(TOPICS)
    ]
    items += [
        Item(
            id="bike-a",
            lineage_id="bike-a",
            municipality_key="ma",
            title="Fahrradwerkstatt der Flüchtlingshilfe",
            summary="Ehrenamtliche reparieren gespendete Fahrräder mit Geflüchteten.",
            description=f"{COMMON} In der Fahrradwerkstatt reparieren Geflüchtete gespendete "
            "Räder selbst; Schläuche, Bremsen und Ketten werden gewechselt.",
            criterion="mobilitaet",
            target_groups=("erwachsene", "jugendliche"),
        ),
        Item(
            id="bike-b",
            lineage_id="bike-b",
            municipality_key="mb",
            title="Selbsttragende Fahrradwerkstatt des Helferkreises",
            summary="Spendenräder werden in der Werkstatt repariert und an Geflüchtete gegeben.",
            description=f"{COMMON} Der Helferkreis repariert gespendete Fahrräder, wechselt "
            "Bremsen und Ketten und gibt die Räder gegen eine kleine Spende weiter.",
            criterion="mobilitaet",
            target_groups=("jugendliche",),
        ),
        # a look-alike: shares "Flüchtlingshilfe", "Ehrenamtliche", "Spenden", not the need
        Item(
            id="clothes",
            lineage_id="clothes",
            municipality_key="mc",
            title="Kleiderkammer der Flüchtlingshilfe",
            summary="Ehrenamtliche sortieren gespendete Kleidung für Geflüchtete.",
            description=f"{COMMON} Die Kleiderkammer gibt Winterjacken und Schuhe aus.",
            criterion="zivilgesellschaft",
            target_groups=("familien",),
        ),
        # the same municipality and a later version of bike-a: never neighbours of bike-a
        Item(
            id="bike-a-2",
            lineage_id="bike-a",
            municipality_key="ma",
            title="Fahrradwerkstatt der Flüchtlingshilfe",
            summary="Ehrenamtliche reparieren gespendete Fahrräder mit Geflüchteten.",
            description="Fahrradwerkstatt mit gespendeten Rädern, Bremsen und Ketten.",
        ),
        Item(
            id="bike-a-other",
            lineage_id="bike-a-other",
            municipality_key="ma",
            title="Fahrradwerkstatt am Bahnhof",
            summary="Gespendete Fahrräder werden repariert.",
            description="Bremsen, Ketten und Schläuche für gespendete Räder.",
        ),
        # a practice without a twin anywhere
        Item(
            id="bees",
            lineage_id="bees",
            municipality_key="md",
            title="Imkerei mit Bienenvölkern",
            summary="Ein Imker zeigt, wie aus Waben Honig wird.",
            description=f"{COMMON} Ein Imker zeigt Bienenstöcke und Honigschleudern.",
        ),
    ]
    return items


def score_of(scored: similarity.Scored, items: list[Item], a: str, b: str) -> float:
    index = {item.id: n for n, item in enumerate(items)}
    i, j = sorted((index[a], index[b]))
    hits = np.nonzero((scored.a == i) & (scored.b == j))[0]
    assert len(hits) == 1, (a, b)
    return float(scored.score[hits[0]])


def test_the_planted_twin_is_found_first_and_above_the_look_alike() -> None:
    items = corpus()
    found = similarity.similar(items)
    assert found["bike-b"], "the twin is above the threshold"
    assert found["bike-b"][0].id in {"bike-a", "bike-a-2", "bike-a-other"}
    scored = similarity.score_pairs(items)
    assert score_of(scored, items, "bike-a", "bike-b") > score_of(
        scored, items, "bike-b", "clothes"
    )
    assert all(n.id != "clothes" for n in found["bike-b"])


def test_never_the_same_lineage_or_municipality() -> None:
    items = corpus()
    found = similarity.similar(items, threshold=-100.0, k=100)
    municipality = {item.id: item.municipality_key for item in items}
    lineage = {item.id: item.lineage_id for item in items}
    for practice, neighbours in found.items():
        for n in neighbours:
            assert municipality[n.id] != municipality[practice]
            assert lineage[n.id] != lineage[practice]
    assert {"bike-a-2", "bike-a-other"}.isdisjoint(n.id for n in found["bike-a"])


def test_a_practice_without_a_twin_gets_none() -> None:
    found = similarity.similar(corpus())
    assert found["bees"] == []
    assert found["t0"] == []


def test_shared_terms_are_words_and_the_explanation_says_why() -> None:
    found = similarity.similar(corpus())
    twin = next(n for n in found["bike-b"] if n.id == "bike-a")
    assert "Fahrradwerkstatt" in twin.terms
    assert all(term[:1].isupper() or term.islower() for term in twin.terms)  # surface words
    # nouns and names are what a reader recognises as the shared subject; never a number
    assert all(term[:1].isupper() for term in twin.terms)
    assert "stadt" not in {t.lower() for t in twin.terms}  # ubiquitous, no distinction
    text = twin.explanation()
    assert text.startswith("gleiche Zielgruppe, gleiches Kriterium, gemeinsame Begriffe: ")
    assert "Fahrradwerkstatt" in text
    assert twin.explanation(lambda m: {"gleiches Kriterium": "same criterion"}.get(m, m)).count(
        "same criterion"
    )


def test_explanation_parts() -> None:
    neighbour = similarity.Neighbour(
        id="x",
        lineage_id="x",
        municipality_key="m",
        score=3.0,
        lexical=0.4,
        dense=None,
        terms=("Wohnraumakquise", "Vermieter"),
        same_criterion=True,
        shared_target_groups=("familien",),
    )
    assert neighbour.explanation() == (
        "gleiche Zielgruppe, gleiches Kriterium, gemeinsame Begriffe: Wohnraumakquise, Vermieter"
    )
    meaning = similarity.Neighbour("y", "y", "m", 2.5, 0.0, 0.93, (), False, ())
    assert meaning.explanation() == "ähnlicher Inhalt"


def test_vectors_are_blended_as_z_scores_not_raw() -> None:
    items = corpus()
    rng = np.random.default_rng(7)
    base = rng.normal(size=(len(items), 16)).astype(np.float32)
    base += 20  # raw cosines bunch near 1, as e5's do
    twin = {item.id: n for n, item in enumerate(items)}
    base[twin["bike-b"]] = base[twin["bike-a"]] + rng.normal(scale=0.05, size=16)
    with_vectors = [Item(**{**item.__dict__, "vector": base[n]}) for n, item in enumerate(items)]
    found = similarity.similar(with_vectors)
    assert found["bike-b"][0].id == "bike-a"
    assert found["bike-b"][0].dense is not None
    assert found["bees"] == []
    # one item without a vector: lexical only for all
    partial = [*with_vectors[:-1], Item(**{**items[-1].__dict__, "vector": None})]
    assert similarity.score_pairs(partial).dense is None


@pytest.mark.parametrize("prune", [None, 16])
def test_all_pairs_best_first_with_pruning(prune: int | None) -> None:
    items = corpus()
    pairs = similarity.all_pairs(items, prune=prune, candidates=5)
    assert pairs, "the planted twin must be found"
    first, neighbour = pairs[0]
    assert "bike-b" in {first.a, first.b}
    assert {first.a, first.b} & {"bike-a", "bike-a-2", "bike-a-other"}
    assert neighbour is not None and neighbour.terms
    scores = [p.score for p, _ in pairs]
    assert scores == sorted(scores, reverse=True)


def test_structure_penalises_other_criteria_and_weighs_shared_recommendations() -> None:
    def item(n: int, criterion: str, recommendations: tuple[str, ...]) -> Item:
        return Item(
            id=f"s{n}",
            lineage_id=f"s{n}",
            municipality_key=f"m{n}",
            title="x",
            criterion=criterion,
            recommendations=recommendations,
        )

    items = [
        item(0, "wohnen", ("A1", "B2")),
        item(1, "wohnen", ("A1",)),
        item(2, "arbeit", ("A1", "B2")),
        item(3, "", ()),
        item(4, "wohnen", (*(f"X{n}" for n in range(70)), "A1")),  # more than one mask
    ]
    a = np.array([0, 0, 0, 4, 4])
    b = np.array([1, 2, 3, 1, 0])
    added = similarity.structure(items, a, b)
    penalty, weight = similarity.CRITERION_PENALTY, similarity.RECOMMENDATION_WEIGHT
    expected = [
        weight * 0.5,  # same criterion, A1 of A1 and B2
        -penalty + weight * 1.0,  # other criterion, the same recommendations
        0.0,  # nothing known: neither agreement nor disagreement
        weight * 1 / 71,
        weight * 1 / 72,
    ]
    assert added.tolist() == pytest.approx(expected)


def test_structure_penalises_classifications_that_share_nothing() -> None:
    def item(n: int, **fields: tuple[str, ...]) -> Item:
        return Item(id=f"s{n}", lineage_id=f"s{n}", municipality_key=f"m{n}", title="x", **fields)

    items = [
        item(0, fields=("wohnen",), target_groups=("frauen",), actor_types=("ehrenamt",)),
        item(1, fields=("wohnen", "arbeit"), target_groups=("frauen",), actor_types=("ehrenamt",)),
        item(2, fields=("arbeit",), target_groups=("kinder",), actor_types=("verein",)),
        item(3, fields=("arbeit",), target_groups=("alle",), actor_types=()),
        item(4),
    ]
    a = np.array([0, 0, 0, 0])
    b = np.array([1, 2, 3, 4])
    added = similarity.structure(items, a, b)
    penalty = similarity.DISAGREEMENT_PENALTY
    assert added.tolist() == pytest.approx(
        [
            0.0,  # a shared field, group and actor type: no evidence against
            -3 * penalty,  # three classifications that share nothing
            -penalty,  # "alle" shares with every group; no actor types: unknown
            0.0,  # nothing known
        ]
    )


def test_shared_terms_are_nouns_never_numbers_or_cut_compounds() -> None:
    """What a reviewer reads beside a pair: its shared subjects ("Praktika", "Handwerk"), not
    "15", a truncated "Metall-" or a verb both texts happen to use."""
    from omk.compare.similarity.lexical import lexical_model, shared_terms

    text = (
        "Die Kammer erarbeitet 15 Praktika in Metall- und Elektroberufen; "
        "das Handwerk vermittelt Praktika."
    )
    items = [
        Item(id=f"p{n}", lineage_id=f"p{n}", municipality_key=f"m{n}", title=title, summary=text)
        for n, title in enumerate(("Praktikumsbörse", "Ausbildungsbörse", "Sprachcafé"))
    ]
    model = lexical_model(items)
    terms = shared_terms(model, 0, 1)
    assert terms and all(t[:1].isupper() for t in terms)
    assert not any(t.isdigit() or t.endswith("-") for t in terms)
    assert "erarbeitet" not in terms


def _filler(n: int) -> Item:
    """A practice on another subject, so that document frequencies mean something."""
    subjects = (
        "Fahrradwerkstatt mit Ehrenamtlichen",
        "Sprachcafé in der Stadtbücherei",
        "Patenschaften für Familien",
        "Bewerbungstraining mit dem Jobcenter",
        "Elterncafé an der Grundschule",
        "Mädchenfußball im Sportverein",
        "Nähwerkstatt im Quartierszentrum",
        "Hausaufgabenhilfe für Schulkinder",
        "Kleiderkammer des Roten Kreuzes",
        "Dolmetscherpool für Arztbesuche",
    )
    subject = subjects[n % len(subjects)]
    return Item(
        id=f"f{n}",
        lineage_id=f"f{n}",
        municipality_key=f"fm{n}",
        title=subject,
        summary=f"Die Stadt bietet {subject} an. Wer mitmachen will, meldet sich bei der "
        "Verwaltung; Informationen stehen auf den Seiten der Gemeinde.",
    )


_PAIR_TEXTS = {
    "aachen": (
        "Online-Übersicht der Deutschkurse",
        "Die Stadt veröffentlicht eine Online-Übersicht aller Deutschkurse mit freien Plätzen. "
        "Wer einen Kurs sucht, findet ihn auf den Seiten der Stadt. Die Verwaltung pflegt die "
        "Übersicht mit den Volkshochschulen.",
    ),
    "stockach": (
        "Online-Sprachkurse für Berufstätige",
        "Die Gemeinde vermittelt Online-Sprachkurse am Abend. Wer tagsüber arbeitet, lernt "
        "Deutsch am Abend; die Volkshochschule stellt die Lehrkräfte. Informationen stehen "
        "auf den Seiten der Gemeinde, die Verwaltung berät.",
    ),
    "essen": (
        "Wohnraumakquise bei privaten Vermietern",
        "Die Stadt gewinnt private Vermieter für Geflüchtete: Wer eine Wohnung anbietet, "
        "bekommt eine Ansprechperson in der Verwaltung. Die Wohnraumakquise übernimmt "
        "Mietverträge und begleitet die Vermieter.",
    ),
    "kita-a": (
        "Kita-Lotsen für neu zugewanderte Familien",
        "Kita-Lotsen begleiten Eltern bei der Anmeldung im Kindergarten und übersetzen beim "
        "Aufnahmegespräch.",
    ),
    "kita-b": (
        "Lotsen-Team für Kindergartenplätze",
        "Das Lotsen-Team hilft Eltern bei der Anmeldung und begleitet sie zum Aufnahmegespräch "
        "im Kindergarten.",
    ),
    "kiel": (
        "Wohnraumakquise: Vermieter gewinnen",
        "Wer als Vermieter eine Wohnung an Geflüchtete vermietet, erhält Beratung. Daneben "
        "hilft die Wohnraumakquise der Stadt bei Mietverträgen. Die Verwaltung zahlt die "
        "Kaution.",
    ),
}


def _pair_corpus() -> list[Item]:
    pair = [
        Item(id=key, lineage_id=key, municipality_key=key, title=title, summary=summary)
        for key, (title, summary) in _PAIR_TEXTS.items()
    ]
    return pair + [_filler(n) for n in range(30)]


@pytest.mark.parametrize(
    ("a", "b", "expected", "never"),
    [
        # they share "Wohnraumakquise" and "Vermieter" as words both texts contain; "Wer" is a
        # function word, "Stadt" and "Verwaltung" are in most practices
        ("essen", "kiel", {"Wohnraumakquise", "Vermieter"}, {"Wer", "Stadt", "Verwaltung"}),
        # "Daneben" starts a sentence but is no noun
        ("kiel", "essen", {"Wohnraumakquise", "Vermieter"}, {"Wer", "Daneben", "Stadt"}),
        # only the part "online" of two different compounds is shared (and "Online" is an
        # everyday word): never Aachen's "Online-Übersicht", which Stockach lacks, nor the
        # "Deutschkurse" Stockach has only as "Deutsch" and "Sprachkurse"
        ("aachen", "stockach", {"Volkshochschulen"}, {"Online-Übersicht", "Deutschkurse"}),
        ("stockach", "aachen", {"Volkshochschule"}, {"Online-Sprachkurse", "Seiten", "Gemeinde"}),
        # a piece of a hyphenated word is a word of its own: "Lotsen" of "Kita-Lotsen" and
        # "Lotsen-Team", never the compound only one side writes
        ("kita-a", "kita-b", {"Lotsen", "Aufnahmegespräch"}, {"Kita-Lotsen", "Lotsen-Team"}),
        ("kita-b", "kita-a", {"Lotsen", "Kindergarten"}, {"Kita-Lotsen", "Lotsen-Team"}),
    ],
)
def test_shown_terms_are_distinctive_words_both_texts_contain(
    a: str, b: str, expected: set[str], never: set[str]
) -> None:
    from omk.compare.similarity.lexical import item_words, lexical_model, shared_terms

    items = _pair_corpus()
    model = lexical_model(items)
    index = {item.id: n for n, item in enumerate(items)}
    words = (item_words(items[index[a]]), item_words(items[index[b]]))
    terms = shared_terms(model, index[a], index[b], words=words)
    assert expected <= set(terms)
    assert not never & set(terms)
    for term in terms:  # every shown word (or its lemma) stands in both texts as a word
        assert term in words[0][analysis.terms(term)[0]]
        assert analysis.terms(term)[0] in words[1]
    stop = analysis.stopwords()
    assert not any(analysis.transliterate(t.lower()) in stop for t in terms)


def test_the_spelling_both_texts_use_is_shown() -> None:
    """Essen writes "Vermietern" and "Vermieter", Kiel "Vermieter": the shared spelling."""
    from omk.compare.similarity.lexical import item_words, lexical_model, shared_terms

    items = _pair_corpus()
    index = {item.id: n for n, item in enumerate(items)}
    words = (item_words(items[index["essen"]]), item_words(items[index["kiel"]]))
    terms = shared_terms(lexical_model(items), index["essen"], index["kiel"], words=words)
    assert "Vermieter" in terms and "Vermietern" not in terms


def test_shown_terms_leave_out_terms_common_to_many_practices() -> None:
    """A term in more than SHOWN_MAX_DF of the practices is not shown, however strong."""
    from omk.compare.similarity.lexical import SHOWN_MAX_DF, lexical_model

    items = _pair_corpus()
    model = lexical_model(items)
    n = len(items)
    found = similarity.similar(items, threshold=-100.0)
    for term in found["essen"][0].terms + found["kiel"][0].terms:
        key = analysis.terms(term)[0]
        column = model.vocabulary.index(key)
        df = int((model.matrix[:, column] != 0).sum())
        assert df <= SHOWN_MAX_DF * n, term


def test_similar_shows_the_words_both_practices_contain() -> None:
    """The terms stored for the page, the API and the synergy view (``similar`` and
    ``all_pairs``) follow the same rule."""
    items = _pair_corpus()
    near = similarity.similar(items, threshold=-100.0)
    kiel = next(n for n in near["essen"] if n.id == "kiel")
    assert {"Wohnraumakquise", "Vermieter"} <= set(kiel.terms)
    assert "Wer" not in kiel.terms and "Stadt" not in kiel.terms
    pairs = similarity.all_pairs(items, threshold=-100.0, k=None)
    stockach = next(nb for pair, nb in pairs if {pair.a, pair.b} == {"aachen", "stockach"})
    assert stockach is not None and "Online-Übersicht" not in stockach.terms
    stockach_words = similarity.item_words(next(i for i in items if i.id == "stockach"))
    assert all(analysis.terms(t)[0] in stockach_words for t in stockach.terms)
