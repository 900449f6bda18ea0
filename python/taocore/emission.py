"""TAO and alpha emission in exact integer rao, as the Bittensor chain computes it.

Every amount is an ``int`` (or a numpy ``uint64`` array) of rao. Where the chain keeps a
fixed-point number (a share, a price, a proportion), it is returned as a
:class:`fractions.Fraction` equal to the chain's value bit for bit (``bits / 2**frac``), and such
values are accepted back as inputs (ints, floats and Fractions are rounded to the nearest
representable value, ties to even, as ``from_num`` does).

The pure coinbase formulas (spec §8.3, §8.4, §8.8) are :func:`participant_split`,
:func:`subnet_shares`, :func:`tao_emission`, :func:`alpha_injection`, :func:`update_moving_price`,
:func:`root_proportion` and :func:`blocks_until_next_auto_epoch`. :func:`distribute_epoch` pays
out one epoch (spec §8.5 and the childkey split of §8.6) and says where every rao went.
:class:`Network` steps whole subnets block by block in the chain's order, calling the
chain-exact epoch (:func:`taocore.consensus.epoch`) when a subnet's epoch is due, and books every
minted rao in a named place (its docstring lists what it simplifies).
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
import numpy.typing as npt

from taocore import consensus
from taocore._checks import U16_MAX, U64_MAX, bool_array, flag, integer, uint_array
from taocore._native import _core
from taocore._progress import ProgressCallback, progress_reporter

__all__ = [
    "DEFAULT_MOVING_ALPHA",
    "DEFAULT_OWNER_CUT",
    "DEFAULT_TAKE",
    "DEFAULT_TAO_WEIGHT",
    "EMA_PRICE_HALVING_BLOCKS",
    "TOTAL_SUPPLY_RAO",
    "AlphaInjection",
    "EpochPayout",
    "Network",
    "ParticipantSplit",
    "SubnetView",
    "alpha_injection",
    "block_emission",
    "blocks_until_next_auto_epoch",
    "distribute_epoch",
    "inherited_stake",
    "participant_split",
    "pool_price",
    "root_proportion",
    "subnet_shares",
    "tao_emission",
    "update_moving_price",
]

#: 21 million TAO in rao; issuance never exceeds it.
TOTAL_SUPPLY_RAO = 21_000_000_000_000_000
#: ``SubnetOwnerCut`` default (u16, ≈ 18 %).
DEFAULT_OWNER_CUT = 11_796
#: Default delegate take (u16, ≈ 18 %).
DEFAULT_TAKE = 11_796
#: The chain's default ``TaoWeight`` (fraction of 2**64 - 1, about 0.0527).
DEFAULT_TAO_WEIGHT = consensus.DEFAULT_TAO_WEIGHT
#: ``SubnetMovingAlpha`` default: I96F32::from_num(0.000003), exactly.
DEFAULT_MOVING_ALPHA = Fraction(12_885, 2**32)
#: ``EMAPriceHalvingBlocks`` default.
EMA_PRICE_HALVING_BLOCKS = 201_600

_F32 = 2**32  # U96F32 / I96F32
_F64 = 2**64  # U64F64

Number = int | float | Fraction


def _bits(name: str, value: Any, scale: int, hi_bits: int = 128, at_most_one: bool = False) -> int:
    """A non-negative number (at most 1 if ``at_most_one``: a share or a proportion) as
    fixed-point bits, rounded to nearest (ties to even)."""
    if isinstance(value, bool) or not isinstance(
        value, (int, float, Fraction, np.integer, np.floating)
    ):
        raise ValueError(f"{name} must be a number, got {type(value).__name__}")
    if isinstance(value, (float, np.floating)) and not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    f = (
        Fraction(value)
        if not isinstance(value, (np.integer, np.floating))
        else Fraction(value.item())
    )
    if f < 0:
        raise ValueError(f"{name} must not be negative, got {value}")
    if at_most_one and f > 1:
        raise ValueError(f"{name} must be at most 1, got {value}")
    b = round(f * scale)
    if b.bit_length() > hi_bits:
        raise ValueError(f"{name} is too large, got {value}")
    return b


def _u64_array(name: str, value: Any, n: int | None, hi: int = U64_MAX) -> npt.NDArray[np.uint64]:
    return uint_array(name, value, hi, n)


def _takes(name: str, value: Any, n: int) -> npt.NDArray[np.uint16]:
    """A take (u16) for every uid: one int for all, or one per uid."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return np.full(n, integer(name, value, hi=U16_MAX), dtype=np.uint16)
    if isinstance(value, (float, np.floating)):
        raise ValueError(f"{name} must be an int (u16) or one per uid, got float")
    return _u64_array(name, value, n, hi=U16_MAX).astype(np.uint16)


