"""The float Yuma simulator: yuma-simulation's own outputs (6 cases x 6 versions), and its laws."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import taocore
from conftest import load_vectors
from taocore import sim
from taocore._native import _core

DATA = load_vectors("yuma-sim-cases.json")
CASES: list[dict[str, Any]] = DATA["cases"]
DISPLAY = list(DATA["versions"])
KEY = dict(zip(DISPLAY, sim.VERSIONS, strict=True))
FIELDS = {
    "prerank": "server_prerank",
    "consensus": "server_consensus_weight",
    "rank": "server_rank",
    "incentive": "server_incentive",
    "dividends": "validator_reward_normalized",
    "bonds": "bonds",
}
QUANT = 1.0 / 65535


def case_params(case: dict[str, Any], display: str) -> dict[str, Any]:
    """The parameters yuma-simulation ran `case` with for version `display`."""
    hp = DATA["hyperparameters"]
    p = {k: v for k, v in DATA["versions"][display].items() if not k.startswith("override_")}
    p.update(
        kappa=hp["kappa"],
        bond_penalty=hp["bond_penalty"],
        liquid_alpha_consensus_mode=hp["liquid_alpha_consensus_mode"],
    )
    p.update(case["config_overrides"])
    if case["reset_bonds"]:
        p.update(
            reset_bonds_index=case["reset_bonds_index"], reset_bonds_epoch=case["reset_bonds_epoch"]
        )
    return p


def _numpy_yuma() -> Any:
    """The plain numpy model the benchmark compares against (bench/numpy_yuma.py)."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
    try:
        import numpy_yuma
    finally:
        sys.path.pop(0)
    return numpy_yuma


def test_the_cases_are_there() -> None:
    assert len(CASES) == 6
    assert len(DISPLAY) == 6
    assert all(set(c["outputs"]) == set(DISPLAY) for c in CASES)


@pytest.mark.parametrize("display", DISPLAY)
@pytest.mark.parametrize("case", CASES, ids=lambda c: c["name"].split(" - ")[0])
def test_yuma_simulation_cases(case: dict[str, Any], display: str) -> None:
    r = sim.simulate(
        case["inputs"]["weights"], case["inputs"]["stakes"], display, **case_params(case, display)
    )
    assert r.version == KEY[display]
    expected = case["outputs"][display]
    for name, key in FIELDS.items():
        got = getattr(r, name).astype(np.float64)
        want = np.asarray(expected[key], dtype=np.float64)
        assert got.shape == want.shape, name
        # 1e-6 relative; values within float32 noise of zero compare absolutely.
        close = np.isclose(got, want, rtol=1e-6, atol=1e-12)
        if name == "consensus":
            # The documented quantisation flip: one 1/65535 step either way.
            close |= np.isclose(np.abs(got - want), QUANT, rtol=1e-3, atol=0)
        assert close.all(), (name, np.argwhere(~close)[:5].tolist())


def test_display_names_and_keys_agree() -> None:
    case = CASES[0]
    w, s = case["inputs"]["weights"], case["inputs"]["stakes"]
    for display, key in KEY.items():
        a = sim.simulate(w, s, display, bond_penalty=0.99)
        b = sim.simulate(w, s, key, bond_penalty=0.99)
        assert np.array_equal(a.bonds, b.bonds)


def test_result_shapes_dtype_and_frozen() -> None:
    rng = np.random.default_rng(0)
    w = rng.random((5, 4, 7))
    s = rng.random(4) + 0.1
    r = sim.simulate(w, s, "yuma2")
    assert r.epochs == 5
    for name in ("prerank", "consensus", "rank", "incentive"):
        assert getattr(r, name).shape == (5, 7)
        assert getattr(r, name).dtype == np.float32
    assert r.dividends.shape == (5, 4)
    assert r.bonds.shape == (5, 4, 7)
    with pytest.raises(AttributeError):
        r.version = "yuma1"  # type: ignore[misc]
    r64 = sim.simulate(w, s, "yuma2", dtype=np.float64)
    assert r64.bonds.dtype == np.float64


def test_reused_inputs_equal_repeated_inputs() -> None:
    rng = np.random.default_rng(1)
    w = rng.random((3, 5))
    s = rng.random(3) + 0.1
    a = sim.simulate(w, s, "yuma3", epochs=6)
    b = sim.simulate(np.repeat(w[None], 6, axis=0), np.repeat(s[None], 6, axis=0), "yuma3")
    assert np.array_equal(a.bonds, b.bonds)
    assert np.array_equal(a.dividends, b.dividends)


