"""Block emission: subtensor's own cases, the halving switch points, and its basic laws."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import taocore
from conftest import load_vectors
from taocore import emission

CASES = [c for c in load_vectors("subtensor-epoch-cases.json")["emission_cases"]
         if c["function"] == "get_block_emission_for_issuance"]


def test_the_cases_are_there() -> None:
    assert len(CASES) == 10


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["id"])
def test_subtensor_cases(case: dict[str, object]) -> None:
    inputs = case["inputs"]
    assert isinstance(inputs, dict)
    assert emission.block_emission(int(inputs["issuance"])) == case["expected"]


# The exact issuance at which each halving starts (spec §8.1, found by bisection on the model).
SWITCH_POINTS = [
    (10_500_000_000_000_000, 500_000_000),
    (15_750_000_000_000_000, 250_000_000),
    (18_375_000_000_000_000, 125_000_000),
    (19_687_500_000_000_000, 62_500_000),
]


@pytest.mark.parametrize(("issuance", "after"), SWITCH_POINTS)
def test_switch_points(issuance: int, after: int) -> None:
    assert emission.block_emission(issuance) == after
    assert emission.block_emission(issuance - 1) == 2 * after


@given(a=st.integers(0, 21 * 10**15 + 10), b=st.integers(0, 21 * 10**15 + 10))
def test_never_increases_and_halves_exactly(a: int, b: int) -> None:
    lo, hi = sorted((a, b))
    e_lo, e_hi = emission.block_emission(lo), emission.block_emission(hi)
    assert e_hi <= e_lo
    # Every value is 1e9 / 2^k, floored, or 0 at and past the supply.
    assert e_lo in {10**9 >> k for k in range(40)} | {0}


def test_bad_input() -> None:
    with pytest.raises(ValueError, match="negative"):
        emission.block_emission(-1)
    with pytest.raises(ValueError, match="int"):
        emission.block_emission(1.5)  # type: ignore[arg-type]
    assert emission.block_emission(2**70) == 0
    # numpy integers are taken as the ints they hold.
    for issuance in (0, 10_500_000 * 10**9, 20 * 10**15):
        assert emission.block_emission(np.uint64(issuance)) == emission.block_emission(issuance)
    assert emission.block_emission(np.int64(5)) == emission.block_emission(5)
    assert taocore.emission.TOTAL_SUPPLY_RAO == 21 * 10**15
