"""The chain-exact epoch: subtensor's 26 epoch scenarios replayed through ``taocore.consensus``
(every asserted value, and every output of the reference model bit for bit), property tests,
bad input, and identical bits on every SIMD backend."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backend_runs import assert_same_digest
from conftest import load_vectors
from epoch_replay import Scenario, check_expect, outputs
from taocore import consensus

CASES = load_vectors("subtensor-epoch-cases.json")["epoch_cases"]


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_subtensor_epoch_scenario(case: dict[str, Any]) -> None:
    scenario = Scenario.from_case(case)
    epochs = 0
    for index, step in enumerate(case["steps"]):
        for action in step.get("actions", []):
            scenario.apply(action)
        if not step.get("epoch"):
            continue
        got = outputs(scenario.run_epoch(step))
        epochs += 1
        where = f"{case['id']} step {index}"
        if "expect" in step:
            check_expect(step["expect"], got, where)
        for key, want in step.get("derived", {}).items():
            assert got[key] == want, f"{where}: {key} differs from the reference model"
    assert epochs > 0


def test_every_scenario_and_assertion_is_replayed() -> None:
    assert len(CASES) == 26
    asserted = sum(1 for c in CASES for s in c["steps"] if "expect" in s)
    assert asserted == 73


# ---- properties ----------------------------------------------------------------------------------


@st.composite
def subnet_states(draw: st.DrawFn) -> consensus.SubnetState:
    n = draw(st.integers(1, 24))
    validators = draw(st.integers(1, n))
    stake = draw(st.lists(st.integers(0, 10**15), min_size=n, max_size=n))
    rows: list[list[tuple[int, int]]] = []
    for i in range(n):
        if i < validators:
            uids = draw(st.lists(st.integers(0, n - 1), unique=True, max_size=n))
            rows.append([(u, draw(st.integers(0, 65535))) for u in uids])
        else:
            rows.append([])
    bonds = [
        [
            (u, draw(st.integers(0, 65535)))
            for u in sorted(set(draw(st.lists(st.integers(0, n - 1), max_size=n))))
        ]
        for _ in range(n)
    ]
    return consensus.SubnetState(
        n=n,
        current_block=draw(st.integers(0, 10_000)),
        tempo=draw(st.integers(1, 400)),
        activity_cutoff_blocks=draw(st.integers(1, 6000)),
        last_update=draw(st.lists(st.integers(0, 10_000), min_size=n, max_size=n)),
        block_at_registration=draw(st.lists(st.integers(0, 10_000), min_size=n, max_size=n)),
        alpha_stake=stake,
        validator_permit=draw(st.lists(st.booleans(), min_size=n, max_size=n)),
        max_allowed_validators=draw(st.integers(1, n + 2)),
        weights=rows,
        bonds=bonds,
        kappa=draw(st.integers(0, 65535)),
        bonds_penalty=draw(st.integers(0, 65535)),
        bonds_moving_average=draw(st.integers(0, 1_000_000)),
        yuma3=draw(st.booleans()),
        liquid_alpha=draw(st.booleans()),
        owner_uid=draw(st.none() | st.integers(0, n - 1)),
        rao_emission=draw(st.integers(0, 10**12)),
    )


@settings(max_examples=150, deadline=None)
@given(subnet_states())
def test_sums_and_shapes(state: consensus.SubnetState) -> None:
    r = consensus.epoch(state)
    n = state.n
    for name in (
        "stake_weight",
        "consensus",
        "incentive",
        "dividends",
        "validator_trust",
        "emission",
    ):
        assert getattr(r, name).shape == (n,)
    # Normalised vectors sum to 1 (each entry floored to u16, so up to n short) or to 0.
    for name in ("incentive", "dividends", "stake_weight"):
        total = int(getattr(r, name).astype(np.int64).sum())
        assert total == 0 or 65535 - n <= total <= 65535, (name, total)
    # Emission never exceeds what was handed in. Shares are truncated to 2^-32 (at most one ulp
    # per uid and per division) and each payout floors to a rao, which bounds what is lost.
    paid = int(r.server_emission.sum()) + int(r.validator_emission.sum())
    assert paid <= state.rao_emission
    slack = 2 * n + 2 + (4 * n * state.rao_emission >> 32)
    assert paid == 0 or paid >= state.rao_emission - slack or int(r.incentive.sum()) == 0
    assert int(r.emission.sum()) <= state.rao_emission
    # Only uids with a new permit keep bonds.
    for i, row in enumerate(r.bonds_rows()):
        assert not row or r.new_validator_permit[i]


@settings(max_examples=60, deadline=None)
@given(subnet_states(), st.randoms(use_true_random=False))
def test_relabelling_uids_relabels_outputs(state: consensus.SubnetState, rnd: Any) -> None:
    n = state.n
    perm = list(range(n))
    rnd.shuffle(perm)
    # Ties in stake are broken by uid (the lower uid loses a permit), so keep stakes distinct
    # even after flooring to 2^-32 of the total.
    order = sorted(range(n), key=lambda i: (state.alpha_stake[i], i))  # type: ignore[index]
    stake = [0] * n
    for rank, i in enumerate(order):
        stake[i] = (rank + 1) * 10**9
    inv = {old: new for new, old in enumerate(perm)}

    def relabel(rows: Any) -> list[list[tuple[int, int]]]:
        # Liquid alpha reads rows as if sorted by uid; keep each row sorted after relabelling.
        return [sorted((inv[j], w) for j, w in rows[perm[i]]) for i in range(n)]

    base = consensus.SubnetState(
        **{
            **state.__dict__,
            "alpha_stake": stake,
            "weights": [sorted(r) for r in state.weights],
            "bonds": [sorted(r) for r in state.bonds],
        }
    )

    def pick(values: Any) -> list[Any]:
        return [np.asarray(values)[perm[i]] for i in range(n)]

    moved = consensus.SubnetState(
        **{
            **base.__dict__,
            "alpha_stake": pick(stake),
            "last_update": pick(state.last_update),
            "block_at_registration": pick(state.block_at_registration),
            "validator_permit": pick(state.validator_permit),
            "weights": relabel(base.weights),
            "bonds": relabel(base.bonds),
            "owner_uid": None if state.owner_uid is None else inv[state.owner_uid],
        }
    )
    a, b = consensus.epoch(base), consensus.epoch(moved)
    for name in (
        "consensus",
        "incentive",
        "dividends",
        "validator_trust",
        "emission",
        "new_validator_permit",
        "active",
    ):
        assert list(getattr(b, name)) == pick(getattr(a, name)), name


def test_masks_inactive_and_unpermitted_validators() -> None:
    # uid 0 is active and permitted, uid 1 is inactive, uid 2 has no permit: only uid 0's
    # weights count, so the miner it weights (uid 3) gets all incentive.
    state = consensus.SubnetState(
        n=5,
        current_block=1000,
        activity_cutoff_blocks=100,
        yuma3=False,
        last_update=[990, 100, 990, 990, 990],
        block_at_registration=[0] * 5,
        alpha_stake=[10**12, 10**12, 10**12, 0, 0],
        validator_permit=[True, True, False, False, False],
        weights=[[(3, 65535)], [(4, 65535)], [(4, 65535)], [], []],
        rao_emission=10**9,
    )
    r = consensus.epoch(state)
    assert list(r.active) == [True, False, True, True, True]
    assert list(r.incentive) == [0, 0, 0, 65535, 0]
    assert int(r.dividends[0]) == 65535
    # Weights set before a uid registered do not count for it (outdated weights).
    outdated = consensus.SubnetState(
        **{**state.__dict__, "block_at_registration": [0, 0, 0, 995, 0]}
    )
    assert list(consensus.epoch(outdated).incentive) == [0, 0, 0, 0, 0]


def test_commit_reveal_masks_columns_registered_after_the_commit() -> None:
    state = consensus.SubnetState(
        n=3,
        current_block=50,
        activity_cutoff_blocks=1000,
        last_update=[40, 0, 0],
        block_at_registration=[0, 10, 30],
        alpha_stake=[10**12, 0, 0],
        validator_permit=[True, False, False],
        weights=[[(1, 65535), (2, 65535)], [], []],
        rao_emission=10**9,
    )
    assert list(consensus.epoch(state).incentive) == [0, 32767, 32767]
    committed = consensus.SubnetState(
        **{**state.__dict__, "commit_blocks": [20, 2**64 - 1, 2**64 - 1]}
    )
    assert list(consensus.epoch(committed).incentive) == [0, 65535, 0]


def test_csr_and_rows_give_the_same_result() -> None:
    case = next(c for c in CASES if c["id"] == "epoch.test_10_graph")
    scenario = Scenario.from_case(case)
    for action in case["steps"][0]["actions"]:
        scenario.apply(action)
    state = scenario.state()
    rows = state.weights
    indptr = np.cumsum([0] + [len(r) for r in rows])
    indices = np.array([j for r in rows for j, _ in r], dtype=np.uint16)
    data = np.array([w for r in rows for _, w in r], dtype=np.uint16)
    csr = consensus.SubnetState(**{**state.__dict__, "weights": (indptr, indices, data)})
    assert outputs(consensus.epoch(state)) == outputs(consensus.epoch(csr))


def test_mechanisms_split_and_aggregate() -> None:
    case = next(c for c in CASES if c["id"] == "epoch.mechanism.per_mechanism_incentive")
    scenario = Scenario.from_case(case)
    scenario.apply({"op": "set_block", "block": 1})
    state = scenario.state()
    state.rao_emission = 1_000_000_000
    mech = consensus.Mechanism(
        weights=state.weights, bonds=state.bonds, last_update=state.last_update
    )
    r = consensus.epoch_with_mechanisms(state, [mech, mech])
    assert r.emission_shares == (500_000_000, 500_000_000)
    for m in r.mechanisms:  # the case's own asserted per-mechanism incentive
        assert list(m.incentive) == case["steps"][0]["expect"]["incentive_u16"]
    first, second = r.mechanisms[0].server_emission, r.mechanisms[1].server_emission
    assert list(r.subnet.server_emission) == [
        int(a) + int(b) for a, b in zip(first, second, strict=True)
    ]
    assert list(r.subnet.incentive) == list(r.mechanisms[0].incentive)
    assert consensus.split_emissions(1000, 3) == [334, 333, 333]
    assert consensus.split_emissions(1000, 2, [65535, 0]) == [1000, 0]


# ---- bad input -----------------------------------------------------------------------------------


def _ok_state(**changes: Any) -> consensus.SubnetState:
    base = {"n": 2, "alpha_stake": [1, 2], "weights": [[(1, 10)], []]}
    base.update(changes)
    return consensus.SubnetState(**base)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"n": 0}, "n"),
        ({"n": 65536}, "n"),
        ({"alpha_stake": [1]}, "alpha_stake"),
        ({"alpha_stake": [1, -2]}, "alpha_stake"),
        ({"alpha_stake": [1.5, 2]}, "alpha_stake"),
        ({"weights": [[(2, 10)], []]}, "weights"),
        ({"weights": [[(1, 70000)], []]}, "weights"),
        ({"weights": [[(1, 10)]]}, "weights"),
        ({"bonds": [[(0, -1)], []]}, "bonds"),
        ({"last_update": [1, 2, 3]}, "last_update"),
        ({"block_at_registration": [1]}, "block_at_registration"),
        ({"owner_uid": 2}, "owner_uid"),
        ({"kappa": 65536}, "kappa"),
        ({"tempo": -1}, "tempo"),
        ({"validator_permit": [True, False, True]}, "validator_permit"),
        ({"commit_blocks": [1]}, "commit_blocks"),
        ({"weights": (np.array([0, 1, 1]), np.array([5]), np.array([1]))}, "weights"),
        ({"weights": (np.array([0, 2, 1]), np.array([1]), np.array([1]))}, "weights"),
        # Truthiness would read a JSON state's "false" as True.
        ({"yuma3": "false"}, "yuma3 must be a bool"),
        ({"liquid_alpha": 1}, "liquid_alpha must be a bool"),
    ],
)
def test_bad_input_names_the_field(changes: dict[str, Any], field: str) -> None:
    with pytest.raises(ValueError, match=field):
        consensus.epoch(_ok_state(**changes))


def test_flags_take_python_and_numpy_bools() -> None:
    plain = consensus._fields(_ok_state(yuma3=True, liquid_alpha=False))
    numpy_flags = consensus._fields(_ok_state(yuma3=np.bool_(True), liquid_alpha=np.bool_(False)))
    assert (plain["yuma3"], plain["liquid_alpha"]) == (True, False)
    assert (numpy_flags["yuma3"], numpy_flags["liquid_alpha"]) == (True, False)


def test_native_layer_rejects_inconsistent_csr_without_crashing() -> None:
    from taocore._native import _core

    fields = {
        "n": 2,
        "alpha_stake": np.array([1, 1], dtype=np.uint64),
        "block_at_registration": np.zeros(2, dtype=np.uint64),
        "weights_indptr": np.array([0, 5, 9], dtype=np.uint64),
        "weights_indices": np.array([1], dtype=np.uint16),
        "weights_values": np.array([1], dtype=np.uint16),
    }
    with pytest.raises(ValueError, match="weights"):
        _core.consensus.epoch(fields)



# ---- memory --------------------------------------------------------------------------------------

_PEAK_SCRIPT = """
import resource, sys
import numpy as np
from taocore import consensus
n, voters, per_row = (int(a) for a in sys.argv[1:4])
rng = np.random.default_rng(0)
rows = [[(int(c), 1000) for c in np.sort(rng.choice(n, per_row, replace=False))]
        if i < voters else [] for i in range(n)]