def test_bond_reset_zeroes_the_column() -> None:
    case = next(c for c in CASES if c["reset_bonds"])
    w, s = case["inputs"]["weights"], case["inputs"]["stakes"]
    j, e = case["reset_bonds_index"], case["reset_bonds_epoch"]
    plain = sim.simulate(w, s, "yuma3", bond_moving_avg=0.975)
    reset = sim.simulate(
        w, s, "yuma3", bond_moving_avg=0.975, reset_bonds_index=j, reset_bonds_epoch=e
    )
    assert np.array_equal(plain.bonds[:e], reset.bonds[:e])
    assert not np.array_equal(plain.bonds[e], reset.bonds[e])
    # Yuma 1/2/2B ignore a reset, as yuma-simulation does.
    a = sim.simulate(w, s, "yuma2")
    b = sim.simulate(w, s, "yuma2", reset_bonds_index=j, reset_bonds_epoch=e)
    assert np.array_equal(a.bonds, b.bonds)


def test_simulate_many_matches_simulate() -> None:
    rng = np.random.default_rng(2)
    scenarios = [
        (rng.random((4, v, m)), rng.random(v) + 0.05) for v, m in [(3, 5), (8, 2), (1, 1), (6, 9)]
    ]
    many = sim.simulate_many(
        scenarios, "yuma3_liquid", threads=3, liquid_alpha_consensus_mode="MIXED"
    )
    assert len(many) == 4
    for (w, s), r in zip(scenarios, many, strict=True):
        one = sim.simulate(w, s, "yuma3_liquid", liquid_alpha_consensus_mode="MIXED")
        assert np.array_equal(one.bonds, r.bonds)
        assert np.array_equal(one.incentive, r.incentive)
    assert sim.simulate_many([], "yuma1") == []


def test_yuma2c_has_no_liquid_alpha() -> None:
    # yuma-simulation's Yuma 2C buys with capacity_alpha and decay_rate only; the liquid_alpha
    # switch must leave it alone, as it does in the model.
    rng = np.random.default_rng(8)
    w = rng.random((4, 30, 50)).astype(np.float32)
    s = rng.random((4, 30)).astype(np.float32) + 0.01
    a = sim.simulate(w, s, "yuma2c")
    b = sim.simulate(w, s, "yuma2c", liquid_alpha=True, alpha_sigmoid_steepness=30.0)
    for name in ("consensus", "incentive", "dividends", "bonds"):
        assert np.array_equal(getattr(a, name), getattr(b, name)), name


@pytest.mark.parametrize("steepness", [-40.0, 0.0, 10.0, 250.0, 5000.0])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_liquid_alpha_at_any_steepness_agrees_with_numpy(steepness: float, dtype: Any) -> None:
    # The sigmoid runs on 2^z with the gap clamped where |z| reaches 124 (past it the sigmoid is
    # saturated to float precision); the baseline evaluates the model's e^x as written, overflow
    # included. Few servers and one-sided weights put gaps all over [0, 1], around 1/2 too.
    numpy_yuma = _numpy_yuma()
    rng = np.random.default_rng(int(abs(steepness)) + 17)
    w = rng.random((6, 7, 3)) ** 4
    w[:, 0] = [1.0, 0.0, 0.0]
    s = rng.random((6, 7)) + 0.05
    for version, extra in (("yuma3_liquid", {}), ("yuma2", {"liquid_alpha": True})):
        p = {
            "alpha_sigmoid_steepness": steepness,
            "alpha_low": 0.0 if steepness > 1000 else 0.1,
            **extra,
        }
        r = sim.simulate(w.astype(dtype), s.astype(dtype), version, dtype=dtype, **p)
        with np.errstate(over="ignore"):
            n = numpy_yuma.simulate(w, s, version, dtype=dtype, **p)
        for name in ("dividends", "bonds", "incentive"):
            assert np.allclose(getattr(r, name), n[name], rtol=1e-6, atol=1e-12), (version, name)


@pytest.mark.parametrize("version", sim.VERSIONS)
def test_threads_do_not_change_results(version: str) -> None:
    # 64 x 1024 is large enough to split: three and four threads cut the 64 panels (and the
    # eight sets of dividend lanes) differently, and every output must keep its bits.
    rng = np.random.default_rng(3)
    w = rng.random((3, 64, 1024)).astype(np.float32)
    w[:, :, 100:300][rng.random((3, 64, 200)) < 0.7] = 0.0
    s = rng.random(64).astype(np.float32) + 0.01
    a = sim.simulate(w, s, version, threads=1)
    for threads in (3, 4):
        b = sim.simulate(w, s, version, threads=threads)
        for name in ("prerank", "consensus", "rank", "incentive", "dividends", "bonds"):
            assert np.array_equal(getattr(a, name), getattr(b, name)), (threads, name)


