"""Known answers for the lexical signal's weighting (omk.compare.similarity.lexical): sublinear
tf grows with the count, and a compound part weighs less than a whole word."""

from __future__ import annotations

import numpy as np

from omk.compare import similarity
from omk.compare.similarity import Item

BACKGROUND = [
    ("Sprachcafé", "Ehrenamtliche sprechen wöchentlich Deutsch mit Neuzugewanderten im Café."),
    ("Jobmesse", "Arbeitgeber und Bewerber treffen sich zu Vorstellungsgesprächen."),
    ("Dolmetscherpool", "Sprachmittler begleiten Termine bei Ärzten und Behörden."),
    ("Schwimmkurs", "Schwimmlehrer bringen Frauen das Schwimmen im Hallenbad bei."),
    ("Gartenprojekt", "Interkultureller Garten mit Beeten, Gemüse und Kompost."),
    ("Theaterprojekt", "Jugendliche proben gemeinsam ein Theaterstück auf der Bühne."),
    ("Nähwerkstatt", "Frauen nähen Kleidung an Nähmaschinen und verkaufen sie."),
    ("Elterntreff", "Eltern tauschen sich über Schule und Erziehung aus."),
]


def _item(key: str, title: str, summary: str, description: str) -> Item:
    return Item(
        id=key,
        lineage_id=key,
        municipality_key=f"m-{key}",
        title=title,
        summary=summary,
        description=description,
    )


def corpus() -> list[Item]:
    items = [_item(f"bg{n}", title, text, text) for n, (title, text) in enumerate(BACKGROUND)]
    items += [
        _item(
            "a",
            "Zukunftswerkstatt: Bürgerkommission berät den Magistrat",
            "In der Zukunftswerkstatt erarbeitet eine Bürgerkommission Vorschläge.",
            "Die Zukunftswerkstatt tagt monatlich; Vereine, Kirchengemeinde und Feuerwehr "
            "bringen Ideen ein, die Bürgerkommission legt sie dem Magistrat vor.",
        ),
        # one salient word, repeated everywhere: a look-alike
        _item(
            "lookalike",
            "Zukunftswerkstatt Schulhof",
            "Eine Zukunftswerkstatt plant den Schulhof neu.",
            "Schülerinnen entwerfen in der Zukunftswerkstatt Spielgeräte; die "
            "Zukunftswerkstatt stellt sie aus, die Zukunftswerkstatt lädt ein.",
        ),
        # several distinct shared words, each once: the same need
        _item(
            "twin",
            "Beirat für Integration",
            "Ein Beirat berät den Magistrat.",
            "Feuerwehr und Vereine schlagen Maßnahmen vor.",
        ),
    ]
    return items


def _cosines() -> tuple[float, float, tuple[str, ...]]:
    items = corpus()
    model = similarity.lexical_model(items)
    index = {item.id: n for n, item in enumerate(items)}
    matrix = model.matrix
    a = matrix[index["a"]]
    twin = float(a.multiply(matrix[index["twin"]]).sum())
    lookalike = float(a.multiply(matrix[index["lookalike"]]).sum())
    return twin, lookalike, similarity.shared_terms(model, index["a"], index["twin"])


def test_sublinear_tf_grows_with_the_count_and_a_part_stays_below_a_word() -> None:
    counts = [0.75, 1.0, 3.0, 9.0]  # a part, a word, a title word, a title word repeated
    # a second term in every row, so that the L2 normalisation does not hide tf
    model = similarity.model_from_counts(
        [{"x": c, "z": 1.0} for c in counts] + [{"y": 1.0}] * 3, {}, max_df=1.0
    )
    column = model.vocabulary.index("x")
    weights = np.asarray(model.matrix[:4, column].todense()).ravel().tolist()
    assert weights == sorted(weights) and len(set(weights)) == 4