indptr = np.cumsum([0] + [len(r) for r in rows]).astype(np.uint64)
flat = [e for r in rows for e in r]
state = consensus.SubnetState(
    n=n, alpha_stake=np.full(n, 10**12, dtype=np.uint64), current_block=5000,
    weights=(indptr, np.array([c for c, _ in flat], dtype=np.uint16),
             np.array([v for _, v in flat], dtype=np.uint16)),
    last_update=np.full(n, 4990, dtype=np.uint64),
    block_at_registration=np.zeros(n, dtype=np.uint64),
    validator_permit=np.arange(n) < voters, max_allowed_validators=max(voters, 1), yuma3=True)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
consensus.epoch(state)
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before)
"""


def test_epoch_memory_grows_with_the_weights_not_with_voters_times_uids() -> None:
    # At the most uids a subnet can have, 128 voters with 16 weights each need next to nothing
    # beyond what one voter with one weight does (the per-uid vectors): a dense voters x uids
    # table for the weighted median took ~55 MB more here.
    def peak_kib(voters: int, per_row: int) -> int:
        args = [sys.executable, "-c", _PEAK_SCRIPT, "65535", str(voters), str(per_row)]
        run = subprocess.run(args, capture_output=True, text=True, check=True, timeout=300)
        return int(run.stdout)

    alone = peak_kib(1, 1)
    many = peak_kib(128, 16)
    assert many - alone < 8 * 1024, (alone, many)

# ---- backends ------------------------------------------------------------------------------------

_DIGEST_SCRIPT = """
import hashlib, json, sys
sys.path.insert(0, {tests!r})
from epoch_replay import Scenario, outputs
cases = json.load(open({path!r}))["epoch_cases"]
h = hashlib.sha256()
for case in cases:
    sc = Scenario.from_case(case)
    for step in case["steps"]:
        for a in step.get("actions", []):
            sc.apply(a)
        if step.get("epoch"):
            h.update(json.dumps(outputs(sc.run_epoch(step)), sort_keys=True).encode())