@pytest.mark.parametrize("version", sim.VERSIONS)
def test_numpy_baseline_agrees_across_panels(version: str) -> None:
    # The vector cases have three servers; 150 servers span ten panels of sixteen and two sets
    # of dividend lanes, which the kernels' results must add up over as the plain model does.
    numpy_yuma = _numpy_yuma()
    rng = np.random.default_rng(21)
    w = rng.random((4, 12, 150))
    w[rng.random(w.shape) < 0.2] = 0.0
    s = rng.random((4, 12)) + 0.05
    r = sim.simulate(w, s, version, dtype=np.float64)
    n = numpy_yuma.simulate(w, s, version, dtype=np.float64)
    for name in FIELDS:
        assert np.allclose(getattr(r, name), n[name], rtol=1e-9, atol=1e-15), name


def test_numpy_baseline_agrees() -> None:
    numpy_yuma = _numpy_yuma()
    for case in CASES:
        for display, key in KEY.items():
            p = case_params(case, display)
            r = sim.simulate(case["inputs"]["weights"], case["inputs"]["stakes"], key, **p)
            n = numpy_yuma.simulate(case["inputs"]["weights"], case["inputs"]["stakes"], key, **p)
            for name in FIELDS:
                assert np.allclose(getattr(r, name), n[name], rtol=1e-6, atol=1e-12), (
                    case["name"],
                    key,
                    name,
                )


# ---- laws ------------------------------------------------------------------------------------

dims = st.tuples(
    st.integers(1, 6), st.integers(1, 7), st.integers(1, 4)
)  # validators, servers, epochs


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
    v, m, e = draw(dims)
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    w = rng.random((e, v, m))
    w[rng.random((e, v, m)) < draw(st.sampled_from([0.0, 0.3, 0.8]))] = 0.0
    s = rng.random((e, v)) + 1e-3
    return w, s


@settings(max_examples=60, deadline=None)
@given(sc=scenarios(), version=st.sampled_from(sim.VERSIONS), wta=st.booleans())
def test_incentive_sums_to_one_or_zero(
    sc: tuple[np.ndarray, np.ndarray], version: str, wta: bool
) -> None:
    w, s = sc
    r = sim.simulate(w, s, version, winner_takes_all=wta, bond_penalty=0.5)
    sums = r.incentive.astype(np.float64).sum(axis=1)
    assert np.all((np.abs(sums - 1) < 1e-5) | (sums == 0))
    assert np.all(r.incentive >= 0)
    assert np.all(np.isfinite(r.bonds)) and np.all(r.bonds >= 0)
    d = r.dividends.astype(np.float64).sum(axis=1)
    assert np.all(d <= 1 + 1e-5)
    assert np.all(r.consensus <= 1) and np.all(r.consensus >= 0)
    # Consensus is a multiple of 1/65535.
    k = r.consensus.astype(np.float64) * 65535
    assert np.allclose(k, np.round(k), atol=1e-2)


@settings(max_examples=60, deadline=None)
@given(sc=scenarios(), version=st.sampled_from(sim.VERSIONS), seed=st.integers(0, 1000))
def test_permuting_servers_permutes_outputs(
    sc: tuple[np.ndarray, np.ndarray], version: str, seed: int
) -> None:
    w, s = sc
    perm = np.random.default_rng(seed).permutation(w.shape[2])
    a = sim.simulate(w, s, version, dtype=np.float64)
    b = sim.simulate(w[:, :, perm], s, version, dtype=np.float64)
    for name in ("prerank", "consensus", "rank", "incentive"):
        assert np.allclose(getattr(a, name)[:, perm], getattr(b, name), rtol=1e-9, atol=1e-12), name
    assert np.allclose(a.bonds[:, :, perm], b.bonds, rtol=1e-9, atol=1e-12)
    assert np.allclose(a.dividends, b.dividends, rtol=1e-9, atol=1e-12)


@settings(max_examples=40, deadline=None)
@given(sc=scenarios(), version=st.sampled_from(sim.VERSIONS))
def test_float32_and_float64_agree(sc: tuple[np.ndarray, np.ndarray], version: str) -> None:
    w, s = sc
    a = sim.simulate(w, s, version)
    b = sim.simulate(w, s, version, dtype=np.float64)
    # A consensus quantisation flip moves that server by one 1/65535 step; it does not happen
    # at these sizes except at exact ties, so compare with a tolerance a flip would exceed.
    assert np.allclose(a.consensus, b.consensus, atol=QUANT * 1.01)
    if np.array_equal(np.round(a.consensus * 65535), np.round(b.consensus * 65535)):
        assert np.allclose(a.incentive, b.incentive, rtol=1e-4, atol=1e-5)
        assert np.allclose(a.dividends, b.dividends, rtol=1e-4, atol=1e-5)


