"""A posting list of the PostgreSQL backend kept as numbers or, when dense, as bits
(``pg_postings.Postings``): both give the same numbers, masks and membership; a list's tail
keeps how often each row holds the lexeme after title and summary (``pg_postings.Tail``)."""

from __future__ import annotations

import numpy as np
import pytest

from omk.search.pg_postings import TAIL_SHARES, Postings, Tail, mask


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
    members = np.asarray([0, 1, 3, 5, 41, 899, 900, 77_000, 99_999, 200_000], dtype=np.int32)
    assert kept.holds(members).tolist() == [int(m) in set(nums) for m in members]


def test_a_tail_keeps_each_rows_count_from_its_share() -> None:
    nums = np.arange(0, 3000, 3, dtype=np.int32)
    # as PostgreSQL returns them (float4): not in the tail, twice, three times, four or more
    shares = np.float32([0.0, TAIL_SHARES[2], TAIL_SHARES[3], TAIL_SHARES[4]])[np.arange(1000) % 4]
    tail = Tail.of(nums, shares, through=2999)
    members = nums[::7]
    expected = np.asarray([0, 2, 3, 4])[(np.arange(0, 1000, 7)) % 4]
    assert tail.counts(members).tolist() == expected.tolist()
    later = Tail.of(nums + 3000, shares, through=5999)  # rows read since, appended
    joined = Tail.joined(tail, later, through=5999)
    assert joined is not None
    assert joined.counts(members + 3000).tolist() == expected.tolist()
    assert joined.nbytes < nums.size * 8  # less than a number and a share per row