def block_emission(total_issuance: int) -> int:
    """Rao emitted per block at ``total_issuance`` rao (the chain's halving rule, bit for bit).

    1 TAO (1e9 rao) per block until 10.5M TAO are issued, then 0.5, 0.25, ... at issuance
    10.5e15, 15.75e15, 18.375e15, ... rao, and 0 from 21e15 on. The same rule gives a subnet's
    alpha emission from its alpha issuance. Raises ``ValueError`` for a negative issuance or one
    that is not an integer.
    """
    issuance = integer("total_issuance", total_issuance, 0, None)
    if issuance >= TOTAL_SUPPLY_RAO:
        return 0
    return _core.emission.block_emission(issuance)


def root_proportion(root_tao: int, tao_weight: int, alpha_issuance: int) -> Fraction:
    """``tw / (tw + alpha_issuance)`` with ``tw = root_tao · tao_weight / (2**64 - 1)`` (U96F32).

    ``root_tao`` is the root subnet's TAO (``SubnetTAO[0]``), ``tao_weight`` the chain's
    ``TaoWeight`` (a fraction of 2**64 - 1), ``alpha_issuance`` the subnet's alpha in + out.
    The exact U96F32 value; 0 when both terms are 0.
    """
    bits = _core.emission.root_proportion(
        integer("root_tao", root_tao),
        integer("tao_weight", tao_weight),
        integer("alpha_issuance", alpha_issuance),
    )
    return Fraction(bits, _F32)


@dataclass(frozen=True)
class ParticipantSplit:
    """One block's alpha emission split into the pending buckets (rao; spec §8.3).

    ``alpha_out`` is the whole emission (what ``SubnetAlphaOut`` gains); ``owner_cut``,
    ``server``, ``validator`` and ``root`` are added to the four pending buckets, ``recycled`` is
    the root alpha when root sell is off (taken back out of ``SubnetAlphaOut``). Each line is
    floored on its own, so up to a few rao per block are minted but credited to no bucket:
    ``uncredited``.
    """

    alpha_out: int
    owner_cut: int
    server: int
    validator: int
    root: int
    recycled: int

    @property
    def uncredited(self) -> int:
        """Rao of ``alpha_out`` credited to no bucket (the per-line floors)."""
        return (
            self.alpha_out
            - self.owner_cut
            - self.server
            - self.validator
            - self.root
            - self.recycled
        )

    def total(self) -> int:
        """Every named place summed back: equals ``alpha_out``."""
        return (
            self.owner_cut
            + self.server
            + self.validator
            + self.root
            + self.recycled
            + self.uncredited
        )


def participant_split(
    alpha_emission: int,
    owner_cut_u16: int,
    root_proportion: Number = 0,
    root_sell: bool = False,
    owner_cut_enabled: bool = True,
) -> ParticipantSplit:
    """Split one block's alpha emission the way ``emit_to_subnets`` does (spec §8.3), in U96F32.

    ``cut = a · owner_cut_u16/65535`` (if ``owner_cut_enabled``) and ``a -= cut``;
    ``root = root_proportion · a · 0.5``; ``server = a · 0.5``; ``validator = (a - server) - root``.
    With ``root_sell`` the root alpha goes to the pending root bucket, otherwise it is recycled.
    ``root_proportion`` is a number in [0, 1] (e.g. from :func:`root_proportion`).
    """
    raw = _core.emission.participant_split(
        integer("alpha_emission", alpha_emission),
        integer("owner_cut_u16", owner_cut_u16, hi=U16_MAX),
        _bits("root_proportion", root_proportion, _F32, at_most_one=True),
        flag("root_sell", root_sell),
        flag("owner_cut_enabled", owner_cut_enabled),
    )
    return ParticipantSplit(*raw)


def subnet_shares(
    moving_prices: Sequence[Number],
    miner_burned: Sequence[Number] | None = None,
    enabled: Sequence[bool] | None = None,
) -> list[Fraction]:
    """Each subnet's share of the block's TAO (``get_shares``, U64F64; spec §8.3).

    ``moving_prices`` are the subnets' price EMAs (stored as I96F32); ``miner_burned`` the
    fraction of last epoch's incentive withheld from owner hotkeys (weights the share by
    ``1 - min(mb, 1)``); subnets with ``enabled`` False get 0 and the others are renormalised.
    """
    mp = [_bits(f"moving_prices[{i}]", p, _F32, 127) for i, p in enumerate(moving_prices)]
    mb = [
        _bits(f"miner_burned[{i}]", p, _F64)
        for i, p in enumerate(() if miner_burned is None else miner_burned)
    ]
    en = [flag(f"enabled[{i}]", e) for i, e in enumerate(() if enabled is None else enabled)]
    for name, seq in (("miner_burned", mb), ("enabled", en)):
        if seq and len(seq) != len(mp):
            raise ValueError(f"{name} has {len(seq)} entries for {len(mp)} subnets")
    return [Fraction(b, _F64) for b in _core.emission.subnet_shares(mp, mb, en)]