def test_consensus_is_the_stake_weighted_quantile() -> None:
    # One column, stakes 0.3/0.3/0.4: weights ordered high to low are 0.9 (0.3), 0.5 (0.4), 0.1
    # (0.3); the running stake reaches kappa = 0.5 at 0.5.
    w = np.array([[0.9, 0.1], [0.1, 0.9], [0.5, 0.5]])
    s = np.array([0.3, 0.3, 0.4])
    r = sim.simulate(w, s, "yuma2", epochs=1, dtype=np.float64)
    rows = w / (w.sum(axis=1, keepdims=True) + 1e-6)
    c = np.array([rows[2, 0], rows[2, 1]])
    c = np.floor(c / c.sum() * 65535) / 65535
    assert np.allclose(r.consensus[0], c, rtol=1e-12)


def _run(w: Any, s: Any, version: str, backend: str, **params: Any) -> dict[str, np.ndarray]:
    """One float32 run through the native entry point with the backend forced."""
    w = np.ascontiguousarray(w, dtype=np.float32)
    s = np.ascontiguousarray(s, dtype=np.float32)
    p = dict(sim.DEFAULT_PARAMS)
    p.update(params)
    (out,) = _core.sim.simulate_many([(w, s, w.shape[0])], version, p, "float32", 1, True, backend)
    return dict(out)


def _backend_scenarios() -> list[tuple[str, np.ndarray, np.ndarray, dict[str, Any]]]:
    """Shapes and data that exercise every path of the vector selection: columns shorter than
    one vector, not a multiple of eight, long enough for several narrowing rounds; ties, zeros,
    one dominant validator; kappa at both ends."""
    rng = np.random.default_rng(11)
    out = []
    for v, m in ((1, 3), (5, 7), (16, 9), (17, 33), (64, 256), (203, 40), (1000, 24)):
        w = rng.random((3, v, m), dtype=np.float32)
        s = rng.random((3, v), dtype=np.float32) + 0.01
        out.append((f"random {v}x{m}", w, s, {}))
    w = rng.integers(0, 4, (3, 150, 64)).astype(np.float32)  # heavy ties and zero columns
    s = np.ones((3, 150), dtype=np.float32)
    out.append(("ties", w, s, {}))
    s = rng.random((3, 150), dtype=np.float32)
    s[:, 7] = 200.0  # one validator holds most of the stake
    out.append(("dominant", rng.random((3, 150, 64), dtype=np.float32), s, {}))
    # Weights over the whole float range (subnormal up to 2^100, zeros and -0.0) and row lengths
    # off the vector width: the normalisation's divisions then take every path of the vector
    # row kernels, including quotients below the normal range.
    w = np.exp2(rng.uniform(-149, 100, (3, 40, 1000))).astype(np.float32)
    w[rng.random(w.shape) < 0.05] = 0.0
    w[rng.random(w.shape) < 0.01] = -0.0
    w[:, 3] = np.exp2(rng.uniform(-149, -120, (3, 1000))).astype(np.float32)
    w[:, 5, :500] = 3.0e36
    out.append(("magnitudes", w, rng.random((3, 40), dtype=np.float32) + 0.01, {}))
    out.append(("magnitudes, odd width", w[:, :, :997], rng.random((3, 40), dtype=np.float32), {}))
    # Rows without -0.0 whose weights span 2^-90 to 2^20: the AVX-512 rows' fused quotient
    # (product and correction) over a wide range of exponents, short of its underflow limits.
    w = np.exp2(rng.uniform(-90, 20, (3, 40, 1000))).astype(np.float32)
    w[rng.random(w.shape) < 0.05] = 0.0
    out.append(
        ("magnitudes, no negative zero", w, rng.random((3, 40), dtype=np.float32) + 0.01, {})
    )
    # A quotient exactly halfway between two subnormals: 147 * 2^-130 / (49 * 2^20) = 1.5 *
    # 2^-149, which division rounds to even (2^-148) and a product with the double reciprocal
    # of 49 * 2^20 rounds down (found by search); the AVX-512 rows must divide here, not take
    # their fused quotient. One validator, so that prerank is that quotient itself.
    w = np.zeros((2, 1, 40), dtype=np.float32)
    w[:, :, 0] = np.float32(147 * 2.0**-130)
    w[:, :, 1] = np.float32(49 * 2.0**20)
    out.append(("midpoint quotient", w, np.ones((2, 1), dtype=np.float32), {}))
    w = rng.random((3, 70, 90), dtype=np.float32)
    w[:, :, 40] = 0.0
    out.append(
        (
            "winner takes all",
            w,
            rng.random((3, 70), dtype=np.float32) + 0.01,
            {"winner_takes_all": True},
        )
    )
    # Liquid alpha (for the versions that have it) over the sigmoid's whole range: saturated
    # at both ends, where the gap's clamp sets |z| to 124, and flat; the AVX-512 bond rows
    # compute 2^z with other instructions than the portable loop, to the same bits.
    sigmoids = ((5000.0, 0.0, 1.0), (-40.0, 0.1, 0.3), (0.0, 0.2, 0.9), (10.0, 0.0, 1.0))
    for steepness, low, high in sigmoids:
        w = rng.random((4, 40, 48), dtype=np.float32) ** 3
        s = rng.random((4, 40), dtype=np.float32)
        params = {"alpha_sigmoid_steepness": steepness, "alpha_low": low, "alpha_high": high}
        out.append((f"liquid alpha, steepness {steepness}", w, s, params))
    for kappa in (0.0, 0.01, 0.99, 1.0):
        w = rng.random((2, 90, 32), dtype=np.float32)
        out.append(
            (f"kappa {kappa}", w, rng.random((2, 90), dtype=np.float32) + 0.01, {"kappa": kappa})
        )
    return out


