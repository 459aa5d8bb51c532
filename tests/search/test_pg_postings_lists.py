"""A posting list of the PostgreSQL backend kept as numbers or, when dense, as bits
(``pg_postings.Postings``): both give the same numbers and masks."""

from __future__ import annotations

import numpy as np
import pytest

from omk.search.pg_postings import Postings, mask


@pytest.mark.parametrize(
    "nums",
    [
        [],
        [5],
        [0, 1, 2, 3, 4, 5, 6, 7, 8],  # dense: bits
        [3, 900, 77_000],  # sparse: numbers
        list(range(0, 100_000, 3)),  # a third of the rows
        [*range(1, 40, 2), 41],  # ends within a byte of bits
    ],
)
def test_numbers_and_bits_give_the_same_list(nums: list[int]) -> None:
    array = np.asarray(nums, dtype=np.int32)
    kept = Postings.of(array, None, through=len(nums))
    assert kept.nums.tolist() == nums
    for size in (0, 7, 40, 41, 42, 64, 100_001):
        assert kept.mask(size).tolist() == mask(size, array).tolist(), size
    if len(nums) > 2 and nums[-1] < 32 * len(nums):
        assert kept.packed and kept.stored.nbytes < array.nbytes
