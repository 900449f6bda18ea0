"""The chain's Yuma consensus epoch, bit for bit (subtensor ``epoch_mechanism``, spec §3).

:func:`epoch` takes a :class:`SubnetState` (what the chain's epoch reads, in the chain's own
units) and returns an :class:`EpochResult` with the vectors and bonds the chain would persist.
Every step uses subtensor's fixed-point rules (I32F32 products floored, divisions truncated,
``safe_div`` giving 0), so the results are identical to the chain's, not approximately equal.

Weights and bonds are sparse rows **in storage order** (the order the validator supplied uids
in; the chain does not sort them, and liquid alpha depends on it). Give them either as one list
per uid of ``(uid, value)`` pairs, or as CSR arrays ``(indptr, indices, data)``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any, TypeAlias

import numpy as np
import numpy.typing as npt

from taocore._checks import U16_MAX, U64_MAX, bool_array, flag, integer, uint_array
from taocore._native import _core

__all__ = [
    "DEFAULT_TAO_WEIGHT",
    "EpochResult",
    "Mechanism",
    "MechanismsResult",
    "SparseRows",
    "SubnetState",
    "epoch",
    "epoch_with_mechanisms",
    "split_emissions",
]

#: The chain's default ``TaoWeight`` (fraction of 2**64 - 1, ≈ 0.0527).
DEFAULT_TAO_WEIGHT = 971_718_665_099_567_868

#: Sparse rows: per-uid lists of ``(uid, value)`` pairs, or CSR ``(indptr, indices, data)``.
SparseRows: TypeAlias = (
    Sequence[Sequence[tuple[int, int]]] | tuple[npt.ArrayLike, npt.ArrayLike, npt.ArrayLike]
)


@dataclass
class SubnetState:
    """What one epoch reads, named after the chain's storage, with the chain's defaults.

    Integers are in the chain's units: rao for stakes and emission, u16 for weights, bonds,
    ``kappa``, ``bonds_penalty`` and ``alpha_low``/``alpha_high`` (fractions of 65535), per-million
    for ``bonds_moving_average``, a fraction of 2**64 - 1 for ``tao_weight``. Defaults are those a
    subnet created today gets (``init_new_network``: 64 validators, Yuma3 on).

    ``activity_cutoff_blocks`` is the resolved cutoff (``max(factor·tempo/1000, 1)``).
    ``last_update`` may be shorter than ``n`` (padded with 0, as the chain does).
    ``tao_stake`` is the inherited root stake (empty: none). ``commit_blocks``, when given, turns on
    the commit-reveal mask: per uid, the block of its earliest live weight commit
    (2**64 - 1 for none); weights committed before a uid registered do not count for it.
    """

    n: int
    alpha_stake: npt.ArrayLike
    weights: SparseRows
    current_block: int = 0
    tempo: int = 360
    activity_cutoff_blocks: int = 5000
    last_update: npt.ArrayLike = field(default_factory=list)
    block_at_registration: npt.ArrayLike | None = None
    tao_stake: npt.ArrayLike | None = None
    tao_weight: int = DEFAULT_TAO_WEIGHT
    stake_threshold: int = 0
    owner_uid: int | None = None
    validator_permit: npt.ArrayLike | None = None
    max_allowed_validators: int = 64
    bonds: SparseRows | None = None
    kappa: int = 32_767
    bonds_penalty: int = 65_535
    bonds_moving_average: int = 900_000
    yuma3: bool = True
    liquid_alpha: bool = False
    alpha_low: int = 45_875
    alpha_high: int = 58_982
    alpha_sigmoid_steepness: int = 1000
    last_mechanism_step_block: int = 0
    commit_blocks: npt.ArrayLike | None = None
    rao_emission: int = 0

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SubnetState:
        """Build a state from plain data (e.g. parsed JSON): keys are the field names above;
        ``weights``/``bonds`` are per-uid lists of ``[uid, value]`` pairs. Unknown keys and
        missing required ones raise ``ValueError`` naming them."""
        if not isinstance(data, Mapping):
            raise ValueError(f"a subnet state must be an object, got {type(data).__name__}")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown field(s) in subnet state: {', '.join(unknown)}")
        missing = [k for k in ("n", "alpha_stake", "weights") if k not in data]
        if missing:
            raise ValueError(f"subnet state is missing: {', '.join(missing)}")
        values = dict(data)
        for key in ("weights", "bonds"):
            rows = values.get(key)
            if isinstance(rows, list):
                try:
                    values[key] = [[(pair[0], pair[1]) for pair in row] for row in rows]
                except (TypeError, IndexError, KeyError):
                    raise ValueError(
                        f"{key}: each row must be a list of [uid, value] pairs"
                    ) from None
        return cls(**values)


@dataclass(frozen=True)
class EpochResult:
    """The epoch's outputs as the chain persists them (numpy arrays, one entry per uid).

    ``stake_weight, consensus, incentive, dividends, validator_trust`` are u16 proportions
    (x · 65535, floored); ``emission, server_emission, validator_emission`` are rao (u64);
    ``active`` and ``new_validator_permit`` are bools; ``bonds`` is the new bonds matrix as CSR
    arrays ``(indptr, indices, data)`` with u16 data (rows of uids without a permit are empty).
    """

    active: npt.NDArray[np.bool_]
    stake_weight: npt.NDArray[np.uint16]
    consensus: npt.NDArray[np.uint16]
    incentive: npt.NDArray[np.uint16]
    dividends: npt.NDArray[np.uint16]
    validator_trust: npt.NDArray[np.uint16]
    emission: npt.NDArray[np.uint64]
    server_emission: npt.NDArray[np.uint64]
    validator_emission: npt.NDArray[np.uint64]
    new_validator_permit: npt.NDArray[np.bool_]
    bonds: tuple[npt.NDArray[np.uint64], npt.NDArray[np.uint16], npt.NDArray[np.uint16]]

    def bonds_rows(self) -> list[list[tuple[int, int]]]:
        """The new bonds as per-uid lists of ``(uid, u16)`` pairs in storage order."""
        indptr, indices, data = self.bonds
        return [
            [(int(indices[k]), int(data[k])) for k in range(int(indptr[i]), int(indptr[i + 1]))]
            for i in range(len(indptr) - 1)
        ]

    def to_dict(self) -> dict[str, Any]:
        """Plain-Python form (lists; bonds as ``[uid, value]`` pairs), e.g. for JSON."""
        out: dict[str, Any] = {}
        for name in _RESULT_VECTORS:
            out[name] = [v.item() for v in getattr(self, name)]
        out["bonds"] = [[[j, w] for j, w in row] for row in self.bonds_rows()]
        return out


@dataclass(frozen=True)
class Mechanism:
    """One mechanism (sub-subnet): its own weights, bonds and last_update (per netuid_index)."""

    weights: SparseRows
    bonds: SparseRows | None = None
    last_update: npt.ArrayLike = field(default_factory=list)


@dataclass(frozen=True)
class MechanismsResult:
    """``subnet``: the aggregated subnet-level vectors (bonds empty; incentive = mechanism 0's).

    ``mechanisms``: each mechanism's own epoch. ``emission_shares``: rao given to each.
    """

    subnet: EpochResult
    mechanisms: tuple[EpochResult, ...]
    emission_shares: tuple[int, ...]


# ---- input checking ------------------------------------------------------------------------------


def _is_csr(value: Any, n: int) -> bool:
    """A CSR triple is a 3-tuple whose first item is a flat integer array of n + 1 offsets."""
    if not isinstance(value, tuple) or len(value) != 3:
        return False
    first: npt.NDArray[Any] = value[0]
    if type(first) is not np.ndarray:
        try:
            first = np.asarray(first)
        except ValueError:
            return False
    return first.ndim == 1 and first.size == n + 1 and first.dtype.kind != "O"


def _sparse(name: str, value: Any, n: int) -> dict[str, npt.NDArray[Any]]:
    if value is None:
        value = [[] for _ in range(n)]
    if _is_csr(value, n):
        indptr = uint_array(f"{name} indptr", value[0], U64_MAX, n + 1)
        indices = uint_array(f"{name} indices", value[1], U16_MAX, None, np.uint16)
        data = uint_array(f"{name} data", value[2], U16_MAX, None, np.uint16)
    else:
        rows = list(value)
        if len(rows) != n:
            raise ValueError(f"{name} must have n = {n} rows, got {len(rows)}")
        try:
            lengths = [len(row) for row in rows]
            pairs = [(j, w) for row in rows for (j, w) in row]
        except (TypeError, ValueError):
            raise ValueError(f"{name}: each row must be a list of (uid, value) pairs") from None
        indptr = np.zeros(n + 1, dtype=np.uint64)
        np.cumsum(lengths, out=indptr[1:])
        indices = uint_array(f"{name} uids", [p[0] for p in pairs], U16_MAX, None, np.uint16)
        data = uint_array(f"{name} values", [p[1] for p in pairs], U16_MAX, None, np.uint16)
    # Lengths, offsets and uid < n are checked once, by the native layer, naming the field.
    return {f"{name}_indptr": indptr, f"{name}_indices": indices, f"{name}_values": data}


def _fields(state: SubnetState) -> dict[str, Any]:
    if not isinstance(state, SubnetState):
        raise ValueError(f"state must be a SubnetState, got {type(state).__name__}")
    n = integer("n", state.n, 1, U16_MAX)
    d: dict[str, Any] = {"n": n}
    d["current_block"] = integer("current_block", state.current_block, 0, U64_MAX)
    d["tempo"] = integer("tempo", state.tempo, 0, U16_MAX)
    d["activity_cutoff_blocks"] = integer(
        "activity_cutoff_blocks", state.activity_cutoff_blocks, 0, U64_MAX
    )
    last_update = uint_array("last_update", state.last_update, U64_MAX, None)
    if last_update.size > n:
        raise ValueError(f"last_update has {last_update.size} entries, more than n = {n}")
    d["last_update"] = last_update
    reg = state.block_at_registration
    d["block_at_registration"] = uint_array(
        "block_at_registration",
        reg if reg is not None else np.zeros(n, dtype=np.uint64),
        U64_MAX,
        n,
    )
    d["alpha_stake"] = uint_array("alpha_stake", state.alpha_stake, U64_MAX, n)
    if state.tao_stake is not None and np.asarray(state.tao_stake).size:
        d["tao_stake"] = uint_array("tao_stake", state.tao_stake, U64_MAX, n)
    d["tao_weight"] = integer("tao_weight", state.tao_weight, 0, U64_MAX)
    d["stake_threshold"] = integer("stake_threshold", state.stake_threshold, 0, U64_MAX)
    if state.owner_uid is not None:
        d["owner_uid"] = integer("owner_uid", state.owner_uid, 0, n - 1)
    d["validator_permit"] = bool_array("validator_permit", state.validator_permit, n, shorter=True)
    d["max_allowed_validators"] = integer(
        "max_allowed_validators", state.max_allowed_validators, 0, U16_MAX
    )
    d.update(_sparse("weights", state.weights, n))
    d.update(_sparse("bonds", state.bonds, n))
    d["kappa"] = integer("kappa", state.kappa, 0, U16_MAX)
    d["bonds_penalty"] = integer("bonds_penalty", state.bonds_penalty, 0, U16_MAX)
    d["bonds_moving_average"] = integer(
        "bonds_moving_average", state.bonds_moving_average, 0, U64_MAX
    )
    d["yuma3"] = flag("yuma3", state.yuma3)
    d["liquid_alpha"] = flag("liquid_alpha", state.liquid_alpha)
    d["alpha_low"] = integer("alpha_low", state.alpha_low, 0, U16_MAX)
    d["alpha_high"] = integer("alpha_high", state.alpha_high, 0, U16_MAX)
    d["alpha_sigmoid_steepness"] = integer(
        "alpha_sigmoid_steepness", state.alpha_sigmoid_steepness, -32768, 32767
    )
    d["last_mechanism_step_block"] = integer(
        "last_mechanism_step_block", state.last_mechanism_step_block, 0, U64_MAX
    )
    if state.commit_blocks is not None:
        d["commit_reveal"] = True
        d["commit_blocks"] = uint_array("commit_blocks", state.commit_blocks, U64_MAX, n)
    d["rao_emission"] = integer("rao_emission", state.rao_emission, 0, U64_MAX)
    return d


_RESULT_VECTORS = (
    "active",
    "stake_weight",
    "consensus",
    "incentive",
    "dividends",
    "validator_trust",
    "emission",
    "server_emission",
    "validator_emission",
    "new_validator_permit",
)


def _result(raw: dict[str, Any]) -> EpochResult:
    # The fields go straight into the instance dict: a frozen dataclass's __init__ only stores
    # them, one object.__setattr__ each, which cost more than the rest of the conversion (this
    # runs on every epoch call).
    out = object.__new__(EpochResult)
    values = out.__dict__
    for name in _RESULT_VECTORS:
        values[name] = raw[name]
    values["bonds"] = (raw["bonds_indptr"], raw["bonds_indices"], raw["bonds_values"])
    return out


def epoch(state: SubnetState) -> EpochResult:
    """Run one chain-exact epoch (subtensor's sparse ``epoch_mechanism``) on ``state``.

    Bad input (wrong lengths, a uid ≥ n, negative or non-integer values, n = 0 or n > 65535)
    raises ``ValueError`` naming the field. The native computation runs without the GIL.
    """
    return _result(_core.consensus.epoch(_fields(state)))


def split_emissions(emission: int, count: int, split: Sequence[int] | None = None) -> list[int]:
    """The chain's split of a subnet's emission over ``count`` mechanisms (rao).

    Without ``split`` each mechanism gets ``floor(emission / count)``; otherwise mechanism k gets
    ``floor(emission · split[k] / 65535)``. The rounding remainder goes to mechanism 0.
    """
    e = integer("emission", emission, 0, U64_MAX)
    c = integer("count", count, 1, 16)
    s = [integer("split", v, 0, U16_MAX) for v in (() if split is None else split)]
    if len(s) > c:
        raise ValueError(f"split has {len(s)} entries for {c} mechanisms")
    return [int(v) for v in _core.consensus.split_emissions(e, c, s)]


def epoch_with_mechanisms(
    state: SubnetState, mechanisms: Sequence[Mechanism], split: Sequence[int] | None = None
) -> MechanismsResult:
    """The chain's ``epoch_with_mechanisms``: split ``state.rao_emission`` over the mechanisms,
    run each mechanism's epoch on its own weights/bonds/last_update (everything else from
    ``state``), and aggregate the subnet-level vectors exactly as the chain does (spec §6;
    note the chain's ``Emission`` aggregate double-weights with several mechanisms)."""
    fields = _fields(state)
    n = fields["n"]
    if not 1 <= len(mechanisms) <= 16:
        raise ValueError(f"mechanisms must hold 1 to 16 entries, got {len(mechanisms)}")
    raw_mechs = []
    for k, m in enumerate(mechanisms):
        if not isinstance(m, Mechanism):
            raise ValueError(f"mechanisms[{k}] must be a Mechanism")
        d: dict[str, Any] = {}
        d.update(_sparse("weights", m.weights, n))
        d.update(_sparse("bonds", m.bonds, n))
        lu = uint_array(f"mechanisms[{k}].last_update", m.last_update, U64_MAX, None)
        if lu.size > n:
            raise ValueError(f"mechanisms[{k}].last_update is longer than n = {n}")
        d["last_update"] = lu
        raw_mechs.append(d)
    s = [integer("split", v, 0, U16_MAX) for v in (() if split is None else split)]
    if len(s) > len(mechanisms):
        raise ValueError(f"split has {len(s)} entries for {len(mechanisms)} mechanisms")
    raw = _core.consensus.epoch_with_mechanisms(fields, raw_mechs, s)
    return MechanismsResult(
        subnet=_result(raw),
        mechanisms=tuple(_result(r) for r in raw["mechanisms"]),
        emission_shares=tuple(int(v) for v in raw["emission_shares"]),
    )
