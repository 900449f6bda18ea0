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
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
import numpy.typing as npt

from taocore._native import _core

__all__ = [
    "DEFAULT_MOVING_ALPHA",
    "DEFAULT_OWNER_CUT",
    "DEFAULT_TAKE",
    "DEFAULT_TAO_WEIGHT",
    "EMA_PRICE_HALVING_BLOCKS",
    "TOTAL_SUPPLY_RAO",
    "AlphaInjection",
    "EpochPayout",
    "ParticipantSplit",
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
#: The chain's default ``TaoWeight`` (fraction of 2**64 - 1, ≈ 0.0527).
DEFAULT_TAO_WEIGHT = 971_718_665_099_567_868
#: ``SubnetMovingAlpha`` default: I96F32::from_num(0.000003), exactly.
DEFAULT_MOVING_ALPHA = Fraction(12_885, 2**32)
#: ``EMAPriceHalvingBlocks`` default.
EMA_PRICE_HALVING_BLOCKS = 201_600

U16_MAX = 65_535
U64_MAX = 2**64 - 1
_F32 = 2**32  # U96F32 / I96F32
_F64 = 2**64  # U64F64

Number = int | float | Fraction


def _int(name: str, value: Any, lo: int = 0, hi: int = U64_MAX) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{name} must be an int, got {type(value).__name__}")
    v = int(value)
    if v < lo:
        raise ValueError(f"{name} must not be {'negative' if lo == 0 else f'below {lo}'}, got {v}")
    if v > hi:
        raise ValueError(f"{name} must be at most {hi}, got {v}")
    return v


def _bits(name: str, value: Any, scale: int, hi_bits: int = 128) -> int:
    """A non-negative number as fixed-point bits, rounded to nearest (ties to even)."""
    if isinstance(value, bool) or not isinstance(
        value, (int, float, Fraction, np.integer, np.floating)
    ):
        raise ValueError(f"{name} must be a number, got {type(value).__name__}")
    f = (
        Fraction(value)
        if not isinstance(value, (np.integer, np.floating))
        else Fraction(value.item())
    )
    if f < 0:
        raise ValueError(f"{name} must not be negative, got {value}")
    b = round(f * scale)
    if b.bit_length() > hi_bits:
        raise ValueError(f"{name} is too large, got {value}")
    return b


def _u64_array(name: str, value: Any, n: int | None, hi: int = U64_MAX) -> npt.NDArray[np.uint64]:
    arr = np.asarray(value)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array of integers")
    if arr.size and arr.dtype.kind not in "iu":
        if arr.dtype == object and all(isinstance(v, int) and not isinstance(v, bool) for v in arr):
            pass
        else:
            raise ValueError(f"{name} must hold integers, got dtype {arr.dtype}")
    if arr.size:
        lo_v, hi_v = int(arr.min()), int(arr.max())
        if lo_v < 0:
            raise ValueError(f"{name} must not be negative (found {lo_v})")
        if hi_v > hi:
            raise ValueError(f"{name} must be at most {hi} (found {hi_v})")
    if n is not None and arr.size != n:
        raise ValueError(f"{name} has {arr.size} entries, expected {n}")
    return arr.astype(np.uint64)


def block_emission(total_issuance: int) -> int:
    """Rao emitted per block at ``total_issuance`` rao (the chain's halving rule, bit for bit).

    1 TAO (1e9 rao) per block until 10.5M TAO are issued, then 0.5, 0.25, ... at issuance
    10.5e15, 15.75e15, 18.375e15, ... rao, and 0 from 21e15 on. The same rule gives a subnet's
    alpha emission from its alpha issuance. Raises ``ValueError`` for a negative issuance or one
    that is not an integer.
    """
    if isinstance(total_issuance, bool) or not isinstance(total_issuance, int):
        raise ValueError(f"total_issuance must be an int, got {type(total_issuance).__name__}")
    if total_issuance < 0:
        raise ValueError(f"total_issuance must not be negative, got {total_issuance}")
    if total_issuance >= TOTAL_SUPPLY_RAO:
        return 0
    return _core.emission.block_emission(total_issuance)


def root_proportion(root_tao: int, tao_weight: int, alpha_issuance: int) -> Fraction:
    """``tw / (tw + alpha_issuance)`` with ``tw = root_tao · tao_weight / (2**64 - 1)`` (U96F32).

    ``root_tao`` is the root subnet's TAO (``SubnetTAO[0]``), ``tao_weight`` the chain's
    ``TaoWeight`` (a fraction of 2**64 - 1), ``alpha_issuance`` the subnet's alpha in + out.
    The exact U96F32 value; 0 when both terms are 0.
    """
    bits = _core.emission.root_proportion(
        _int("root_tao", root_tao),
        _int("tao_weight", tao_weight),
        _int("alpha_issuance", alpha_issuance),
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
    bits = _bits("root_proportion", root_proportion, _F32)
    if bits > _F32:
        raise ValueError(f"root_proportion must be at most 1, got {root_proportion}")
    raw = _core.emission.participant_split(
        _int("alpha_emission", alpha_emission),
        _int("owner_cut_u16", owner_cut_u16, hi=U16_MAX),
        bits,
        bool(root_sell),
        bool(owner_cut_enabled),
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
    mb = [_bits(f"miner_burned[{i}]", p, _F64) for i, p in enumerate(miner_burned or [])]
    en = [bool(e) for e in (enabled or [])]
    for name, seq in (("miner_burned", mb), ("enabled", en)):
        if seq and len(seq) != len(mp):
            raise ValueError(f"{name} has {len(seq)} entries for {len(mp)} subnets")
    return [Fraction(b, _F64) for b in _core.emission.subnet_shares(mp, mb, en)]


def tao_emission(block_emission: int, share: Number) -> Fraction:
    """A subnet's TAO for the block: ``U96F32(U64F64(block_emission) · share)``."""
    return Fraction(
        _core.emission.tao_emission_for_share(
            _int("block_emission", block_emission), _bits("share", share, _F64)
        ),
        _F32,
    )


def pool_price(tao_reserve: int, alpha_reserve: int) -> Fraction:
    """Spot alpha price ``SubnetTAO / SubnetAlphaIn`` (U96F32; the 50/50 pool). 0 if no alpha."""
    return Fraction(
        _core.emission.pool_price(
            _int("tao_reserve", tao_reserve), _int("alpha_reserve", alpha_reserve)
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
        _int("alpha_emission", alpha_emission),
        _bits("root_proportion", root_proportion, _F32),
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
        _int("block", block),
        _int("first_emission_block", first_emission_block),
        _int("halving_blocks", halving_blocks),
    )
    return Fraction(bits, _F32)


def blocks_until_next_auto_epoch(last_epoch_block: int, tempo: int, block: int) -> int:
    """Blocks until the subnet's next automatic epoch (``LastEpochBlock + tempo``, spec §8.4).

    0 when it is due; ``2**64 - 1`` when ``tempo`` is 0 (never).
    """
    return int(
        _core.emission.blocks_until_next_auto_epoch(
            _int("last_epoch_block", last_epoch_block),
            _int("tempo", tempo, hi=U16_MAX),
            _int("block", block),
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
        _int("children uid", c, hi=n - 1)
    for c in range(n):
        for p, q in children.get(c, ()):
            parent.append(_int(f"children[{c}] parent", p, hi=n - 1))
            prop.append(_int(f"children[{c}] proportion", q))
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
        "pending_server": _int("pending_server", pending_server),
        "pending_validator": _int("pending_validator", pending_validator),
        "pending_root": _int("pending_root", pending_root),
        "pending_owner_cut": _int("pending_owner_cut", pending_owner_cut),
        "server_emission": se,
        "validator_emission": ve,
        "alpha_stake": _u64_array("alpha_stake", alpha_stake, n),
        "root_stake": None if root_stake is None else _u64_array("root_stake", root_stake, n),
        "tao_weight": _int("tao_weight", tao_weight),
        "ck_burn": _int("ck_burn", ck_burn),
        "recycle_owner_incentive": bool(recycle_owner_incentive),
    }
    for name, value in (("take", take), ("childkey_take", childkey_take)):
        if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
            inputs[name] = np.full(n, _int(name, value, hi=U16_MAX), dtype=np.uint16)
        else:
            inputs[name] = _u64_array(name, value, n, hi=U16_MAX).astype(np.uint16)
    inputs["owner_hotkey"] = (
        None if owner_hotkey is None else np.asarray(owner_hotkey, dtype=bool).astype(np.uint8)
    )
    if inputs["owner_hotkey"] is not None and inputs["owner_hotkey"].size != n:
        raise ValueError(f"owner_hotkey has {inputs['owner_hotkey'].size} entries, expected {n}")
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
