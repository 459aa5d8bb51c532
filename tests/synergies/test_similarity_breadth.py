"""Known answers for the lexical signal's weighting (omk.compare.similarity.lexical): sublinear
tf grows with the count, and a compound part weighs less than a whole word."""

from __future__ import annotations

import numpy as np

from omk.compare import similarity


def test_sublinear_tf_grows_with_the_count_and_a_part_stays_below_a_word() -> None:
    counts = [0.75, 1.0, 3.0, 9.0]  # a part, a word, a title word, a title word repeated
    # a second term in every row, so that the L2 normalisation does not hide tf
    model = similarity.model_from_counts(
        [{"x": c, "z": 1.0} for c in counts] + [{"y": 1.0}] * 3, {}, max_df=1.0
    )
    column = model.vocabulary.index("x")
    weights = np.asarray(model.matrix[:4, column].todense()).ravel().tolist()
    assert weights == sorted(weights) and len(set(weights)) == 4