@pytest.mark.parametrize("version", sim.VERSIONS)
def test_every_backend_matches_scalar(backend: str, version: str) -> None:
    # The backends share the epoch loop (vectorised by the compiler without reordering any
    # rounding) and differ only in the consensus selection, whose stake sums run in another
    # order. Stake shares within a factor 2^29 of each other sum exactly in double in any order,
    # so on these inputs (and the yuma-simulation cases) every output is bit-identical.
    scenarios = _backend_scenarios()
    for case in CASES:
        w = np.asarray(case["inputs"]["weights"], dtype=np.float32)
        s = np.asarray(case["inputs"]["stakes"], dtype=np.float32)
        scenarios.append((case["name"], w, s, {}))
    for name, w, s, params in scenarios:
        want = _run(w, s, version, "scalar", **params)
        got = _run(w, s, version, backend, **params)
        for field in want:
            assert np.array_equal(got[field], want[field]), (name, field)


def test_vector_selection_is_the_sorted_quantile(backend: str) -> None:
    # The selection against its definition (sort each column, walk the running stake), on
    # columns long enough for several narrowing rounds, under every kappa.
    rng = np.random.default_rng(5)
    v, m = 700, 48
    w = rng.random((1, v, m), dtype=np.float32) ** 3
    s = rng.random((1, v), dtype=np.float32) + 0.01
    rows = w[0] / (
        w[0].sum(axis=1, keepdims=True, dtype=np.float64).astype(np.float32) + np.float32(1e-6)
    )
    shares = s[0] / np.float32(s[0].sum(dtype=np.float64))
    for kappa in (0.1, 0.5, 0.77):
        got = _run(w, s, "yuma2", backend, kappa=kappa)["consensus"][0]
        want = np.empty(m, dtype=np.float64)
        for j in range(m):
            order = np.argsort(-rows[:, j], kind="stable")
            run = np.cumsum(shares[order].astype(np.float64))
            want[j] = rows[order[np.argmax(run >= np.float32(kappa))], j]
        want = want.astype(np.float32)
        total = np.float32(want.astype(np.float64).sum())
        want = np.floor(want / total * np.float32(65535)) / np.float32(65535)
        assert np.allclose(got, want, rtol=0, atol=1.5 / 65535), kappa


def _hard_columns(rng: np.random.Generator, kind: int, v: int, m: int) -> np.ndarray:
    """Weight distributions that stress a selection: uniform, heavily skewed, few distinct
    values (ties), mostly zeros, long-tailed."""
    shape = (1, v, m)
    if kind == 0:
        return rng.random(shape, dtype=np.float32)
    if kind == 1:
        return (rng.random(shape) ** 8).astype(np.float32)
    if kind == 2:
        return rng.integers(0, 5, shape).astype(np.float32)
    if kind == 3:
        return np.where(rng.random(shape) < 0.7, 0.0, rng.random(shape)).astype(np.float32)
    return rng.exponential(1.0, shape).astype(np.float32)


def test_vector_selection_on_hard_columns(backend: str) -> None:
    # Every selection path (narrowing rounds, a band of equal weights, the exact pick among a
    # few, the hand-over to the reference) on awkward distributions, stakes spread over three
    # orders of magnitude or dominated by one validator, and kappa at both ends: consensus is
    # the scalar reference's, bit for bit (these stakes sum exactly in double in any order).
    rng = np.random.default_rng(21)
    for t in range(60):
        v, m = int(rng.integers(16, 600)), int(rng.integers(1, 70))
        w = _hard_columns(rng, t % 5, v, m)
        s = (rng.random((1, v)) ** 3 + 1e-3).astype(np.float32)
        if t % 7 == 0:
            s[0, rng.integers(v)] = 100.0
        kappa = float(rng.choice([0.5, 0.1, 0.9, 0.01, 0.99, 1.0, 0.0, 0.3333]))
        want = _run(w, s, "yuma2", "scalar", kappa=kappa)["consensus"]
        got = _run(w, s, "yuma2", backend, kappa=kappa)["consensus"]
        assert np.array_equal(got, want), (t, v, m, kappa)