print(h.hexdigest())
"""


def test_identical_bits_on_every_backend(backend: str) -> None:
    tests = os.path.dirname(__file__)
    script = _DIGEST_SCRIPT.format(
        tests=tests, path=os.path.join(tests, "vectors", "subtensor-epoch-cases.json")
    )
    assert_same_digest(script, backend)


_LARGE_DIGEST_SCRIPT = """
import hashlib, json, sys
import numpy as np
from taocore import consensus
h = hashlib.sha256()
for seed in range(6):
    rng = np.random.default_rng(seed)
    n, validators = 300, 70
    rows = []
    for i in range(n):
        if i < validators:
            cols = rng.choice(n, int(rng.integers(1, n)), replace=False)
            # Few distinct values: ties around the pivots.
            vals = rng.choice([0, 1, 7, 65535, int(rng.integers(0, 65536))], cols.size)
            rows.append([(int(c), int(v)) for c, v in zip(cols, vals)])
        else:
            rows.append([])
    bonds = [[(int(c), int(rng.integers(0, 65536))) for c in rng.choice(n, 40, replace=False)]
             if i < validators else [] for i in range(n)]
    stake = rng.integers(0, 10**13, n).astype(np.uint64)
    for yuma3, liquid in ((False, False), (True, False), (True, True)):
        state = consensus.SubnetState(
            n=n, alpha_stake=stake, current_block=5000, weights=rows, bonds=bonds,
            last_update=np.full(n, 4990, dtype=np.uint64),
            block_at_registration=rng.integers(0, 5000, n).astype(np.uint64),
            validator_permit=np.arange(n) < validators, max_allowed_validators=validators,
            rao_emission=10**9, yuma3=yuma3, liquid_alpha=liquid, kappa=int(rng.integers(0, 65536)))
        h.update(json.dumps(consensus.epoch(state).to_dict(), sort_keys=True, default=str).encode())
