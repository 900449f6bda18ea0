"""Replays all 104 math assertions of subtensor's tests (tests/vectors/subtensor-epoch-cases.json)
against taocore's I32F32 helpers (private ``taocore._core.consensus``), on raw fixed-point bits."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from backend_runs import assert_same_digest, run_on_backend
from conftest import BACKENDS, load_vectors
from taocore._native import _core

C = _core.consensus
CASES = load_vectors("subtensor-epoch-cases.json")["math_cases"]
ONE = 1 << 32
I32F32_MAX = (1 << 63) - 1
I32F32_MIN = -(1 << 63)


def bits(value: float | int | str, literal: str = "f32") -> int:
    """substrate_fixed's ``from_num``: the float's exact value rounded to 2^-32, ties to even."""
    if value == "MAX" or value == "I32F32::MAX":
        return I32F32_MAX
    if value == "MIN" or value == "I32F32::MIN":
        return I32F32_MIN
    x = float(value)
    if literal == "f32":
        x = float(np.float32(x))
    return round(Fraction(x) * ONE)


def vec(spec: dict[str, Any]) -> list[int]:
    if "i32f32_bits" in spec:
        return [int(b) for b in spec["i32f32_bits"]]
    return [bits(v, spec.get("literal", "f32")) for v in spec["values"]]


def sparse(rows: list[list[Any]], literal: str = "f32") -> list[list[tuple[int, int]]]:
    return [[(int(j), bits(v, literal)) for j, v in row] for row in rows]


def close_sparse(
    got: list[list[tuple[int, int]]], want: list[list[Any]], compare: Any, literal: str
) -> None:
    assert [[j for j, _ in row] for row in got] == [[int(j) for j, _ in row] for row in want]
    for grow, wrow in zip(got, want, strict=False):
        for (_, g), (_, w) in zip(grow, wrow, strict=False):
            if compare == "exact":
                assert g == bits(w, literal)
            else:
                assert abs(g / ONE - w) <= compare["abs_epsilon"]


def run_case(case: dict[str, Any]) -> None:
    f = case["function"]
    inp, exp, cmp = case["inputs"], case["expected"], case["compare"]
    lit = inp.get("literal", "f32")
    if f == "vec_max_upscale_to_u16":
        assert C.vec_max_upscale_to_u16(vec(inp["vector"])) == exp["u16"]
    elif f == "vec_u16_max_upscale_to_u16":
        assert C.vec_u16_max_upscale_to_u16(inp["u16"]) == exp["u16"]
    elif f == "check_vec_max_limited":
        assert C.check_vec_max_limited(inp["u16"], inp["max_limit"]) is exp["bool"]
    elif f.startswith("alpha = I32F32(1)"):
        assert C.bonds_moving_average_alpha(inp["bonds_moving_average"]) == exp["i32f32_bits"]
    elif f.startswith("I64F64(num)/I64F64(21e15)"):
        assert C.u64_share(inp["num"], inp["den"]) == (exp["i64f64_bits"], exp["i32f32_bits"])
    elif f == "exp_safe":
        got = [C.exp_safe(bits(x, "f64")) for x in inp["cases"]]
        assert got == exp["i32f32_bits"]
    elif f.startswith("sigmoid_safe"):
        if isinstance(inp["input"], dict):
            xs = vec(inp["input"])
        else:
            xs = [bits(x, inp["input_literal"]) for x in inp["input"]]
        if "rho" in inp:
            rho, kappa = bits(inp["rho"]), bits(inp["kappa"])
        else:
            rho_text = f.split("(")[1].split(",")[1].strip()
            rho, kappa = bits(int(rho_text)), bits(0.5, "f32")
        assert [C.sigmoid_safe(x, rho, kappa) for x in xs] == exp["i32f32_bits"]
    elif f == "is_topk":
        assert C.is_topk(vec(inp["vector"]), inp["k"]) == exp["bool"]
    elif f == "normalize / inplace_normalize":
        got = C.normalize(vec(inp["vector"]))
        assert got == exp["i32f32_bits_model"]
        assert np.allclose(np.array(got) / ONE, exp["values"], atol=cmp["abs_epsilon"], rtol=0)
    elif f.startswith("vecdiv"):
        assert C.vecdiv(vec(inp["x"]), vec(inp["y"])) == exp["result"]
        assert C.vecdiv(vec(inp["x2"]), vec(inp["y2"])) == exp["result2_i32f32_bits"]
    elif f == "inplace_row_normalize_sparse":
        got = C.row_normalize_sparse(sparse(inp["sparse_matrix"], lit))
        close_sparse(got, exp["sparse_matrix"], cmp, lit)
    elif f.startswith("inplace_col_normalize_sparse"):
        got = C.col_normalize_sparse(sparse(inp["sparse_matrix"], lit), inp["columns"])
        close_sparse(got, exp["sparse_matrix"], cmp, lit)
    elif f.startswith("inplace_col_max_upscale_sparse"):
        got = C.col_max_upscale_sparse(sparse(inp["sparse_matrix"], lit), inp["columns"])
        close_sparse(got, exp["sparse_matrix"], cmp, lit)
    elif f == "mask_rows_sparse":
        got = C.mask_rows_sparse(inp["mask"], sparse(inp["sparse_matrix"]))
        close_sparse(got, exp["sparse_matrix"], cmp, lit)
    elif f == "mask_diag_sparse_except_index":
        got = C.mask_diag_sparse_except_index(sparse(inp["sparse_matrix"]), inp["except_index"])
        close_sparse(got, exp["sparse_matrix"], cmp, lit)
    elif f.startswith("vec_mask_sparse_matrix"):
        op = inp["fn"].split()[1]
        got = C.vec_mask_sparse_matrix(
            sparse(inp["sparse_matrix"]), inp["first"], inp["second"], op
        )
        close_sparse(got, exp["sparse_matrix"], cmp, lit)
    elif f.startswith("matmul_sparse"):
        got = C.matmul_sparse(sparse(inp["sparse_matrix"]), vec(inp["vector"]), 3)
        assert got == vec(exp["vector"])
    elif f == "matmul_transpose_sparse":
        got = C.matmul_transpose_sparse(sparse(inp["sparse_matrix"]), vec(inp["vector"]))
        assert got == vec(exp["vector"])
    elif f == "row_hadamard_sparse":
        got = C.row_hadamard_sparse(sparse(inp["sparse_matrix"]), vec(inp["vector"]))
        close_sparse(got, exp["sparse_matrix"], cmp, lit)
    elif f.startswith("col_clip_sparse"):
        got = C.col_clip_sparse(sparse(inp["sparse_matrix"]), vec(inp["col_threshold"]))
        close_sparse(got, exp["sparse_matrix"], cmp, lit)
    elif f.startswith("weighted_median(stake, score"):
        stake = vec(inp["stake"])
        minority = ONE - vec(inp["majority"])[0]
        got = C.weighted_median(stake, vec(inp["score"]), minority, 0, sum(stake))
        assert got == vec(exp["value"])[0]
    elif f.startswith("weighted_median with stake=normalize"):
        stake = C.normalize(vec(inp["stake"]))
        minority = ONE - bits(0.51)
        got = C.weighted_median(stake, vec(inp["score"]), minority, 0, sum(stake))
        assert got == vec(exp["value"])[0]
    elif f.startswith("weighted_median_col"):
        dense = [[bits(v, lit) for v in row] for row in inp["weights_dense"]]
        rows = [list(enumerate(row)) for row in dense]
        columns = len(dense[0])
        got = C.weighted_median_col_sparse(
            vec(inp["stake"]), rows, columns, vec(inp["majority"])[0]
        )
        assert got == vec(exp["median"])
    elif f.startswith("interpolate_sparse"):
        ratio = vec(inp["ratio"])[0]
        got = C.interpolate_sparse(
            sparse(inp["mat1"], lit), sparse(inp["mat2"], lit), inp["columns"], ratio
        )
        close_sparse(got, exp["sparse_matrix"], cmp, exp.get("literal", lit))
    elif f.startswith("mat_ema_alpha_sparse"):
        new, old = sparse(inp["new"], lit), sparse(inp["old"], lit)
        columns = 1 + max((j for row in inp["new"] + inp["old"] for j, _ in row), default=0)
        columns = max(columns, 3 if len(new) > 2 else 2)
        if isinstance(inp["alpha"], list):
            alpha = [[bits(a, lit) for a in row] for row in inp["alpha"]]
        else:
            alpha = [[bits(inp["alpha"], lit)] * columns for _ in new]
        got = C.mat_ema_alpha_sparse(new, old, alpha)
        close_sparse(got, exp["sparse_matrix"], cmp, lit)
    elif f.startswith("mat_ema_alpha (dense"):
        new = [[bits(v, lit) for v in row] for row in inp["new"]]
        old = [[bits(v, lit) for v in row] for row in inp["old"]]
        alpha = [[bits(inp["alpha"], lit)] * len(row) for row in new]
        got = C.mat_ema_alpha_dense(new, old, alpha)
        assert got == [[bits(v, lit) for v in row] for row in exp["matrix"]]
    else:  # pragma: no cover - a new helper in the vector file must be wired up here
        raise AssertionError(f"no replay for {f}")


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_subtensor_math_case(case: dict[str, Any]) -> None:
    run_case(case)


def test_all_math_cases_are_present() -> None:
    assert len(CASES) == 104


# ---- the exact division shortcut, against the rule itself ----------------------------------------

I64_MIN, I64_MAX = -(1 << 63), (1 << 63) - 1


def _wrap64(v: int) -> int:
    return (v + (1 << 63)) % (1 << 64) - (1 << 63)


def _safe_div_bits(a: int, b: int) -> int:
    """substrate_fixed checked_div on I32F32 bits (truncate toward zero), 0 on /0 or overflow."""
    if b == 0:
        return 0
    num = a << 32
    q = abs(num) // abs(b)
    q = -q if (num < 0) != (b < 0) else q
    return q if I64_MIN <= q <= I64_MAX else 0


@given(st.lists(st.one_of(st.integers(0, 1 << 40), st.integers(0, I64_MAX >> 1),
                          st.integers(I64_MIN >> 2, I64_MAX >> 2)), min_size=1, max_size=40))
@settings(max_examples=400, deadline=None)
def test_normalize_is_the_exact_safe_division(v: list[int]) -> None:
    total = _wrap64(sum(v))
    want = v if total == 0 else [_safe_div_bits(x, total) for x in v]
    assert C.normalize(v) == want


@given(st.lists(st.lists(st.tuples(st.integers(0, 5), st.integers(0, 1 << 50)), max_size=6),
                min_size=1, max_size=6))
@settings(max_examples=300, deadline=None)
def test_column_normalisation_is_the_exact_division(rows: list[list[tuple[int, int]]]) -> None:
    col_sum = [0] * 6
    for row in rows:
        for j, x in row:
            col_sum[j] = min(col_sum[j] + x, I64_MAX)  # saturating adds
    want = [
        [(j, _safe_div_bits(x, col_sum[j]) if col_sum[j] else x) for j, x in row] for row in rows
    ]
    assert C.col_normalize_sparse(rows, 6) == want


def test_u16_proportion_is_the_truncated_division_for_every_u16() -> None:
    got = [C.u16_proportion_to_fixed(x) for x in range(65536)]
    assert got == [_safe_div_bits(x << 32, 65535 << 32) for x in range(65536)]


@given(st.lists(st.lists(st.tuples(st.integers(0, 7), st.integers(0, 1 << 34)), max_size=8),
                min_size=1, max_size=8),
       st.lists(st.integers(0, 1 << 33), min_size=8, max_size=8))
@settings(max_examples=300, deadline=None)
def test_fused_bond_dot_equals_the_three_helpers(rows: list[list[tuple[int, int]]],
                                                v: list[int]) -> None:
    # Distinct columns per row, as stored bonds have.
    rows = [list(dict(row).items()) for row in rows]
    normalised = C.col_normalize_sparse(rows, 8)
    product = [[(j, (x * v[j]) >> 32) for j, x in row if (x * v[j]) >> 32] for row in normalised]
    assert C.col_normalized_row_dot(rows, v, 8) == [sum(x for _, x in row) for row in product]


def _sparse_ema_row(n: int) -> st.SearchStrategy[list[tuple[int, int]]]:
    # Mostly a few columns in order (the wide matrices' rows, which visit only their own
    # columns), sometimes many, out of order or repeated; a column past the end now and then.
    cols = st.one_of(
        st.sets(st.integers(0, n - 1), max_size=max(1, n // 20)).map(sorted),
        st.sets(st.integers(0, n + 3), max_size=n).map(sorted),
        st.lists(st.integers(0, n - 1), max_size=n // 4),
    )
    return cols.flatmap(
        lambda cs: st.tuples(*[st.tuples(st.just(c), st.integers(0, ONE)) for c in cs]).map(list)
    )


@given(st.integers(2, 160).flatmap(lambda n: st.tuples(
           st.lists(_sparse_ema_row(n), min_size=n, max_size=n),
           st.lists(_sparse_ema_row(n), min_size=n, max_size=n))),
       st.integers(0, ONE))
@settings(max_examples=60, deadline=None)
def test_sparse_moving_average_is_the_chains_dense_rows(
    matrices: tuple[list[list[tuple[int, int]]], list[list[tuple[int, int]]]], alpha: int
) -> None:
    # The chain's mat_ema_sparse, written out: each row densified to n columns, alpha x new then
    # (1 - alpha) x old added entry by entry (columns past n dropped), and the positive columns
    # emitted in order. Proportions only, so no step saturates.
    new, old = matrices
    n = len(new)
    want = []
    for new_row, old_row in zip(new, old, strict=True):
        dense = [0] * n
        for factor, row in ((alpha, new_row), (ONE - alpha, old_row)):
            for c, x in row:
                if c < n:
                    dense[c] += (factor * x) >> 32
        want.append([(j, v) for j, v in enumerate(dense) if v > 0])
    got = C.mat_ema_sparse(new, old, alpha)
    assert [[tuple(e) for e in row] for row in got] == want


@given(st.lists(st.lists(st.tuples(st.integers(0, 5), st.one_of(
           st.integers(0, 65535).map(lambda w: w << 32),  # whole numbers: the weights as set
           st.integers(0, (1 << 32) - 1),                 # fractions
           st.integers(0, 3))),                           # sums of a few 2^-32
           max_size=7), min_size=1, max_size=5))
@settings(max_examples=400, deadline=None)
def test_row_normalisation_is_the_exact_division(rows: list[list[tuple[int, int]]]) -> None:
    want = []
    for row in rows:
        total = sum(x for _, x in row)
        want.append([(j, _safe_div_bits(x, total)) if total > 0 else (j, x) for j, x in row])
    assert C.row_normalize_sparse(rows) == want


@given(st.lists(st.lists(st.tuples(st.integers(0, 5), st.one_of(
           st.integers(0, (1 << 32) - 1), st.integers(0, 4), st.sampled_from([1 << 31, 1 << 32]))),
           max_size=6), min_size=1, max_size=6))
@settings(max_examples=400, deadline=None)
def test_column_normalisation_of_proportions_and_tiny_sums(
    rows: list[list[tuple[int, int]]],
) -> None:
    # Values below 1 and column sums of 1, 2 or a power of two take the invariant-division path.
    col_sum = [0] * 6
    for row in rows:
        for j, x in row:
            col_sum[j] = min(col_sum[j] + x, I64_MAX)
    want = [
        [(j, _safe_div_bits(x, col_sum[j]) if col_sum[j] else x) for j, x in row] for row in rows
    ]
    assert C.col_normalize_sparse(rows, 6) == want
    rows = [list(dict(row).items()) for row in rows]
    v = [(1 << 32) - 1, 1 << 32, 3, 0, 12345678, 1 << 31]
    normalised = C.col_normalize_sparse(rows, 6)
    dot = [sum((x * v[j]) >> 32 for j, x in row) for row in normalised]
    assert C.col_normalized_row_dot(rows, v, 6) == dot


# ---- the weighted median: the chain's quickselect, written out from the spec (§7.6) ----------

def _sat64(v: int) -> int:
    return max(I64_MIN, min(I64_MAX, v))


def _chain_weighted_median(
    stake: list[int], score: list[int], minority: int, lo: int, hi: int
) -> int:
    idx = list(range(len(score)))
    for _ in range(len(score) + 1):
        if not idx:
            return 0
        if len(idx) == 1:
            return score[idx[0]]
        pivot = score[idx[len(idx) // 2]]
        lower = [i for i in idx if score[i] < pivot]
        upper = [i for i in idx if score[i] > pivot]
        lo_stake = hi_stake = 0
        for i in lower:
            lo_stake = _sat64(lo_stake + stake[i])
        for i in upper:
            hi_stake = _sat64(hi_stake + stake[i])
        if minority < _sat64(lo + lo_stake) and lower:
            idx, hi = lower, _sat64(lo + lo_stake)
        elif _sat64(hi - hi_stake) <= minority and upper:
            idx, lo = upper, _sat64(hi - hi_stake)
        else:
            return pivot
    return 0


_stake_bits = st.one_of(st.integers(0, 1 << 32), st.integers(I64_MIN, I64_MAX))
_score_bits = st.one_of(st.integers(0, 6), st.integers(0, 1 << 32))
_median_votes = st.integers(1, 80).flatmap(lambda k: st.tuples(
    st.lists(_stake_bits, min_size=k, max_size=k),
    st.lists(_score_bits, min_size=k, max_size=k)))


@given(_median_votes, st.integers(-(1 << 33), 1 << 40))
@settings(max_examples=400, deadline=None)
def test_weighted_median_follows_the_quickselect(
    votes: tuple[list[int], list[int]], minority: int
) -> None:
    # Long lists with ties exercise the vectorised partition; stakes anywhere in i64 (negative or
    # summing past the range) take the saturating one.
    stake, score = votes
    total = _sat64(sum(stake))
    lo, hi = 0, total
    want = _chain_weighted_median(stake, score, minority, lo, hi)
    assert C.weighted_median(stake, score, minority, lo, hi) == want


@given(st.integers(1, 70).flatmap(lambda k: st.tuples(
           st.lists(st.integers(1, 1 << 32), min_size=k, max_size=k),
           st.lists(st.lists(_score_bits, min_size=5, max_size=5), min_size=k, max_size=k))),
       st.integers(0, 65535))
@settings(max_examples=300, deadline=None)
def test_weighted_median_of_columns_is_the_stake_quantile(
    data: tuple[list[int], list[list[int]]], kappa_u16: int
) -> None:
    # With positive stakes the quickselect's answer depends only on the votes, not their order:
    # the score whose stake interval [below, below + equal) holds the minority (or an end value).
    stake, dense = data
    rows = [[(j, x) for j, x in enumerate(row)] for row in dense]
    majority = C.u16_proportion_to_fixed(kappa_u16)
    got = C.weighted_median_col_sparse(stake, rows, 5, majority)
    use = C.normalize(stake)
    total = sum(use)
    minority = total - majority
    for j in range(5):
        column = sorted({row[j] for row in dense})
        below = 0
        want = column[-1]
        for s in column:
            equal = sum(u for u, row in zip(use, dense, strict=True) if row[j] == s)
            if minority < below + equal:
                want = s
                break
            below += equal
        if minority < 0:
            want = column[0]
        assert got[j] == want, (j, minority)


_median_row = st.one_of(
    st.just("full"),  # every column in order: runs of eight, the transposing kernel's fast path
    st.lists(st.integers(0, 40), max_size=30),  # any columns, in any order, repeated, past the end
)


@given(st.integers(1, 30), st.integers(1, 40).flatmap(lambda k: st.tuples(
           st.lists(st.sampled_from([0, 1, 7, 1 << 20, 1 << 32, 1 << 62, I64_MAX])
                    | st.integers(0, 1 << 32), min_size=k, max_size=k),
           st.lists(st.tuples(_median_row, st.lists(_score_bits, min_size=40, max_size=40)),
                    max_size=k))),
       st.integers(0, 65535))
@settings(max_examples=300, deadline=None)
# Stakes whose sum wraps: normalised to negative values, they take the saturating quickselect
# over every voter's vote (one vote of 0 for all the absent ones would answer 2^32 here).
@example(1, ([1 << 32, 1 << 62, I64_MAX, 1 << 62],
             [([0], [ONE]), ([], [0]), ([0], [1 << 31]), ([], [0])]), 35952)
def test_weighted_median_of_columns_follows_the_quickselect(
    columns: int, data: tuple[list[int], list[tuple[Any, list[int]]]], kappa_u16: int
) -> None:
    # Every column against the chain's own loop (the spec's quickselect, written out above) on
    # its votes: the voters' stakes normalised again, a vote per voter (its row's last entry in
    # the column, else 0; voters past the matrix's rows vote 0). Column counts around multiples
    # of eight and full rows exercise the column-major transposition in 8 x 8 blocks.
    stake, row_specs = data
    rows = []
    for spec, values in row_specs:
        cols = list(range(columns)) if spec == "full" else spec
        rows.append([(c, values[t % len(values)]) for t, c in enumerate(cols)])
    majority = C.u16_proportion_to_fixed(kappa_u16)
    got = C.weighted_median_col_sparse(stake, rows, columns, majority)
    voters = [i for i, s in enumerate(stake) if s > 0]
    use = C.normalize([stake[i] for i in voters])
    # Stakes near the i64 range wrap their sum and normalise to negative values: the chain's
    # saturating quickselect then, not the plain one.
    total = _wrap64(sum(use))
    minority = _sat64(total - majority)
    for j in range(columns):
        votes = []
        for i in voters:
            vote = 0
            for c, x in rows[i] if i < len(rows) else []:
                if c == j:
                    vote = x
            votes.append(vote)
        assert got[j] == _chain_weighted_median(use, votes, minority, 0, total), j


# ---- interleaved exp series: each lane is the single series ---------------------------------

_exp_inputs = st.one_of(
    st.integers(-(25 << 32), 25 << 32),           # across the clamp at ±20
    st.sampled_from([0, ONE, -ONE, 20 << 32, -(20 << 32), 1, -1]),  # the special cases
    st.integers(-(1 << 34), 1 << 34),
)


@given(st.lists(_exp_inputs, min_size=0, max_size=11))
@settings(max_examples=300, deadline=None)
def test_exp_many_is_exp_of_each(x: list[int]) -> None:
    assert C.exp_safe_many(x) == [C.exp_safe(v) for v in x]


def _exp_reference(x: int) -> int:
    """exp_safe on I32F32 bits, step by step as spec §1.3 states it (checked Taylor series)."""
    i64_max = (1 << 63) - 1
    x = max(-(20 << 32), min(20 << 32, x))
    if x == 0:
        return ONE
    if x == ONE:
        return 22_802_600 << 9
    mag = abs(x)
    result, term = mag + ONE, mag
    for i in range(2, 32):
        product = term * mag >> 32
        if product > i64_max:
            return 0 if x <= 0 else i64_max  # the series fails
        term = product // i
        if term == 0:
            break
        result += term
        if result > i64_max:
            return 0 if x <= 0 else i64_max
    return (1 << 64) // result if x < 0 else result


@given(st.lists(_exp_inputs, min_size=0, max_size=80))
@settings(max_examples=300, deadline=None)
def test_exp_many_matches_the_series_step_by_step(x: list[int]) -> None:
    # The lanes run branch-free in batches of several entries (groups of up to 32 on AVX-512, the
    # last one of only the vectors it needs): each must still be its own series, at every count.
    assert C.exp_safe_many(x) == [_exp_reference(v) for v in x]


@given(st.integers(0, 12).flatmap(lambda k: st.tuples(
           st.lists(st.integers(0, ONE), min_size=k, max_size=k),
           st.lists(st.integers(0, ONE), min_size=k, max_size=k),
           st.lists(st.integers(0, ONE), min_size=k, max_size=k))),
       st.integers(-32768, 32767))
@settings(max_examples=300, deadline=None)
def test_alpha_sigmoid_many_is_alpha_of_each(cwb: tuple[list[int], list[int], list[int]],
                                             steepness: int) -> None:
    c, w, b = cwb
    lo, hi = C.u16_proportion_to_fixed(45875), C.u16_proportion_to_fixed(58982)
    st_bits = steepness << 32
    want = [
        C.alpha_sigmoid(ci, wi, bi, lo, hi, st_bits) for ci, wi, bi in zip(c, w, b, strict=True)
    ]
    assert C.alpha_sigmoid_many(c, w, b, lo, hi, st_bits) == want


def _alpha_reference(c: int, w: int, b: int, lo: int, hi: int, steepness_bits: int) -> int:
    """alpha_sigmoid on I32F32 bits, step by step as spec §3.1 states it, over _exp_reference."""
    factor = abs(steepness_bits) // 100 * (-1 if steepness_bits > 0 else 1)  # truncated s / -100
    buy, sell = min(max(w - c, 0), ONE), min(max(b - w, 0), ONE)
    x = buy if w >= b else sell
    exponent = max(I32F32_MIN, min(I32F32_MAX, factor * (x - ONE // 2) >> 32))
    d = min(ONE + _exp_reference(exponent), I32F32_MAX)  # saturating_add
    sigma = (1 << 64) // d  # d >= 1: saturating_div(1, d) fits
    a = lo + (sigma * (hi - lo) >> 32)
    a = max(I32F32_MIN, min(I32F32_MAX, a))
    return max(min(a, hi), lo)


_EXACTNESS_SCRIPT = """
import json, sys
from taocore._native import _core
C = _core.consensus
data = json.loads(sys.stdin.read())
print(json.dumps({
    "exp": C.exp_safe_many(data["exp"]),
    "alpha": [C.alpha_sigmoid_many(c, w, b, lo, hi, s) for c, w, b, lo, hi, s in data["alpha"]],
}))
"""


def _exactness_inputs() -> dict[str, Any]:
    rng = np.random.default_rng(2026)
    # Dense around the interval kernel's open region (a near 0), the IFMA series' limit (±10),
    # the clamp (±20) and the constant exp(1); and uniform across the whole range.
    special = [0, 1, -1, ONE, -ONE, ONE - 1, ONE + 1, 10 * ONE, -10 * ONE, 10 * ONE + 1]
    special += [-10 * ONE - 1, 20 * ONE, -(20 * ONE), 21 * ONE, -(21 * ONE)]
    exp = special + [int(v) for v in np.concatenate([
        rng.integers(-(25 << 32), 25 << 32, 3000), rng.integers(-(11 << 32), 11 << 32, 3000),
        rng.integers(-(2 << 32), 2 << 32, 3000),
        np.repeat(np.array([10 * ONE, -10 * ONE, ONE, -ONE]), 40) + rng.integers(-4, 5, 160)])]
    alpha = []
    for k in range(48):
        m = int(rng.integers(1, 200))
        steeps = [1000, -1000, 0, 100, 32767, -32768, int(rng.integers(-32768, 32768))]
        steep = int(rng.choice(steeps))
        u = sorted(int(v) for v in rng.integers(0, 65536, 2))
        lo_u, hi_u = [(45875, 58982), (0, 65535), (u[0], u[1]), (u[1], u[0]), (u[0], u[0])][k % 5]
        hi = int(C.u16_proportion_to_fixed(hi_u))
        lo = int(C.u16_proportion_to_fixed(lo_u))
        scale = [ONE, ONE // 128][k % 2]
        c, w, b = ([int(v) for v in rng.integers(0, scale + 1, m)] for _ in range(3))
        if k % 3 == 0:
            b = [int(v) for v in rng.integers(0, ONE + 1, m)]
        alpha.append((c, w, b, lo, hi, steep << 32))
    return {"exp": exp, "alpha": alpha}


def test_exp_and_alpha_match_the_spec_on_every_backend(backend: str) -> None:
    # On AVX-512 liquid alpha is settled by a floating-point interval where it can be, and the
    # rest of the series runs on IFMA lanes: every entry must still be the step-by-step value.
    data = _exactness_inputs()
    got = json.loads(run_on_backend(_EXACTNESS_SCRIPT, backend, stdin=json.dumps(data)))
    assert got["exp"] == [_exp_reference(v) for v in data["exp"]]
    for (c, w, b, lo, hi, s), row in zip(data["alpha"], got["alpha"], strict=True):
        want = [_alpha_reference(ci, wi, bi, lo, hi, s) for ci, wi, bi in zip(c, w, b, strict=True)]
        assert row == want


_ALPHA_SCRIPT = """
import json, sys
import numpy as np
from taocore._native import _core
C = _core.consensus
ONE = 1 << 32
rng = np.random.default_rng(int(sys.argv[1]))
rows = []
steeps = [1000, -1000, 10, 100, 300, 32767, -32768]
for k in range(60):
    m = 4000
    steep = int(rng.choice(steeps + [int(rng.integers(-32768, 32768))]))
    lo_u, hi_u = [(45875, 58982), (0, 65535), (1, 2), (30000, 30001), (0, 0)][k % 5]
    lo, hi = C.u16_proportion_to_fixed(lo_u), C.u16_proportion_to_fixed(hi_u)
    c, w, b = (rng.integers(0, ONE + 1, m) for _ in range(3))
    if k % 2:  # x near 1/2: exponents near 0, where the interval is narrowest
        w = np.minimum(c + ONE // 2 + rng.integers(-(1 << 26), 1 << 26, m), ONE)
        b = w - rng.integers(0, 3, m)
    c, w, b = ([int(v) for v in a] for a in (c, w, b))
    rows.append(C.alpha_sigmoid_many(c, w, b, lo, hi, steep << 32))
# Blocks where the exact AVX-512 kernel takes most open entries but must hand some back to the
# scalar steps, in order: a = 1 (the exp(1) constant: steepness -200 and x = 1), a = 0 (x = 1/2)
# and exponents past the IFMA series' limit (steepness 2500: |a| up to 12.5).
for k in range(40):
    m = int(rng.integers(200, 700))
    steep = [-200, 2500, 1000, -1000][k % 4]
    lo_u, hi_u = [(45875, 58982), (0, 65535), (30000, 30001), (1000, 64000)][k // 4 % 4]
    lo, hi = C.u16_proportion_to_fixed(lo_u), C.u16_proportion_to_fixed(hi_u)
    c = rng.integers(0, ONE + 1, m)
    w = np.minimum(c + ONE // 2 + rng.integers(-(1 << 29), 1 << 29, m), ONE)
    b = w - rng.integers(0, 3, m)
    special = rng.random(m)
    c = np.where(special < 0.1, 0, c)
    w = np.where(special < 0.1, ONE, np.where(special < 0.2, c + ONE // 2, w))
    b = np.where(special < 0.2, 0, b)
    c, w, b = ([int(v) for v in np.clip(a, 0, ONE)] for a in (c, w, b))
    rows.append(C.alpha_sigmoid_many(c, w, b, lo, hi, steep << 32))
# Steepness bits beyond the chain's i16 values (the API takes any I32F32): the exponent kernel's
# products wrap like the scalar rule's cast, and never need to.
for k in range(8):
    m = 300
    c, w, b = ([int(v) for v in rng.integers(0, ONE + 1, m)] for _ in range(3))
    lo, hi = C.u16_proportion_to_fixed(45875), C.u16_proportion_to_fixed(58982)
    steep_bits = int(rng.integers(-(1 << 63), (1 << 63) - 1))
    rows.append(C.alpha_sigmoid_many(c, w, b, lo, hi, steep_bits))
print(json.dumps(rows))
"""


def _alpha_rows(backend: str) -> Any:
    return json.loads(run_on_backend(_ALPHA_SCRIPT, backend, "11"))


def test_alpha_matches_the_exact_series_on_large_inputs() -> None:
    # 240k liquid-alpha entries (and ~18k in blocks that mix in the scalar path's exponents) on
    # every backend against the scalar backend, where every entry takes the exact series: the
    # AVX-512 interval (its loss bound, margins and open list) may only decide which entries skip
    # the series, and the AVX-512 exact kernel (series, both divisions) must give the same bits.
    reference = _alpha_rows("scalar")
    for name in BACKENDS:
        if name != "scalar":
            assert _alpha_rows(name) == reference, name


_ALPHA_ROWS_SCRIPT = """
import json, sys
from taocore._native import _core
C = _core.consensus
rows = json.loads(sys.stdin.read())
print(json.dumps([C.alpha_sigmoid_many(c, w, b, lo, hi, s) for c, w, b, lo, hi, s in rows]))
"""


def _adversarial_alpha_rows() -> list[tuple[list[int], list[int], list[int], int, int, int]]:
    """Rows whose exponents are chosen: with c = b = 0 and w = d + 1/2, x = w and the exponent is
    a = floor(f·d / 2^32) for the factor f = steepness / -100 (bits; steepness = -100·f)."""
    rng = np.random.default_rng(4242)
    half = 1 << 31
    cases: list[tuple[int, list[int]]] = []
    # Around a = 0 bit by bit (f = 1: a = d), where the interval is widest and most entries are
    # left to the exact kernels, across several steps of alpha.
    spread = [int(v) for v in rng.integers(-half, half + 1, 500)]
    cases.append((ONE, list(range(-2000, 2001)) + spread))
    # Near |a| = 1 (the exp(1) constant, the AVX2 exact kernel's first pass), 10 (the series
    # kernels' limit) and 20 (the clamp), and past the clamp, on both sides.
    for k in (2, 3, 20, 21, 40, 41, 64):
        ds = [half - j for j in range(40)] + [-half + j for j in range(40)]
        for target in (1, 10, 20):
            if 2 * target <= k:
                center = target * 2 * half // k  # k·center = target·2^32
                ds += [sign * center + j for sign in (1, -1) for j in range(-25, 26)]
        cases.append((k * ONE, [d for d in ds if -half <= d <= half]))
    # Fine scans across steps of alpha at moderate exponents (each step is a few bits of a wide).
    for k in (4, 8, 16):
        for target in (0.5, 1.5, 3.0, 5.0, 7.0):
            center = int(target * 2 * half / k)
            if center <= half:
                ds = [sign * center + j for sign in (1, -1) for j in range(-150, 151)]
                cases.append((k * ONE, ds))
    # Factors with a fractional part: exponents off any whole multiple.
    for _ in range(6):
        ds = [int(v) for v in rng.integers(-half, half + 1, 400)]
        cases.append((int(rng.integers(1, 40 * ONE)), ds))
    # alpha bounds: the chain's defaults, the extremes (full span), span 0 (at 0, at 1, inside),
    # a one-unit span and an arbitrary one.
    bounds = [(45875, 58982), (0, 65535), (0, 0), (65535, 65535), (20000, 20000), (30000, 30001),
              (1, 65534)]
    rows = []
    for f, ds in cases:
        w = [d + half for d in ds]
        zeros = [0] * len(w)
        for lo_u, hi_u in bounds:
            lo, hi = int(C.u16_proportion_to_fixed(lo_u)), int(C.u16_proportion_to_fixed(hi_u))
            rows.append((zeros, w, zeros, lo, hi, -100 * f))
    return rows


def test_alpha_on_adversarial_exponents_matches_scalar(backend: str) -> None:
    # The interval kernels may settle an entry only where the interval proves the chain's alpha,
    # and the exact kernels must reproduce the series bit for bit: exponents around 0, at the
    # kernels' range limits and the clamp, across steps of alpha, with extreme and zero spans,
    # must give the scalar backend's alphas (the scalar path takes the series for every entry).
    rows = _adversarial_alpha_rows()
    stdin = json.dumps(rows)
    got = json.loads(run_on_backend(_ALPHA_ROWS_SCRIPT, backend, stdin=stdin))
    want = json.loads(run_on_backend(_ALPHA_ROWS_SCRIPT, "scalar", stdin=stdin))
    assert len(got) == len(want) == len(rows)
    for k, (g, w) in enumerate(zip(got, want, strict=True)):
        differ = [i for i, (x, y) in enumerate(zip(g, w, strict=True)) if x != y]
        assert not differ, (k, rows[k][3:], differ[:10])
    # The exponents are the ones meant: a few checked against the step-by-step reference.
    for k in range(0, len(rows), max(1, len(rows) // 12)):
        c, w, b, lo, hi, s = rows[k]
        pick = range(0, len(w), max(1, len(w) // 25))
        want_k = [_alpha_reference(c[i], w[i], b[i], lo, hi, s) for i in pick]
        assert [got[k][i] for i in pick] == want_k


@given(st.lists(st.integers(-3, 3), max_size=40), st.integers(0, 45))
@settings(max_examples=300, deadline=None)
def test_topk_is_the_chains_stable_sort(values: list[int], k: int) -> None:
    # The chain sorts uids stably by value and drops the first n - k (ties: the lower uid loses).
    n = len(values)
    want = [True] * n
    if n >= k:
        for uid in sorted(range(n), key=lambda u: values[u])[: n - k]:
            want[uid] = False
    assert C.is_topk(values, k) == want
    nonzero = [v != 0 for v in values]
    if n >= k:
        nonzero = [w and v != 0 for w, v in zip(want, values, strict=True)]
    assert C.is_topk_nonzero(values, k) == nonzero


@pytest.mark.parametrize(
    ("isa", "flags"),
    [("avx2", ["-mavx2", "-mfma"]),
     ("avx512", ["-mavx2", "-mfma", "-mavx512f", "-mavx512dq", "-DCHECK_AVX512=1"])],
)
def test_vector_column_division_matches_saturating_div(
    tmp_path: Path, isa: str, flags: list[str]
) -> None:
    # The column normalisations' AVX2 and AVX-512 divisions (a double estimate corrected by an
    # exact FMA remainder) against saturating_div on millions of adversarial entries
    # (tests/cpp/column_division_check.cpp); the kernel file alone gets the ISA flags.
    cxx = (
        shutil.which(os.environ.get("CXX", "c++")) or shutil.which("g++") or shutil.which("clang++")
    )
    if cxx is None:
        pytest.skip("no C++ compiler")
    root = Path(__file__).resolve().parent.parent
    common = ["-O2", "-std=c++20", "-Wall", "-Wextra", "-Wshadow", "-Werror",
              "-DTAOCORE_HAVE_AVX2=1", "-DTAOCORE_HAVE_AVX512=1",
              f"-I{root / 'cpp' / 'src'}", f"-I{root / 'cpp' / 'include'}"]
    kernel = tmp_path / f"column_division_{isa}.o"
    source = root / "cpp" / "src" / "consensus" / f"column_division_{isa}.cpp"
    subprocess.run([cxx, *common, *flags, "-c", str(source), "-o", str(kernel)],
                   check=True, capture_output=True, timeout=300)
    exe = tmp_path / "column_division_check"
    check = root / "tests" / "cpp" / "column_division_check.cpp"
    defines = [f for f in flags if f.startswith("-D")]
    subprocess.run([cxx, *common, *defines, str(check), str(kernel), "-o", str(exe)],
                   check=True, capture_output=True, timeout=300)
    run = subprocess.run([str(exe)], capture_output=True, text=True, timeout=600)
    assert run.returncode == 0 and run.stdout.startswith("ok"), run.stdout + run.stderr


def test_liquid_alpha_series_sums_are_within_their_bounds(tmp_path: Path) -> None:
    # The liquid-alpha interval kernel takes the series sum P(x) as e^x where x <= 5, else by
    # Horner's rule, and the loss bound's tail P - 1 - x with it; series_exp_avx512.hpp bounds
    # their errors, which tests/cpp/series_exp_check.cpp checks on millions of exponents against
    # the series summed in long double. The backend comparisons cannot see an error inside the
    # kernel's margins (nor, the loss bound having slack, a tail half its size); this can.
    cxx = (
        shutil.which(os.environ.get("CXX", "c++")) or shutil.which("g++") or shutil.which("clang++")
    )
    if cxx is None:
        pytest.skip("no C++ compiler")
    root = Path(__file__).resolve().parent.parent
    exe = tmp_path / "series_exp_check"
    subprocess.run([cxx, "-O2", "-std=c++20", "-Wall", "-Wextra", "-Wshadow", "-Werror",
                    "-mavx512f", "-mavx512dq",
                    f"-I{root / 'cpp' / 'src'}", f"-I{root / 'cpp' / 'include'}",
                    str(root / "tests" / "cpp" / "series_exp_check.cpp"), "-o", str(exe)],
                   check=True, capture_output=True, timeout=300)
    run = subprocess.run([str(exe)], capture_output=True, text=True, timeout=600)
    assert run.returncode == 0 and run.stdout.startswith("ok"), run.stdout + run.stderr


_ROW_KERNELS_SCRIPT = """
import hashlib, json, sys
import numpy as np
from taocore._native import _core
C = _core.consensus
ONE = 1 << 32
rng = np.random.default_rng(11)
h = hashlib.sha256()
for case in range(60):
    n = int(rng.choice([1, 7, 8, 9, 16, 33, 64]))
    def value():
        kind = rng.integers(0, 30)  # mostly in [0, 1], where the vector paths apply
        if kind == 0:
            return int(rng.integers(-(1 << 40), 1 << 40))
        if kind == 1:
            return int(rng.choice([0, ONE, ONE + 1, -1, (1 << 63) - 1, -(1 << 63)]))
        if kind == 2:
            return int(rng.integers(0, 1 << 50))
        return int(rng.integers(0, ONE + 1))
    def matrix():
        rows = []
        for _ in range(n):
            if rng.random() < 0.5:
                cols = list(range(n))  # runs of consecutive columns: the vector paths
            else:
                cols = sorted(rng.choice(n, int(rng.integers(0, n + 1)), replace=False).tolist())
                if cols and rng.random() < 0.2:
                    cols.append(cols[0])  # a repeated column
            rows.append([(int(c), value()) for c in cols])
        return rows
    new, old = matrix(), matrix()
    alpha = int(rng.choice([value(), ONE // 10, ONE, 0, -ONE // 3]))
    v = [value() if rng.random() < 0.3 else int(rng.integers(0, ONE + 1)) for _ in range(n)]
    h.update(json.dumps(C.mat_ema_sparse(new, old, alpha)).encode())
    h.update(json.dumps(C.col_normalized_row_dot(new, v, n)).encode())
    h.update(json.dumps(C.row_hadamard_sparse(new, v)).encode())  # (Yuma's bond deltas)
    # Yuma's dividends: the bonds divided by column, their column maxima and the dot with v, on
    # divisors that are mostly the column sums (the epoch's), else anything.
    sums = [sum(x for row in new for c, x in row if c == j) for j in range(n)]
    sums = [max(-(1 << 63), min(s, (1 << 63) - 1)) for s in sums]  # saturated, as the chain's
    divisor = [s if rng.random() < 0.8 else value() for s in sums]
    h.update(json.dumps(C.col_normalize_matmul_transpose_sparse(new, divisor, v)).encode())
# A row long enough for its dot to saturate: 9000 terms just under 2^50 (1 / (2^-18 + 2^-32)).
row = [(j, ONE) for j in range(9000)]
long_row = C.col_normalize_matmul_transpose_sparse([row], [(1 << 14) + 1] * 9000, [ONE] * 9000)
h.update(json.dumps(long_row).encode())
print(h.hexdigest())
"""


def test_row_kernels_match_scalar_on_adversarial_rows(backend: str) -> None:
    # The AVX-512 moving-average row passes (densify, emit with column sums), the normalised row
    # dot product, the rows times a factor (Yuma's bond deltas) and Yuma's divided dot with
    # column maxima take vectors only under conditions
    # (runs of columns, values in [0, 1]); entries outside them, negative or saturating values
    # and repeated columns must give the scalar rule's bits.
    assert_same_digest(_ROW_KERNELS_SCRIPT, backend)