def test_keep_bonds_false_keeps_only_the_final_state() -> None:
    rng = np.random.default_rng(8)
    w = rng.random((5, 20, 30), dtype=np.float32)
    s = rng.random(20, dtype=np.float32) + 0.01
    for version in sim.VERSIONS:
        for epochs in (1, 2, 5):
            full = sim.simulate(w[:epochs], s, version)
            last = sim.simulate(w[:epochs], s, version, keep_bonds=False)
            assert last.bonds.shape == (1, 20, 30)
            assert np.array_equal(last.bonds[0], full.bonds[-1]), (version, epochs)
            for name in ("prerank", "consensus", "rank", "incentive", "dividends"):
                assert np.array_equal(getattr(last, name), getattr(full, name)), (version, name)
    many = sim.simulate_many([(w, s), (w[:2], s)], "yuma3", keep_bonds=False)
    assert [r.bonds.shape[0] for r in many] == [1, 1]
    with pytest.raises(ValueError, match="keep_bonds"):
        sim.simulate(w, s, keep_bonds=1)  # type: ignore[arg-type]


def test_dropped_results_are_reused_and_live_ones_never() -> None:
    # Result blocks of 1 MiB and more go back to a pool when numpy frees them, and the next run
    # that fits takes them: its results must not depend on what the block held, and a block
    # still referenced (an array or only a view of it) must never be handed out.
    retained = _core.sim.retained_result_bytes
    rng = np.random.default_rng(21)
    shape = (8, 64, 1024)  # bonds of 2 MiB in float32
    wa, wb = rng.random(shape, dtype=np.float32), rng.random(shape, dtype=np.float32)
    s = rng.random(64, dtype=np.float32) + 0.01
    fields = ("prerank", "consensus", "rank", "incentive", "dividends", "bonds")

    def copied(r: sim.SimulationResult) -> dict[str, np.ndarray]:
        return {f: getattr(r, f).copy() for f in fields}

    expected_b = copied(sim.simulate(wb, s, "yuma3"))
    first = sim.simulate(wa, s, "yuma3")
    first_copy = copied(first)
    bonds_view = first.bonds[-1]
    del first
    before = retained()  # the view keeps its block out of the pool
    second = sim.simulate(wb, s, "yuma3")
    assert not np.shares_memory(second.bonds, bonds_view)
    assert np.array_equal(bonds_view, first_copy["bonds"][-1])
    for f in fields:
        assert np.array_equal(getattr(second, f), expected_b[f]), f
    block = shape[0] * shape[1] * shape[2] * 4
    del bonds_view
    dropped = retained()
    assert dropped >= before + block  # the bonds block came back with its last view
    third = sim.simulate(wb, s, "yuma3")
    assert retained() <= dropped - block  # and the next run took it
    for f in fields:
        assert np.array_equal(getattr(third, f), expected_b[f]), f
    # The pool keeps the newest eight blocks given back.
    many = [sim.simulate(wa, s, "yuma3") for _ in range(12)]
    del many, second, third
    assert retained() == 8 * block


def test_unknown_backend_is_refused() -> None:
    with pytest.raises(ValueError, match="backend"):
        _run(np.ones((1, 2, 2)), np.ones((1, 2)), "yuma3", "sse9")


# ---- bad input -------------------------------------------------------------------------------

