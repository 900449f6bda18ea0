"""The coinbase formulas and one epoch's payout: every emission and coinbase vector, plus laws."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import load_vectors
from taocore import consensus, emission

VECTORS = load_vectors("subtensor-epoch-cases.json")
EMISSION = {c["id"]: c for c in VECTORS["emission_cases"]}
COINBASE = {c["id"]: c for c in VECTORS["coinbase_cases"]}
U64_MAX = 2**64 - 1


def test_all_cases_are_covered() -> None:
    assert len(EMISSION) == 24
    assert len(COINBASE) == 9


# ---- emission_cases --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "case",
    [c for c in EMISSION.values() if c["function"] == "split_emissions"],
    ids=lambda c: c["id"],
)
def test_split_emissions(case: dict[str, Any]) -> None:
    i = case["inputs"]
    assert (
        consensus.split_emissions(i["alpha"], i["mechanism_count"], i["split_u16"])
        == case["expected"]
    )
    if i["split_u16"] is not None:  # numpy arrays are taken as lists are
        split = np.array(i["split_u16"], dtype=np.uint16)
        got = consensus.split_emissions(i["alpha"], i["mechanism_count"], split)
        assert got == case["expected"]


@pytest.mark.parametrize(
    "case", [c for c in EMISSION.values() if c["id"].startswith("schedule.")], ids=lambda c: c["id"]
)
def test_blocks_until_next_auto_epoch(case: dict[str, Any]) -> None:
    i = case["inputs"]
    expected = U64_MAX if case["expected"] == "u64::MAX" else case["expected"]
    got = emission.blocks_until_next_auto_epoch(
        i.get("last_epoch_block", 0), i["tempo"], i["block"]
    )
    assert got == expected


def test_every_emission_case_is_replayed() -> None:
    kinds = {"split_emissions", "get_block_emission_for_issuance"}
    for c in EMISSION.values():
        assert c["function"] in kinds or c["id"].startswith("schedule."), c["id"]


# ---- coinbase_cases --------------------------------------------------------------------------


def test_owner_cut_base() -> None:
    case = COINBASE["coinbase.owner_cut_base"]
    a = case["inputs"]["alpha_out_block"]
    for cut, expected in zip(
        case["inputs"]["subnet_owner_cut_u16"], case["expected"]["PendingOwnerCut"], strict=True
    ):
        s = emission.participant_split(a, cut)
        assert s.owner_cut == expected
        assert s.total() == a


def test_pending_emission() -> None:
    case = COINBASE["coinbase.pending_emission"]
    a = case["inputs"]["alpha_out_block"]
    # root_proportion ≈ 0.25: 1e9 root TAO at TaoWeight 1.0 against 3e9 alpha issuance.
    rp = emission.root_proportion(10**9, U64_MAX, 3 * 10**9)
    assert rp == Fraction(1, 4)
    s = emission.participant_split(a, case["inputs"]["owner_cut"], rp, root_sell=True)
    tol = case["tolerance"]
    assert abs(s.server - case["expected"]["PendingServerEmission"]) <= tol
    assert abs(s.validator - case["expected"]["PendingValidatorEmission"]) <= tol
    assert abs(s.root - case["expected"]["PendingRootAlphaDivs"]) <= tol
    # Root sell off: the root alpha is recycled instead.
    off = emission.participant_split(a, 0, rp, root_sell=False)
    assert off.root == 0 and off.recycled == s.root and off.total() == a


def test_subnet_shares_take_numpy_arrays() -> None:
    prices, burned, enabled = [1, 2, 3], [0.5, 0.0, 0.25], [True, False, True]
    as_lists = emission.subnet_shares(prices, miner_burned=burned, enabled=enabled)
    as_arrays = emission.subnet_shares(
        np.array(prices), miner_burned=np.array(burned), enabled=np.array(enabled)
    )
    assert as_arrays == as_lists
    # Disabled subnets get nothing; U64F64 shares floor, so the sum falls short by < 1 ulp each.
    assert as_lists[1] == 0
    assert 0 <= 1 - sum(as_lists) < Fraction(len(prices), 2**64)


@pytest.mark.parametrize(
    "name", ["coinbase.alpha_issuance_base", "coinbase.alpha_issuance_different"]
)
def test_alpha_injection(name: str) -> None:
    case = COINBASE[name]
    i = case["inputs"]
    shares = emission.subnet_shares(i["moving_prices"])
    for k, (share, price) in enumerate(zip(shares, i["prices"], strict=True)):
        tao_em = emission.tao_emission(i["block_emission"], share)
        # The cap (root_proportion · alpha emission) does not bind in this test.
        inj = emission.alpha_injection(tao_em, price, 10**9, 1)
        assert i["initial_alpha_in"][k] + int(inj.alpha_in) == case["expected"]["SubnetAlphaIn"][k]
        assert inj.excess_tao == 0


def test_moving_price_ema() -> None:
    case = COINBASE["coinbase.moving_price_ema"]
    i = case["inputs"]
    p: Fraction = Fraction(i["start"])
    for _ in range(i["updates"]):
        # first emission block 1 makes b = block.
        p = emission.update_moving_price(
            p,
            i["price"],
            i["blocks_since_start"],
            1,
            moving_alpha=i["moving_alpha"],
            halving_blocks=i["halving_blocks"],
        )
    assert abs(float(p) - case["expected"]["moving_price"]) <= case["tolerance"]


def test_moving_price_initial() -> None:
    i = COINBASE["coinbase.moving_price_initial"]["inputs"]
    p = emission.update_moving_price(
        i["start"],
        i["price"],
        i["current_block"],
        i["first_emission_block"],
        moving_alpha=i["moving_alpha"],
        halving_blocks=i["halving_blocks"],
    )
    assert float(p) < COINBASE["coinbase.moving_price_initial"]["expected"]["moving_price_lt"]


def test_moving_price_after_time() -> None:
    case = COINBASE["coinbase.moving_price_after_time"]
    i = case["inputs"]
    p = emission.update_moving_price(
        i["start"],
        i["price"],
        i["current_block"],
        i["first_emission_block"],
        moving_alpha=i["moving_alpha"],
        halving_blocks=i["halving_blocks"],
    )
    assert abs(float(p) - case["expected"]["moving_price"]) <= case["tolerance"]


def test_moving_price_caps_the_spot_price_at_one() -> None:
    assert emission.update_moving_price(
        0, 5, 10**9, 1, moving_alpha=1
    ) == emission.update_moving_price(0, 1, 10**9, 1, moving_alpha=1)


def test_childkey_take() -> None:
    case = COINBASE["coinbase.childkey_take"]
    i = case["inputs"]
    # uid 0 = parent (validator stake), uid 1 = child holding all of it; the epoch pays the child
    # everything as dividends (no incentive), so validators share server + validator.
    total = i["pending_server"] + i["pending_validator"]
    p = emission.distribute_epoch(
        [0, 0],
        [0, total],
        pending_server=i["pending_server"],
        pending_validator=i["pending_validator"],
        alpha_stake=[i["parent_alpha"], i["child_alpha"]],
        tao_weight=i["tao_weight"],
        children={1: [(0, U64_MAX)]},
        childkey_take=[0, i["childkey_take_u16"]],
    )
    parent = i["parent_alpha"] + int(p.take[0] + p.nominator[0])
    child = i["child_alpha"] + int(p.take[1] + p.nominator[1])
    tol = case["tolerance"]
    assert abs(parent - case["expected"]["parent_stake_after"]) <= tol
    assert abs(child - case["expected"]["child_stake_after"]) <= tol
    assert p.total() == p.input_total == total


def test_calculate_dividend_distribution_totals() -> None:
    case = COINBASE["coinbase.calculate_dividend_distribution_totals"]
    i = case["inputs"]
    tw = round(Fraction(i["tao_weight"]) * U64_MAX)
    p = emission.distribute_epoch(
        [0, 0],
        [i["dividends"]["0"], i["dividends"]["1"]],
        pending_server=0,
        pending_validator=i["pending_validator_alpha"],
        pending_root=i["pending_root_alpha"],
        alpha_stake=[i["stake_map"]["0"][0], i["stake_map"]["1"][0]],
        root_stake=[i["stake_map"]["0"][1], i["stake_map"]["1"][1]],
        tao_weight=tw,
        take=0,
    )
    tol = case["tolerance"]
    # pending_server = 0 and no incentive: validator_alpha = validator + server.
    assert abs(int(p.dividend.sum()) - case["expected"]["sum_alpha_dividends"]) <= tol
    assert abs(int(p.root_dividend.sum()) - case["expected"]["sum_root_alpha_dividends"]) <= tol
    for k in ("0", "1"):
        assert abs(int(p.dividend[int(k)]) - case["derived"]["alpha_dividends"][k]) <= tol
        assert abs(int(p.root_dividend[int(k)]) - case["derived"]["root_alpha_dividends"][k]) <= tol
    assert p.total() == p.input_total


# ---- laws --------------------------------------------------------------------------------------


@given(
    a=st.integers(0, 10**18),
    cut=st.integers(0, 65535),
    rp=st.fractions(0, 1),
    sell=st.booleans(),
    enabled=st.booleans(),
)
def test_participant_split_conserves(
    a: int, cut: int, rp: Fraction, sell: bool, enabled: bool
) -> None:
    s = emission.participant_split(a, cut, rp, sell, enabled)
    assert s.total() == a == s.alpha_out
    assert 0 <= s.uncredited <= 3
    assert min(s.owner_cut, s.server, s.validator, s.root, s.recycled) >= 0
    if not enabled:
        assert s.owner_cut == 0


@st.composite
def payouts(draw: st.DrawFn) -> dict[str, Any]:
    n = draw(st.integers(1, 12))
    u64s = st.integers(0, 10**15)
    kids: dict[int, list[tuple[int, int]]] = {}
    budget = [U64_MAX] * n
    for c in range(n):
        for p in draw(st.lists(st.integers(0, n - 1), max_size=2, unique=True)):
            if p == c:
                continue
            q = draw(st.integers(0, budget[p]))
            budget[p] -= q
            kids.setdefault(c, []).append((p, q))
    return {
        "server_emission": draw(st.lists(u64s, min_size=n, max_size=n)),
        "validator_emission": draw(st.lists(u64s, min_size=n, max_size=n)),
        "pending_server": draw(u64s),
        "pending_validator": draw(u64s),
        "pending_root": draw(u64s),
        "pending_owner_cut": draw(u64s),
        "alpha_stake": draw(st.lists(u64s, min_size=n, max_size=n)),
        "root_stake": draw(st.lists(u64s, min_size=n, max_size=n)),
        "take": draw(st.lists(st.integers(0, 65535), min_size=n, max_size=n)),
        "owner_hotkey": draw(st.lists(st.booleans(), min_size=n, max_size=n)),
        "tao_weight": draw(st.integers(0, U64_MAX)),
        "children": kids,
        "childkey_take": draw(st.lists(st.integers(0, 11796), min_size=n, max_size=n)),
        "coldkeys": draw(st.lists(st.integers(0, 3), min_size=n, max_size=n)),
        "recycle_owner_incentive": draw(st.booleans()),
    }


@settings(max_examples=200, deadline=None)
@given(kw=payouts())
def test_distribute_epoch_accounts_for_every_rao(kw: dict[str, Any]) -> None:
    se, ve = kw.pop("server_emission"), kw.pop("validator_emission")
    p = emission.distribute_epoch(se, ve, **kw)
    assert p.total() == p.input_total
    assert int(p.incentive.sum(dtype=object)) + p.burned + p.recycled == sum(se)
    if sum(p.dividend_weight.tolist()) > 0:
        # Validators never receive more than their buckets (each payout is floored).
        vbucket = kw["pending_validator"] + (kw["pending_server"] if sum(se) == 0 else 0)
        assert int(p.dividend.sum(dtype=object)) <= vbucket
        assert int(p.root_dividend.sum(dtype=object)) <= kw["pending_root"]


def test_distribute_epoch_basic_split() -> None:
    p = emission.distribute_epoch(
        [300, 200],
        [0, 500],
        pending_server=500,
        pending_validator=500,
        alpha_stake=[0, 1000],
        take=6553,
        owner_hotkey=[True, False],
    )
    assert p.burned == 300 and p.incentive.tolist() == [0, 200]
    assert int(p.take[1]) == 49 and int(p.nominator[1]) == 450  # 500·6553/65535 = 49.99
    assert p.uncredited == 1 and p.total() == 1000


def test_bad_input_names_the_field() -> None:
    base: dict[str, Any] = {"pending_server": 0, "pending_validator": 0, "alpha_stake": [1, 1]}
    with pytest.raises(ValueError, match="alpha_stake"):
        emission.distribute_epoch([0, 0], [0, 0], **{**base, "alpha_stake": [-1, 1]})
    with pytest.raises(ValueError, match="take"):
        emission.distribute_epoch([0, 0], [0, 0], **base, take=65536)
    with pytest.raises(ValueError, match="more than 1"):
        emission.inherited_stake([1, 1, 1], {0: [(2, U64_MAX)], 1: [(2, 1)]})
    with pytest.raises(ValueError, match="validator_emission"):
        emission.distribute_epoch([0, 0], [0], **base)
    with pytest.raises(ValueError, match="owner_cut_u16"):
        emission.participant_split(1, 65536)
    with pytest.raises(ValueError, match="root_proportion"):
        emission.participant_split(1, 0, 2)
    with pytest.raises(ValueError, match="negative"):
        emission.participant_split(-1, 0)
    with pytest.raises(ValueError, match="root_sell must be a bool"):
        emission.participant_split(1, 0, root_sell="false")
    with pytest.raises(ValueError, match=r"enabled\[1\] must be a bool"):
        emission.subnet_shares([1, 2], enabled=[True, "no"])
    # Not finite: named, where Fraction's own error named nothing (and infinity was not even a
    # ValueError); shares and root proportions above 1 are refused wherever they are taken.
    for bad in (float("nan"), float("inf"), np.float32("-inf")):
        with pytest.raises(ValueError, match=r"moving_prices\[1\] must be finite"):
            emission.subnet_shares([1, bad])
        with pytest.raises(ValueError, match="price must be finite"):
            emission.alpha_injection(10, bad, 10, 0)
        with pytest.raises(ValueError, match="share must be finite"):
            emission.tao_emission(10, bad)
    with pytest.raises(ValueError, match="share must be at most 1"):
        emission.tao_emission(10, Fraction(3, 2))
    with pytest.raises(ValueError, match="root_proportion must be at most 1"):
        emission.alpha_injection(10, 1, 10, 1.5)
    assert emission.tao_emission(10, 1) == 10
    # numpy's bool cast read both "no" and "yes" as True: every uid's incentive withheld.
    with pytest.raises(ValueError, match="owner_hotkey must hold booleans"):
        emission.distribute_epoch([5, 5], [5, 5], **base, owner_hotkey=["no", "yes"])
    with pytest.raises(ValueError, match="owner_hotkey must be one-dimensional with n = 2"):
        emission.distribute_epoch([5, 5], [5, 5], **base, owner_hotkey=[True])
    with pytest.raises(ValueError, match="take must be an int"):
        emission.distribute_epoch([5, 5], [5, 5], **base, take=0.5)


def test_inherited_stake() -> None:
    own = np.array([1000, 0, 500], dtype=np.uint64)
    assert emission.inherited_stake(own).tolist() == [1000, 0, 500]
    half = U64_MAX // 2 + 1  # ≈ 0.5
    got = emission.inherited_stake(own, {1: [(0, half)]})
    assert got.tolist()[2] == 500 and sum(got.tolist()) in (1499, 1500)