def tao_emission(block_emission: int, share: Number) -> Fraction:
    """A subnet's TAO for the block: ``U96F32(U64F64(block_emission) · share)``."""
    return Fraction(
        _core.emission.tao_emission_for_share(
            integer("block_emission", block_emission), _bits("share", share, _F64, at_most_one=True)
        ),
        _F32,
    )


def pool_price(tao_reserve: int, alpha_reserve: int) -> Fraction:
    """Spot alpha price ``SubnetTAO / SubnetAlphaIn`` (U96F32; the 50/50 pool). 0 if no alpha."""
    return Fraction(
        _core.emission.pool_price(
            integer("tao_reserve", tao_reserve), integer("alpha_reserve", alpha_reserve)
        ),
        _F32,
    )


@dataclass(frozen=True)
class AlphaInjection:
    """``get_subnet_terms`` (U96F32 values): TAO and alpha injected into the pool, and the TAO
    left over that buys alpha for the protocol. The chain credits the floors."""

    tao_in: Fraction
    alpha_in: Fraction
    excess_tao: Fraction


def alpha_injection(
    tao_emission: Number, price: Number, alpha_emission: int, root_proportion: Number
) -> AlphaInjection:
    """``alpha_in = tao_emission / price``, capped at ``root_proportion · alpha_emission`` (then
    ``tao_in = alpha_in · price``); ``excess_tao = tao_emission - tao_in`` (spec §8.3)."""
    t, a, x = _core.emission.subnet_terms(
        _bits("tao_emission", tao_emission, _F32),
        _bits("price", price, _F32),
        integer("alpha_emission", alpha_emission),
        _bits("root_proportion", root_proportion, _F32, at_most_one=True),
    )
    return AlphaInjection(Fraction(t, _F32), Fraction(a, _F32), Fraction(x, _F32))


def update_moving_price(
    old: Number,
    price: Number,
    block: int,
    first_emission_block: int,
    moving_alpha: Number = DEFAULT_MOVING_ALPHA,
    halving_blocks: int = EMA_PRICE_HALVING_BLOCKS,
) -> Fraction:
    """One ``update_moving_price`` step (spec §8.8), returning the stored I96F32 value.

    ``a = moving_alpha · b/(b + halving_blocks)``, ``b = block - (first_emission_block - 1)``;
    ``new = a · min(price, 1) + (1 - a) · old`` in U64F64 (the spot price is capped at 1).
    """
    bits = _core.emission.update_moving_price(
        _bits("old", old, _F32, 127),
        _bits("price", price, _F32),
        _bits("moving_alpha", moving_alpha, _F32, 127),
        integer("block", block),
        integer("first_emission_block", first_emission_block),
        integer("halving_blocks", halving_blocks),
    )
    return Fraction(bits, _F32)


def blocks_until_next_auto_epoch(last_epoch_block: int, tempo: int, block: int) -> int:
    """Blocks until the subnet's next automatic epoch (``LastEpochBlock + tempo``, spec §8.4).

    0 when it is due; ``2**64 - 1`` when ``tempo`` is 0 (never).
    """
    return int(
        _core.emission.blocks_until_next_auto_epoch(
            integer("last_epoch_block", last_epoch_block),
            integer("tempo", tempo, hi=U16_MAX),
            integer("block", block),
        )
    )


Children = Mapping[int, Sequence[tuple[int, int]]]


def _links(children: Children | None, n: int) -> tuple[Any, Any, Any]:
    if not children:
        return None, None, None
    indptr = [0]
    parent: list[int] = []
    prop: list[int] = []
    for c in children:
        integer("children uid", c, hi=n - 1)
    for c in range(n):
        for p, q in children.get(c, ()):
            parent.append(integer(f"children[{c}] parent", p, hi=n - 1))
            prop.append(integer(f"children[{c}] proportion", q))
        indptr.append(len(parent))
    return (
        np.asarray(indptr, dtype=np.uint64),
        np.asarray(parent, dtype=np.uint16),
        np.asarray(prop, dtype=np.uint64),
    )


def inherited_stake(own: npt.ArrayLike, children: Children | None = None) -> npt.NDArray[np.uint64]:
    """Stake per uid after childkey delegation (spec §8.7):
    ``floor(own - own·Σ child_prop + Σ_parent parent_own·prop)``.

    ``children`` maps a child uid to its parents as ``(parent_uid, proportion)`` pairs, the
    proportion a fraction of 2**64 - 1. A parent's proportions summing over 1 raise ``ValueError``.
    """
    o = _u64_array("stake", own, None)
    return np.asarray(_core.emission.inherited_stake(o, *_links(children, o.size)), dtype=np.uint64)