print(h.hexdigest())
"""


def test_identical_bits_on_every_backend_for_large_random_subnets(backend: str) -> None:
    # Hundreds of voters per column with ties: the vectorised median partition's long lists.
    assert_same_digest(_LARGE_DIGEST_SCRIPT, backend)


_LIQUID_DIGEST_SCRIPT = """
import hashlib, json, sys
import numpy as np
from taocore import consensus
h = hashlib.sha256()
for n in (1, 2, 3, 5, 8, 13, 17, 33, 64, 100, 256, 511, 1024, 2048, 4096):
    for variant in range(10 if n <= 1024 else 4):
        rng = np.random.default_rng(n * 10 + variant)
        validators = max(1, min(n, int(rng.integers(1, 65))))
        dense = variant % 2 == 0 and n <= 1024
        rows, bonds = [], []
        for i in range(n):
            if i < validators:
                k = n if dense else int(rng.integers(1, min(n, 512) + 1))
                cols = np.arange(n) if dense else rng.choice(n, k, replace=False)
                vals = rng.integers(0, 65536, cols.size)
                if variant == 1:
                    vals = rng.choice([0, 1, 32768, 65535, int(rng.integers(0, 65536))], cols.size)
                rows.append([(int(c), int(v)) for c, v in zip(cols, vals)])
                bk = n if dense else int(rng.integers(0, min(n, 512) + 1))
                bcols = np.arange(n) if dense else rng.choice(n, bk, replace=False)
                bonds.append([(int(c), int(rng.integers(0, 65536))) for c in bcols])
            else:
                rows.append([])
                bonds.append([])
        stake = rng.integers(0, 10**13, n).astype(np.uint64)
        spans = [(45875, 58982), (0, 65535), (30000, 30000), (1000, 64000), (65535, 65535), (0, 0)]
        lo_u, hi_u = spans[int(rng.integers(0, 6))]
        steeps = [1000, -1000, 0, 1, 100, 2500, 32767, -32768, int(rng.integers(-32768, 32768))]
        steep = int(rng.choice(steeps))
        for yuma3 in (True, False):
            state = consensus.SubnetState(
                n=n, alpha_stake=stake, current_block=5000, weights=rows, bonds=bonds,
                last_update=np.full(n, 4990, dtype=np.uint64),
                block_at_registration=rng.integers(0, 5000, n).astype(np.uint64),
                validator_permit=np.arange(n) < validators, max_allowed_validators=validators,
                rao_emission=10**9, yuma3=yuma3, liquid_alpha=True, alpha_low=lo_u, alpha_high=hi_u,
                alpha_sigmoid_steepness=steep, kappa=int(rng.integers(0, 65536)))
            out = consensus.epoch(state).to_dict()
            h.update(json.dumps(out, sort_keys=True, default=str).encode())
print(h.hexdigest())
"""


def test_identical_bits_on_every_backend_with_liquid_alpha(backend: str) -> None:
    # Liquid alpha's kernels (exponents, interval, exact series, moving average) over whole
    # epochs: dense and sparse subnets of 1 to 4096 uids, several alpha bounds (span 0 and the
    # full span among them) and steepnesses, Yuma and Yuma3.
    assert_same_digest(_LIQUID_DIGEST_SCRIPT, backend)