W = np.ones((2, 3, 4))
S = np.ones((2, 3))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"weights": np.ones(4)}, "weights"),
        ({"weights": np.ones((1, 2, 3, 4))}, "weights"),
        ({"stakes": np.ones((2, 5))}, "stakes"),
        ({"stakes": np.ones((3, 3))}, "stakes"),
        ({"stakes": np.ones((2, 3, 1))}, "stakes"),
        ({"weights": np.ones((2, 3, 0))}, "weights"),
        ({"weights": np.ones((2, 0, 4)), "stakes": np.ones((2, 0))}, "validator"),
        ({"weights": -W}, "weights"),
        ({"weights": np.where(W > 0, np.nan, 0)}, "weights"),
        ({"weights": np.full((2, 3, 4), np.inf)}, "weights"),
        ({"stakes": -S}, "stakes"),
        ({"stakes": np.full((2, 3), np.nan)}, "stakes"),
        ({"stakes": np.zeros((2, 3))}, "stakes"),
        ({"weights": [["a"]]}, "weights"),
        ({"version": "yuma4"}, "version"),
        ({"version": 3}, "version"),
        ({"kappa": 1.5}, "kappa"),
        ({"kappa": float("nan")}, "kappa"),
        ({"kappa": "x"}, "kappa"),
        ({"bond_moving_avg": -0.1}, "bond_moving_avg"),
        ({"bond_penalty": 2}, "bond_penalty"),
        ({"alpha_low": 0.5, "alpha_high": 0.2}, "alpha_low"),
        ({"liquid_alpha": 1}, "liquid_alpha"),
        ({"liquid_alpha_consensus_mode": "LATEST"}, "liquid_alpha_consensus_mode"),
        ({"reset_bonds_index": 9, "reset_bonds_epoch": 1}, "reset_bonds_index"),
        ({"reset_bonds_index": 1}, "reset_bonds_index"),
        ({"reset_bonds_epoch": -1}, "reset_bonds_epoch"),
        ({"gamma": 0.1}, "gamma"),
        ({"dtype": np.int32}, "dtype"),
        ({"threads": 0}, "threads"),
        ({"epochs": 5}, "epochs"),
    ],
)
def test_bad_input_raises_value_error_naming_it(kwargs: dict[str, Any], match: str) -> None:
    args: dict[str, Any] = {"weights": W, "stakes": S, "version": "yuma2"}
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        sim.simulate(**args)


def test_both_inputs_reused_needs_epochs() -> None:
    with pytest.raises(ValueError, match="epochs"):
        sim.simulate(np.ones((3, 4)), np.ones(3))
    assert sim.simulate(np.ones((3, 4)), np.ones(3), epochs=2).epochs == 2


def test_simulate_many_names_the_bad_scenario() -> None:
    with pytest.raises(ValueError, match=r"scenarios\[1\].*stakes"):
        sim.simulate_many([(W, S), (W, -S)], "yuma1")
    with pytest.raises(ValueError, match=r"scenarios\[0\]"):
        sim.simulate_many([W], "yuma1")  # type: ignore[list-item]
    with pytest.raises(ValueError, match="threads"):
        sim.simulate_many([(W, S)], "yuma1", threads=-1)


def test_numpy_integers_count_as_ints() -> None:
    # Counts and indices read from numpy (a config array, a loop over np.arange) are ints here.
    a = sim.simulate(W, S, "yuma2", reset_bonds_index=1, reset_bonds_epoch=2)
    index, epoch = np.uint8(1), np.int32(2)
    b = sim.simulate(W, S, "yuma2", threads=np.int64(1), reset_bonds_index=index,
                     reset_bonds_epoch=epoch)
    assert np.array_equal(a.incentive, b.incentive) and np.array_equal(a.bonds, b.bonds)
    (c,) = sim.simulate_many([(W, S)], "yuma2", threads=np.int64(2))
    assert np.array_equal(c.incentive, sim.simulate(W, S, "yuma2").incentive)


def test_results_larger_than_memory_fail_at_once_with_their_size() -> None:
    memory = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    w, s = np.ones((3, 4), dtype=np.float32), np.ones(3, dtype=np.float32)
    # (4 server vectors + dividends + bonds) x 4 bytes per epoch: four times the machine.
    epochs = 4 * memory // ((4 * 4 + 3 + 3 * 4) * 4)
    start = time.monotonic()
    with pytest.raises(MemoryError, match=r"the results need [0-9.]+ GiB, more than .*keep_bonds"):
        sim.simulate(w, s, "yuma2", epochs=epochs)
    # Sizes past 64 bits too, and without keep_bonds there is no hint to give.
    with pytest.raises(MemoryError, match=r"GiB, more than this machine's [0-9.]+ GiB; or run"):
        sim.simulate(w, s, "yuma2", epochs=2**64 + 5, keep_bonds=False)
    # simulate_many adds its scenarios' results.
    half = epochs // 3
    with pytest.raises(MemoryError, match="more than"):
        sim.simulate_many([(w, s), (w, s)], "yuma2", epochs=half)
    assert time.monotonic() - start < 5