@dataclass(frozen=True)
class EpochPayout:
    """Where one epoch's pending alpha went (rao; per-uid numpy ``uint64`` arrays).

    - ``incentive``: miner alpha, staked to the hotkey's owner (0 for owner hotkeys);
    - ``take`` / ``nominator``: the alpha dividend, split into the delegate take (to the hotkey's
      owner) and the rest (into the hotkey's pool, shared pro rata by its nominators);
    - ``root_take`` / ``root_nominator``: the root alpha dividend, take (to the owner, as alpha on
      the subnet) and the rest (claimable by the hotkey's root stakers; paid to the owner instead
      when it exceeds the hotkey's root stake);
    - ``dividend_weight``: the dividend weights after the childkey split;
    - ``owner_cut``: to the subnet owner's hotkey; ``burned`` / ``recycled``: owner hotkeys'
      incentive; ``uncredited``: minted but credited to nobody (floors, or a validator bucket
      with no dividend to weight it; negative when the epoch paid miners more than the pending
      server bucket, which the chain permits); ``input_total``: the four pending buckets.
    """

    incentive: npt.NDArray[np.uint64]
    take: npt.NDArray[np.uint64]
    nominator: npt.NDArray[np.uint64]
    root_take: npt.NDArray[np.uint64]
    root_nominator: npt.NDArray[np.uint64]
    dividend_weight: npt.NDArray[np.uint64]
    owner_cut: int
    burned: int
    recycled: int
    uncredited: int
    input_total: int

    @property
    def dividend(self) -> npt.NDArray[np.uint64]:
        """Alpha dividend per uid (take + nominator)."""
        return self.take + self.nominator

    @property
    def root_dividend(self) -> npt.NDArray[np.uint64]:
        """Root alpha dividend per uid (root_take + root_nominator)."""
        return self.root_take + self.root_nominator

    def credited(self) -> int:
        """Every credited rao (stakes, owner cut, burned, recycled)."""
        arrays = (self.incentive, self.take, self.nominator, self.root_take, self.root_nominator)
        return (
            sum(int(a.sum(dtype=object)) for a in arrays)
            + self.owner_cut
            + self.burned
            + self.recycled
        )

    def total(self) -> int:
        """Every named place summed back, including ``uncredited``: equals ``input_total``."""
        return self.credited() + self.uncredited


def distribute_epoch(
    server_emission: npt.ArrayLike,
    validator_emission: npt.ArrayLike,
    *,
    pending_server: int,
    pending_validator: int,
    pending_root: int = 0,
    pending_owner_cut: int = 0,
    alpha_stake: npt.ArrayLike,
    root_stake: npt.ArrayLike | None = None,
    take: int | npt.ArrayLike = DEFAULT_TAKE,
    owner_hotkey: npt.ArrayLike | None = None,
    tao_weight: int = DEFAULT_TAO_WEIGHT,
    children: Children | None = None,
    childkey_take: int | npt.ArrayLike = 0,
    coldkeys: npt.ArrayLike | None = None,
    ck_burn: int = 0,
    recycle_owner_incentive: bool = False,
) -> EpochPayout:
    """Pay out one epoch (``distribute_emission`` after the epoch, spec §8.5, §8.6).

    ``server_emission`` / ``validator_emission`` are the epoch's per-uid outputs, from
    :func:`taocore.consensus.epoch` run with ``rao_emission = pending_server + pending_validator
    + pending_root``. Miners get ``server_emission`` as is; validators share exactly
    ``pending_validator`` (plus ``pending_server`` if no uid has incentive) and ``pending_root``,
    weighted by their dividends after the childkey split and divided between alpha and root by
    each hotkey's own ``alpha_stake`` and ``root_stake · tao_weight``. ``take`` is the delegate
    take per uid (u16, scalar or array); ``owner_hotkey`` marks uids whose incentive is withheld
    (burned, or recycled if ``recycle_owner_incentive``). ``children`` maps a child uid to its
    ``(parent_uid, proportion_u64)`` pairs; ``childkey_take`` (u16) is the child's take from its
    parents' share unless ``coldkeys`` (owner coldkey id per uid) shows they share an owner;
    ``ck_burn`` (fraction of 2**64 - 1) is withheld likewise.
    """
    se = _u64_array("server_emission", server_emission, None)
    n = se.size
    ve = _u64_array("validator_emission", validator_emission, n)
    inputs: dict[str, Any] = {
        "pending_server": integer("pending_server", pending_server),
        "pending_validator": integer("pending_validator", pending_validator),
        "pending_root": integer("pending_root", pending_root),
        "pending_owner_cut": integer("pending_owner_cut", pending_owner_cut),
        "server_emission": se,
        "validator_emission": ve,
        "alpha_stake": _u64_array("alpha_stake", alpha_stake, n),
        "root_stake": None if root_stake is None else _u64_array("root_stake", root_stake, n),
        "tao_weight": integer("tao_weight", tao_weight),
        "ck_burn": integer("ck_burn", ck_burn),
        "recycle_owner_incentive": flag("recycle_owner_incentive", recycle_owner_incentive),
    }
    inputs["take"] = _takes("take", take, n)
    inputs["childkey_take"] = _takes("childkey_take", childkey_take, n)
    # numpy's bool cast would read the string "no" as True.
    inputs["owner_hotkey"] = (
        None if owner_hotkey is None else bool_array("owner_hotkey", owner_hotkey, n)
    )
    inputs["coldkey"] = None if coldkeys is None else _u64_array("coldkeys", coldkeys, n)
    inputs["children_indptr"], inputs["children_parent"], inputs["children_proportion"] = _links(
        children, n
    )
    raw = _core.emission.distribute_epoch(inputs)
    return EpochPayout(
        incentive=raw["incentive"],
        take=raw["take"],
        nominator=raw["nominator"],
        root_take=raw["root_take"],
        root_nominator=raw["root_nominator"],
        dividend_weight=raw["dividend_weight"],
        owner_cut=int(raw["owner_cut"]),
        burned=int(raw["burned"]),
        recycled=int(raw["recycled"]),
        uncredited=int(raw["uncredited"]),
        input_total=int(raw["input_total"]),
    )


