"""The float Yuma simulator against yuma-simulation's own outputs
(tests/vectors/yuma-sim-cases.json: every case, every version, every epoch), plus properties and
bad input."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import load_vectors
from taocore import sim

DATA = load_vectors("yuma-sim-cases.json")
CASES = DATA["cases"]
VERSION_NAMES = list(DATA["versions"])
FIELDS = {  # SimulationResult field -> yuma-simulation output key
    "prerank": "server_prerank",
    "consensus": "server_consensus_weight",
    "rank": "server_rank",
    "incentive": "server_incentive",
    "dividends": "validator_reward_normalized",
    "bonds": "bonds",
}
QUANTUM = 1 / 65535


def _params(case: dict[str, Any], version: str) -> dict[str, Any]:
    hp = DATA["hyperparameters"]
    params: dict[str, Any] = {
        "kappa": hp["kappa"],
        "bond_penalty": hp["bond_penalty"],
        "liquid_alpha_consensus_mode": hp["liquid_alpha_consensus_mode"],
    }
    for key, value in DATA["versions"][version].items():
        if key in sim.DEFAULT_PARAMS:
            params[key] = value
    params.update(case["config_overrides"])
    if case["reset_bonds"]:
        params["reset_bonds_index"] = case["reset_bonds_index"]
        params["reset_bonds_epoch"] = case["reset_bonds_epoch"]
    return params


def _close(got: np.ndarray[Any, Any], want: np.ndarray[Any, Any], field: str) -> bool:
    ok = np.isclose(got, want, rtol=1e-6, atol=1e-6)
    if field == "consensus":
        # Documented: consensus is quantised to 1/65535 and can flip by one step.
        ok |= np.abs(got - want) <= QUANTUM * 1.01
    return bool(ok.all())


@pytest.mark.parametrize("version", VERSION_NAMES)
@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_matches_yuma_simulation(case: dict[str, Any], version: str) -> None:
    inputs = case["inputs"]
    result = sim.simulate(inputs["weights"], inputs["stakes"], version, **_params(case, version))
    expected = case["outputs"][version]
    flips = 0
    for field, key in FIELDS.items():
        got = np.asarray(getattr(result, field), dtype=np.float64)
        want = np.asarray(expected[key], dtype=np.float64)
        assert got.shape == want.shape, (field, got.shape, want.shape)
        if field == "consensus":
            flips = int((~np.isclose(got, want, rtol=1e-6, atol=1e-6)).sum())
        assert _close(got, want, field), f"{case['name']} / {version}: {field} differs"
    assert flips <= 2  # quantisation flips stay isolated


def test_every_case_and_version_is_replayed() -> None:
    assert len(CASES) == 6
    assert len(VERSION_NAMES) == 6
    assert [sim._version(v) for v in VERSION_NAMES] == list(sim.VERSIONS)


def test_float64_agrees_with_float32() -> None:
    case = CASES[0]
    w, s = case["inputs"]["weights"], case["inputs"]["stakes"]
    a = sim.simulate(w, s, "yuma3", **_params(case, VERSION_NAMES[4]))
    b = sim.simulate(w, s, "yuma3", dtype=np.float64, **_params(case, VERSION_NAMES[4]))
    assert b.incentive.dtype == np.float64
    assert np.allclose(a.incentive, b.incentive, atol=2e-5)
    assert np.allclose(a.dividends, b.dividends, atol=2e-5)


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    v = draw(st.integers(1, 6))
    m = draw(st.integers(1, 8))
    e = draw(st.integers(1, 6))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    w = rng.random((e, v, m)) * (rng.random((e, v, m)) < 0.8)
    s = rng.random((e, v)) + 0.01
    return w, s


@settings(max_examples=60, deadline=None)
@given(scenarios(), st.sampled_from(sim.VERSIONS))
def test_incentive_sums_to_one_or_zero(sc: tuple[Any, Any], version: str) -> None:
    w, s = sc
    r = sim.simulate(w, s, version)
    totals = r.incentive.sum(axis=1)
    assert np.all((np.abs(totals - 1) < 1e-4) | (np.abs(totals) < 1e-6))
    assert np.all(np.isfinite(r.bonds)) and np.all(r.dividends >= 0)


@settings(max_examples=40, deadline=None)
@given(scenarios(), st.sampled_from(sim.VERSIONS), st.randoms(use_true_random=False))
def test_permuting_servers_permutes_outputs(sc: tuple[Any, Any], version: str, rnd: Any) -> None:
    w, s = sc
    perm = list(range(w.shape[2]))
    rnd.shuffle(perm)
    a = sim.simulate(w, s, version, dtype=np.float64)
    b = sim.simulate(w[:, :, perm], s, version, dtype=np.float64)
    assert np.allclose(a.incentive[:, perm], b.incentive, atol=1e-9)
    assert np.allclose(a.dividends, b.dividends, atol=1e-9)


def test_simulate_many_equals_one_by_one() -> None:
    items = [(c["inputs"]["weights"], c["inputs"]["stakes"]) for c in CASES]
    many = sim.simulate_many(items, "yuma2", threads=2)
    for (w, s), r in zip(items, many, strict=True):
        one = sim.simulate(w, s, "yuma2")
        assert np.array_equal(one.incentive, r.incentive)
        assert np.array_equal(one.bonds, r.bonds)


def test_one_matrix_reused_every_epoch() -> None:
    w = np.array([[1.0, 0.0], [0.5, 0.5]])
    s = np.array([0.7, 0.3])
    r = sim.simulate(w, s, "yuma3", epochs=4)
    full = sim.simulate(np.repeat(w[None], 4, axis=0), np.repeat(s[None], 4, axis=0), "yuma3")
    assert r.incentive.shape == (4, 2)
    assert np.array_equal(r.incentive, full.incentive)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: sim.simulate([[1.0]], [1.0], "yuma9"), "version"),
        (lambda: sim.simulate([[1.0]], [1.0], "yuma3", epochs=1, kappa=2.0), "kappa"),
        (lambda: sim.simulate([[1.0]], [1.0], "yuma3", epochs=1, nonsense=1), "nonsense"),
        (lambda: sim.simulate([[-1.0]], [1.0], "yuma3", epochs=1), "weights"),
        (lambda: sim.simulate([[float("nan")]], [1.0], "yuma3", epochs=1), "weights"),
        (lambda: sim.simulate([[1.0]], [-1.0], "yuma3", epochs=1), "stakes"),
        (lambda: sim.simulate([[1.0, 0.0]], [1.0, 2.0], "yuma3", epochs=1), "stakes"),
        (lambda: sim.simulate([[[1.0]], [[1.0]]], [[1.0], [1.0], [1.0]], "yuma3"), "stakes"),
        (lambda: sim.simulate([[1.0]], [1.0], "yuma3", epochs=1, threads=0), "threads"),
    ],
)
def test_bad_input_raises_value_error_naming_it(call: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()