@pytest.mark.skipif(sys.platform != "linux", reason="address-space limit read from /proc")
def test_a_failed_allocation_names_the_results_size() -> None:
    # Under an address-space limit 1 GiB above what the process holds, 2 GiB of results (256 x
    # 1024 float32 bonds kept for 2048 epochs) cannot be allocated: the error says how much.
    code = """
import resource, numpy as np
from taocore import sim
size = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmSize:"))
limit = size * 1024 + 2**30
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
w, s = np.ones((256, 1024), dtype=np.float32), np.ones(256, dtype=np.float32)
try:
    sim.simulate(w, s, "yuma3", epochs=2048)
except MemoryError as exc:
    print(exc)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert re.fullmatch(
        r"the results need 2\.0\d GiB, and allocating the run's memory failed; keep_bonds=False "
        r"keeps only the final bonds; or run fewer epochs\n",
        out.stdout,
    ), out.stdout


def _watched_inputs() -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """One 256 x 1024 matrix and stake vector, reused: an epoch of a few tenths of a ms."""
    rng = np.random.default_rng(21)
    return rng.random((256, 1024), dtype=np.float32), rng.random(256, dtype=np.float32) + 0.01


def _seconds_per_epoch(w: np.ndarray[Any, Any], s: np.ndarray[Any, Any]) -> float:
    start = time.monotonic()
    sim.simulate(w, s, "yuma3", epochs=100, keep_bonds=False)
    return (time.monotonic() - start) / 100


def test_progress_reports_the_epochs_done_and_changes_nothing() -> None:
    w, s = _watched_inputs()
    seen: list[tuple[int, int]] = []
    watched = sim.simulate(
        w,
        s,
        "yuma3_liquid",
        epochs=400,
        keep_bonds=False,
        progress=lambda d, t: seen.append((d, t)),
    )
    assert seen[-1] == (400, 400)
    done = [d for d, _ in seen]
    assert done == sorted(done) and {t for _, t in seen} == {400}
    plain = sim.simulate(w, s, "yuma3_liquid", epochs=400, keep_bonds=False)
    for name in ("bonds", "incentive", "dividends", "consensus"):
        assert np.array_equal(getattr(watched, name), getattr(plain, name)), name
    # A run shorter than the report interval reports once, at the end.
    seen.clear()
    sim.simulate(w[:8, :16], s[:8], "yuma1", epochs=3, progress=lambda d, t: seen.append((d, t)))
    assert seen == [(3, 3)]
    # Several scenarios count together.
    seen.clear()
    sim.simulate_many(
        [(w, s), (w[:64], s[:64])],
        "yuma2",
        epochs=50,
        threads=2,
        progress=lambda d, t: seen.append((d, t)),
    )
    assert seen[-1] == (100, 100)


def test_progress_true_draws_a_bar_on_stderr(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    w, s = _watched_inputs()
    sim.simulate(w, s, "yuma2", epochs=40, keep_bonds=False, progress=True)
    assert "epoch 40/40" in capsys.readouterr().err
    monkeypatch.setattr(sys, "stderr", None)  # as under pythonw: no bar, and no error
    assert sim.simulate(w, s, "yuma2", epochs=4, progress=True).epochs == 4
    with pytest.raises(ValueError, match="progress"):
        sim.simulate(w, s, "yuma2", epochs=40, progress="yes")  # type: ignore[arg-type]


class _Enough(Exception):
    pass


@pytest.mark.parametrize(("threads", "short_first"), [(1, False), (2, False), (2, True)])
def test_an_exception_from_progress_stops_the_run(threads: int, short_first: bool) -> None:
    w, s = _watched_inputs()
    epochs = max(2000, int(20 / _seconds_per_epoch(w, s)))  # some 20 s of work, or more
    # With a short scenario first the calling thread (which takes the first) usually finishes
    # it at once and reports while it waits for the other worker.
    scenarios = [(w[:4, :8], s[:4]), (w, s)] if short_first else [(w, s)] * 2
    calls: list[int] = []

    def progress(done: int, total: int) -> None:
        calls.append(done)
        raise _Enough

    start = time.monotonic()
    with pytest.raises(_Enough):
        sim.simulate_many(
            scenarios, "yuma3", epochs=epochs, threads=threads, keep_bonds=False, progress=progress
        )
    # Stopped at the first report, 0.1 s in, rather than after the whole run.
    assert len(calls) == 1 and calls[0] < 2 * epochs
    assert time.monotonic() - start < 5


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT by os.kill is POSIX")
@pytest.mark.usefixtures("sigint_enabled")
def test_ctrl_c_interrupts_a_long_run() -> None:
    w, s = _watched_inputs()
    epochs = max(2000, int(20 / _seconds_per_epoch(w, s)))
    timer = threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT))
    start = time.monotonic()
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            sim.simulate(w, s, "yuma3", epochs=epochs, keep_bonds=False)
    finally:
        timer.cancel()
    assert time.monotonic() - start < 5


def test_public_surface() -> None:
    assert "sim" in taocore.__all__
    assert set(sim.__all__) == {
        "DEFAULT_PARAMS",
        "VERSIONS",
        "SimulationResult",
        "simulate",
        "simulate_many",
    }
    for name in ("simulate", "simulate_many"):
        assert getattr(sim, name).__doc__