# ---- the network model -------------------------------------------------------------------------

Key = int | str


@dataclass(frozen=True)
class SubnetView:
    """A subnet at one moment: scalars copied, per-uid amounts as live read-only numpy views.

    ``stake`` is each uid's hotkey alpha (``TotalHotkeyAlpha``: the owner's and its nominators'
    shares together), ``root_stake`` its own root stake, ``root_claimable`` the root alpha
    dividends owed to its root stakers. The views follow the network as it steps.
    """

    netuid: int
    tempo: int
    tao_reserve: int
    alpha_in: int
    alpha_out: int
    moving_price: Fraction
    root_proportion: Fraction
    miner_burned: Fraction
    pending_server: int
    pending_validator: int
    pending_root: int
    pending_owner_cut: int
    owner_stake: int
    protocol_alpha: int
    last_epoch_block: int
    pending_epoch_at: int
    epoch_index: int
    epochs_deferred: int
    hotkeys: tuple[Key, ...]
    coldkeys: tuple[Key, ...]
    stake: npt.NDArray[np.uint64]
    root_stake: npt.NDArray[np.uint64]
    root_claimable: npt.NDArray[np.uint64]

    @property
    def price(self) -> Fraction:
        """Spot alpha price of the pool (TAO per alpha)."""
        return pool_price(self.tao_reserve, self.alpha_in)


class _Ids:
    def __init__(self) -> None:
        self.ids: dict[Key, int] = {}
        self.keys: list[Key] = []

    def id(self, name: str, key: Any) -> int:
        if isinstance(key, bool) or not isinstance(key, (int, str)):
            raise ValueError(f"{name} must be an int or a str, got {type(key).__name__}")
        got = self.ids.get(key)
        if got is None:
            got = self.ids[key] = len(self.keys)
            self.keys.append(key)
        return got


class Network:
    """Subnets stepped block by block in the chain's order (spec §8.2), in exact rao.

    Each :meth:`step` mints the block's TAO (:func:`block_emission` of the issuance), shares it
    over the subnets by their price EMAs, injects TAO and alpha into each pool (the excess TAO
    buys alpha for the protocol), splits each subnet's alpha emission into the pending owner /
    server / validator / root buckets, runs the epoch of every subnet that is due
    (``LastEpochBlock + tempo``, at most ``max_epochs_per_block`` per block, the rest deferred to
    the next block) with :func:`taocore.consensus.epoch` and pays it out as
    :func:`distribute_epoch` does (childkeys, takes, nominators pro rata, owner hotkeys' incentive
    burned or recycled, root dividends), then updates the moving prices.

    Every rao is booked: :meth:`ledger` names where each subnet's alpha is, and :meth:`check`
    (or ``step(check=True)``) verifies, after every block, that TAO minted = TAO in the pools +
    recycled, and for each subnet that alpha issuance = initial + minted - recycled and alpha out
    = stakes + pending buckets + root claimable + owner + protocol + burned + uncredited.

    Simplifications, against the chain: per-coldkey stake is an integer share pool (the chain's
    decimal ``SafeFloat`` pool is out of scope, so a nominator's balance can differ by a rao);
    the pool is a fee-less constant product with 50/50 weights (no balancer weight limits);
    childkey parents are uids of the same subnet; root stakes are fixed, and root dividends stay
    claimable per hotkey (no claiming, no root subnet epoch); each subnet has one mechanism (the
    chain's ``epoch_with_mechanisms`` with a count of 1 is ``epoch``); incentive is staked on the
    miner's own hotkey (no ``AutoStakeDestination``); "stable" subnets (price fixed at 1), leases,
    auto-lock, registrations, commit-reveal, the registration burn and auto-claims are not
    modelled. A subnet's alpha issuance is capped at the TAO supply, so no stake or bucket can
    reach 2**64 - 1 and the chain's saturating additions never engage. With ``refresh_weights``
    (default) validators are taken to re-set the same weights every epoch (``last_update`` := the
    block), so they stay active.
    """

    def __init__(
        self,
        *,
        block: int = 0,
        total_issuance: int = 0,
        root_tao: int = 0,
        tao_weight: int = DEFAULT_TAO_WEIGHT,
        max_epochs_per_block: int = 2,
        record_history: bool = True,
    ) -> None:
        self._net = _core.emission.Network(
            integer("block", block),
            integer("total_issuance", total_issuance, hi=TOTAL_SUPPLY_RAO),
            integer("root_tao", root_tao),
            integer("tao_weight", tao_weight),
            integer("max_epochs_per_block", max_epochs_per_block, lo=1, hi=2**32 - 1),
            flag("record_history", record_history),
        )
        self._hot = _Ids()
        self._cold = _Ids()
        self._uids: dict[int, dict[int, int]] = {}  # netuid -> hotkey id -> uid

    # -- building ---------------------------------------------------------------------------------

    def add_subnet(
        self,
        netuid: int,
        state: Any,
        *,
        hotkeys: Sequence[Key],
        coldkeys: Sequence[Key],
        owner_coldkey: Key,
        owner_hotkey: Key | None = None,
        tao_reserve: int,
        alpha_in: int,
        alpha_out: int | None = None,
        moving_price: Number = 0,
        root_stake: npt.ArrayLike | None = None,
        take: int | npt.ArrayLike = DEFAULT_TAKE,
        childkey_take: int | npt.ArrayLike = 0,
        children: Children | None = None,
        nominators: Sequence[tuple[int, Key, int]] = (),
        owner_cut: int = DEFAULT_OWNER_CUT,
        owner_cut_enabled: bool = True,
        emission_enabled: bool = True,
        recycle_owner_incentive: bool = False,
        ck_burn: int = 0,
        moving_alpha: Number = DEFAULT_MOVING_ALPHA,
        halving_blocks: int = EMA_PRICE_HALVING_BLOCKS,
        first_emission_block: int = 0,
        last_epoch_block: int | None = None,
        refresh_weights: bool = True,
    ) -> SubnetView:
        """Add a subnet. ``state`` is a :class:`taocore.consensus.SubnetState` (weights, bonds,
        permits and epoch parameters; its ``alpha_stake`` is each uid's own alpha, held by the
        uid's coldkey, and its ``tempo`` the subnet's tempo).

        ``nominators`` adds ``(uid, coldkey, alpha)`` stakes on a uid's hotkey; ``alpha_out``
        (default: all staked alpha) must cover every stake. ``children`` maps a child uid to
        ``(parent_uid, proportion_u64)`` pairs. ``last_epoch_block`` defaults to the chain's
        ``block - (netuid mod tempo)``. Bad input raises ``ValueError`` naming it.
        """
        from taocore import consensus

        nid = integer("netuid", netuid, lo=1, hi=U16_MAX)
        d: dict[str, Any] = dict(consensus._fields(state))
        n = int(d["n"])
        if len(hotkeys) != n or len(coldkeys) != n:
            raise ValueError(f"hotkeys and coldkeys must have n = {n} entries")
        hk_ids = [self._hot.id("hotkeys", k) for k in hotkeys]
        if len(set(hk_ids)) != n:
            raise ValueError("hotkeys must be distinct")
        d["netuid"] = nid
        d["hotkey_ids"] = np.asarray(hk_ids, dtype=np.uint64)
        d["coldkey_ids"] = np.asarray(
            [self._cold.id("coldkeys", k) for k in coldkeys], dtype=np.uint64
        )
        d["owner_coldkey_id"] = self._cold.id("owner_coldkey", owner_coldkey)
        if owner_hotkey is None:
            d["owner_hotkey_uid"] = None
        else:
            if owner_hotkey not in hotkeys:
                raise ValueError("owner_hotkey must be one of the subnet's hotkeys")
            d["owner_hotkey_uid"] = list(hotkeys).index(owner_hotkey)
        d["root_stake"] = (
            np.zeros(n, dtype=np.uint64)
            if root_stake is None
            else _u64_array("root_stake", root_stake, n)
        )
        d["take"] = _takes("take", take, n)
        d["childkey_take"] = _takes("childkey_take", childkey_take, n)
        d["children_indptr"], d["children_parent"], d["children_proportion"] = _links(children, n)
        nom_uid, nom_ck, nom_amt = [], [], []
        for k, entry in enumerate(nominators):
            if len(entry) != 3:
                raise ValueError(f"nominators[{k}] must be (uid, coldkey, alpha)")
            nom_uid.append(integer(f"nominators[{k}] uid", entry[0], hi=n - 1))
            nom_ck.append(self._cold.id(f"nominators[{k}] coldkey", entry[1]))
            nom_amt.append(integer(f"nominators[{k}] alpha", entry[2]))
        d["nominator_uid"] = np.asarray(nom_uid, dtype=np.uint16)
        d["nominator_coldkey"] = np.asarray(nom_ck, dtype=np.uint64)
        d["nominator_alpha"] = np.asarray(nom_amt, dtype=np.uint64)
        staked = int(d["alpha_stake"].sum(dtype=object)) + sum(nom_amt)
        d["alpha_out"] = staked if alpha_out is None else integer("alpha_out", alpha_out)
        d["tao_reserve"] = integer("tao_reserve", tao_reserve)
        d["alpha_in"] = integer("alpha_in", alpha_in)
        d["moving_price_bits"] = _bits("moving_price", moving_price, _F32, 127)
        d["moving_alpha_bits"] = _bits("moving_alpha", moving_alpha, _F32, 127)
        d["owner_cut"] = integer("owner_cut", owner_cut, hi=U16_MAX)
        d["owner_cut_enabled"] = flag("owner_cut_enabled", owner_cut_enabled)
        d["emission_enabled"] = flag("emission_enabled", emission_enabled)
        d["recycle_owner_incentive"] = flag("recycle_owner_incentive", recycle_owner_incentive)
        d["ck_burn"] = integer("ck_burn", ck_burn)
        d["halving_blocks"] = integer("halving_blocks", halving_blocks)
        d["first_emission_block"] = integer("first_emission_block", first_emission_block)
        d["last_epoch_block"] = (
            None if last_epoch_block is None else integer("last_epoch_block", last_epoch_block)
        )
        d["refresh_weights"] = flag("refresh_weights", refresh_weights)
        self._net.add_subnet(d)
        self._uids[nid] = {h: u for u, h in enumerate(hk_ids)}
        return self.subnet(nid)

    # -- running ----------------------------------------------------------------------------------

    def step(
        self,
        blocks: int = 1,
        *,
        check: bool = False,
        progress: bool | ProgressCallback = False,
    ) -> list[int]:
        """Apply ``blocks`` blocks (default 1); return the netuids whose epoch ran, in order.

        With ``check`` every accounting identity is verified after every block (``ValueError``
        naming the first broken one; none is expected). ``progress=True`` draws a bar of the
        blocks done on stderr; a callable instead receives ``(done, blocks)`` about every 0.1 s
        and at the end. The blocks run in the core with the GIL released, in stretches of about
        0.1 s: Ctrl-C, or an exception the callable raises, stops after the stretch in progress
        and propagates; the blocks applied so far stay applied (:attr:`block` says how far).
        """
        total = integer("blocks", blocks)
        verify = flag("check", check)
        bar, report = progress_reporter(progress, total, "block")
        ran: list[int] = []
        done, stretch = 0, 1
        try:
            while done < total:
                # A day of a 128-subnet network takes about a second: one native call for a
                # year of it could not be stopped, or show how far it got.
                n = min(stretch, total - done)
                start = time.perf_counter()
                try:
                    ran.extend(int(x) for x in self._net.step(n, verify))
                except RuntimeError as e:  # std::logic_error from check()
                    raise ValueError(str(e)) from None
                done += n
                elapsed = time.perf_counter() - start
                stretch = max(1, min(2 * n, int(n * 0.1 / elapsed))) if elapsed > 0 else 2 * n
                if report is not None:
                    report(done, total)
        finally:
            if bar is not None:
                bar.close()
        return ran

    def check(self) -> None:
        """Verify every accounting identity now; ``ValueError`` names a broken one."""
        self._net.check()

    # -- reading ----------------------------------------------------------------------------------

    @property
    def block(self) -> int:
        """The last block applied."""
        return int(self._net.block)

    @property
    def total_issuance(self) -> int:
        """TAO issuance (rao): initial + minted into the pools."""
        return int(self._net.total_issuance)

    @property
    def minted_tao(self) -> int:
        """TAO block emission minted since the start (credited to pools or recycled)."""
        return int(self._net.minted_tao)

    @property
    def recycled_tao(self) -> int:
        """TAO minted but recycled (rounding leftovers of the subnet shares and injections)."""
        return int(self._net.recycled_tao)

    @property
    def netuids(self) -> list[int]:
        """The subnets, in the chain's order."""
        return [int(x) for x in self._net.netuids()]

    def _netuid(self, netuid: int) -> int:
        nid = integer("netuid", netuid, hi=U16_MAX)
        if nid not in self._uids:
            raise ValueError(f"unknown netuid {nid}")
        return nid

    def subnet(self, netuid: int) -> SubnetView:
        """The subnet now (``ValueError`` for an unknown netuid)."""
        nid = self._netuid(netuid)
        info = self._net.info(nid)
        hk = self._net.view(nid, "hotkey")
        ck = self._net.view(nid, "coldkey")
        return SubnetView(
            netuid=nid,
            tempo=int(info["tempo"]),
            tao_reserve=int(info["tao_reserve"]),
            alpha_in=int(info["alpha_in"]),
            alpha_out=int(info["alpha_out"]),
            moving_price=Fraction(info["moving_price_bits"], _F32),
            root_proportion=Fraction(info["root_proportion_bits"], _F32),
            miner_burned=Fraction(info["miner_burned_bits"], _F64),
            pending_server=int(info["pending_server"]),
            pending_validator=int(info["pending_validator"]),
            pending_root=int(info["pending_root"]),
            pending_owner_cut=int(info["pending_owner_cut"]),
            owner_stake=int(info["owner_stake"]),
            protocol_alpha=int(info["protocol_alpha"]),
            last_epoch_block=int(info["last_epoch_block"]),
            pending_epoch_at=int(info["pending_epoch_at"]),
            epoch_index=int(info["epoch_index"]),
            epochs_deferred=int(info["epochs_deferred"]),
            hotkeys=tuple(self._hot.keys[int(i)] for i in hk),
            coldkeys=tuple(self._cold.keys[int(i)] for i in ck),
            stake=self._net.view(nid, "stake"),
            root_stake=self._net.view(nid, "root_stake"),
            root_claimable=self._net.view(nid, "root_claimable"),
        )

    def stake(self, netuid: int, hotkey: Key, coldkey: Key) -> int:
        """Alpha of ``coldkey`` staked on ``hotkey`` in the subnet (its share of the pool)."""
        nid = self._netuid(netuid)
        uid = self._uids[nid].get(self._hot.ids.get(hotkey, -1))
        if uid is None:
            raise ValueError(f"hotkey {hotkey!r} is not registered on subnet {nid}")
        cid = self._cold.ids.get(coldkey)
        return 0 if cid is None else int(self._net.stake_of(nid, uid, cid))

    def ledger(self, netuid: int) -> dict[str, int]:
        """Where the subnet's alpha is (rao), by named place; ``alpha_out`` equals the sum of
        every place from ``stakes`` to ``uncredited``."""
        nid = self._netuid(netuid)
        info = self._net.info(nid)
        keys = (
            "pending_server",
            "pending_validator",
            "pending_root",
            "pending_owner_cut",
            "owner_stake",
            "protocol_alpha",
            "initial_alpha_out_free",
            "burned_alpha",
            "uncredited_alpha",
            "alpha_in",
            "alpha_out",
            "minted_alpha_in",
            "minted_alpha_out",
            "swapped_alpha",
            "recycled_alpha",
            "tao_reserve",
            "tao_injected",
        )
        out = {k: int(info[k]) for k in keys}
        out["stakes"] = int(self._net.view(nid, "stake").sum(dtype=object))
        out["root_claimable"] = int(self._net.view(nid, "root_claimable").sum(dtype=object))
        return out

    def hotkey_history(self) -> dict[str, npt.NDArray[Any]]:
        """Per-epoch payouts per hotkey: columns ``block, netuid, uid, hotkey, coldkey,
        incentive, take, nominator, root_take, root_nominator`` (hotkey/coldkey as object arrays
        of the keys given; amounts uint64 rao). Rows with nothing paid are left out."""
        h = dict(self._net.hotkey_history())
        h["hotkey"] = np.array([self._hot.keys[int(i)] for i in h["hotkey"]], dtype=object)
        h["coldkey"] = np.array([self._cold.keys[int(i)] for i in h["coldkey"]], dtype=object)
        return h

    def coldkey_history(self) -> dict[str, npt.NDArray[Any]]:
        """Per-epoch payouts per coldkey and hotkey: ``block, netuid, coldkey, hotkey, amount``
        (incentive + takes to the hotkey's owner, each nominator's pro-rata share floored, the
        owner cut; ``hotkey`` is None for an owner cut with no owner hotkey)."""
        h = dict(self._net.coldkey_history())
        h["coldkey"] = np.array([self._cold.keys[int(i)] for i in h["coldkey"]], dtype=object)
        h["hotkey"] = np.array(
            [None if int(i) == U64_MAX else self._hot.keys[int(i)] for i in h["hotkey"]],
            dtype=object,
        )
        return h

    def export_history(self, path: str, *, by: str = "hotkey", format: str = "csv") -> int:
        """Write the payout history (``by`` = ``"hotkey"`` or ``"coldkey"``) to ``path`` as CSV,
        or as Parquet (``format="parquet"``, needs pyarrow). Returns the number of rows."""
        if by not in ("hotkey", "coldkey"):
            raise ValueError(f"by must be 'hotkey' or 'coldkey', got {by!r}")
        cols = self.hotkey_history() if by == "hotkey" else self.coldkey_history()
        rows = len(cols["block"])
        if format == "parquet":
            import importlib

            try:
                pa = importlib.import_module("pyarrow")
                pq = importlib.import_module("pyarrow.parquet")
            except ImportError as e:
                raise ValueError("format='parquet' needs pyarrow, which is not installed") from e
            table = pa.table(
                {
                    k: ([None if x is None else str(x) for x in v] if v.dtype == object else v)
                    for k, v in cols.items()
                }
            )
            pq.write_table(table, path)
            return rows
        if format != "csv":
            raise ValueError(f"format must be 'csv' or 'parquet', got {format!r}")
        import csv

        with open(path, "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(list(cols))
            w.writerows(zip(*(c.tolist() for c in cols.values()), strict=True))
        return rows

    def clear_history(self) -> None:
        """Drop the recorded payout history."""
        self._net.clear_history()
