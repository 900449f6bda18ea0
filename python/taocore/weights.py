"""Weight processing exactly as the bittensor SDK 10 does it before ``set_weights``.

Validators pass their raw scores through these steps; the chain only sees the result, so a
validator that swaps ``bittensor.utils.weight_utils`` for this module must get the same bits.
The arithmetic below therefore keeps the SDK's numpy dtypes and operation order (float32 where
the SDK has float32, numpy 2 promotion rules); it is checked bit for bit against SDK outputs.

Where the SDK silently misbehaves on bad input, these functions raise ``ValueError`` naming the
argument instead: NaN or infinite weights, negative weights, arrays that are not 1-D, uids and
weights of different lengths, negative uids, uids the chain cannot take (at or above
``num_neurons``, above 65535), and out-of-range sizes or limits. Valid input gives exactly the
SDK's result.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from taocore._checks import U16_MAX, integer, number

__all__ = [
    "U16_MAX",
    "convert_weights_and_uids_for_emit",
    "normalize_max_weight",
    "process_weights",
]

_EPSILON = 1e-7

FloatArray = npt.NDArray[np.floating[Any]]
IntArray = npt.NDArray[np.integer[Any]]


def _vector(name: str, values: Any, dtype: Any = None) -> npt.NDArray[Any]:
    arr = np.asarray(values) if dtype is None else np.asarray(values, dtype=dtype)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array, got shape {arr.shape}")
    if arr.dtype.kind == "f" and not np.isfinite(arr).all():
        raise ValueError(f"{name} contains NaN or infinity")
    return arr


def normalize_max_weight(x: FloatArray, limit: float = 0.1) -> FloatArray:
    """Normalise ``x`` to sum 1 with no entry above ``limit`` (SDK ``normalize_max_weight``).

    Entries above a cutoff are clipped to it and the result renormalised; the SDK's epsilon puts
    the maximum just below ``limit``. All-zero input, or ``len(x) * limit <= 1``, gives the
    uniform vector. The dtype of ``x`` is kept (float32 for the SDK's callers).
    """
    x = _vector("x", x)
    if x.dtype.kind != "f":
        x = x.astype(np.float32)
    if x.size == 0:
        raise ValueError("x must not be empty")
    if (x < 0).any():
        raise ValueError("x must not contain negative weights")
    number("limit", limit, positive=True)  # checked, not converted: the SDK's dtypes are kept
    n = x.shape[0]
    if x.sum() == 0 or n * limit <= 1:
        uniform: FloatArray = np.ones_like(x) / n
        return uniform
    ordered = np.sort(x)
    share = ordered / ordered.sum()
    if share.max() <= limit:
        normalized: FloatArray = x / x.sum()
        return normalized
    # For each sorted position i: how the share compares when every larger entry is cut to the
    # size of entry i; the number of positions under the limit locates the cutoff.
    running = np.cumsum(share, 0)
    rest = np.array([(n - i - 1) * share[i] for i in range(n)])
    below = int((share / (rest + running + _EPSILON) < limit).sum())
    scale = (limit * running[below - 1] - _EPSILON) / (1 - (limit * (n - np.int64(below))))
    cutoff = scale * ordered.sum()
    clipped = x.copy()
    clipped[clipped > cutoff] = cutoff
    result: FloatArray = clipped / clipped.sum()
    return result


def process_weights(
    uids: IntArray | Sequence[int],
    weights: FloatArray | Sequence[float],
    num_neurons: int,
    min_allowed_weights: int,
    max_weight_limit: float,
    exclude_quantile: int = 0,
) -> tuple[IntArray, FloatArray]:
    """Prepare raw weights for the chain (SDK ``process_weights``).

    Zero weights are dropped. With no positive weight, or ``num_neurons < min_allowed_weights``,
    the result is uniform over every uid. With fewer positive weights than
    ``min_allowed_weights``, every neuron gets 1e-5 plus its weight **by position** (as the SDK
    does, assuming uids 0..n-1) and the whole vector is clipped. Otherwise the lowest
    ``exclude_quantile / 65535`` of the positive weights is dropped (never below
    ``min_allowed_weights`` entries) and the rest clipped to ``max_weight_limit`` by
    :func:`normalize_max_weight`.
    """
    uid_arr = _vector("uids", uids)
    weight_arr = _vector("weights", weights).astype(np.float32)
    if uid_arr.size and uid_arr.dtype.kind not in "iu":
        raise ValueError("uids must be integers")
    if uid_arr.shape != weight_arr.shape:
        raise ValueError(f"uids and weights differ in length ({uid_arr.size} vs {weight_arr.size})")
    if (uid_arr < 0).any():
        raise ValueError("uids must not be negative")
    if (weight_arr < 0).any():
        raise ValueError("weights must not be negative")
    num_neurons = integer("num_neurons", num_neurons, lo=1, hi=None)
    min_allowed_weights = integer("min_allowed_weights", min_allowed_weights, hi=None)
    exclude_quantile = integer("exclude_quantile", exclude_quantile, hi=U16_MAX)
    if uid_arr.size and int(uid_arr.max()) >= num_neurons:
        # The chain refuses such a vector (UidVecContainInvalidOne); the SDK passes it on.
        raise ValueError(f"uids must be below num_neurons ({num_neurons}), "
                         f"found {int(uid_arr.max())}")
    # Checked here too: the uniform answers below never reach normalize_max_weight.
    number("max_weight_limit", max_weight_limit, positive=True)

    positive = np.argwhere(weight_arr > 0).squeeze(axis=1)
    kept_uids = uid_arr[positive]
    kept = weight_arr[positive]
    if kept.size == 0 or num_neurons < min_allowed_weights:
        uniform: FloatArray = np.ones(num_neurons, dtype=np.int64) / num_neurons
        return np.arange(num_neurons), uniform
    if kept.size < min_allowed_weights:
        if positive.size and positive.max() >= num_neurons:
            raise ValueError("weights has more entries than num_neurons")
        padded = np.ones(num_neurons, dtype=np.int64) * 1e-5
        padded[positive] += kept
        return np.arange(num_neurons), normalize_max_weight(padded, limit=max_weight_limit)
    max_exclude = max(0, kept.size - min_allowed_weights) / kept.size
    quantile = min(exclude_quantile / U16_MAX, max_exclude)
    threshold = np.quantile(kept, quantile)
    keep = threshold <= kept
    return kept_uids[keep], normalize_max_weight(kept[keep], limit=max_weight_limit)


def convert_weights_and_uids_for_emit(
    uids: IntArray | Sequence[int], weights: FloatArray | Sequence[float]
) -> tuple[list[int], list[int]]:
    """Scale weights so the largest is 65535 and round to u16 (SDK
    ``convert_weights_and_uids_for_emit``).

    Rounding is Python's (half to even); entries that round to 0 are dropped with their uid.
    All-zero weights give ``([], [])``.
    """
    uid_list = _vector("uids", uids).tolist()
    weight_list = _vector("weights", weights).tolist()
    if len(uid_list) != len(weight_list):
        raise ValueError(f"uids and weights differ in length ({len(uid_list)} vs "
                         f"{len(weight_list)})")
    if any(w < 0 for w in weight_list):
        raise ValueError("weights must not be negative")
    if any(int(u) != u or u < 0 for u in uid_list):
        raise ValueError("uids must be non-negative integers")
    if uid_list and max(uid_list) > U16_MAX:
        # Uids are u16 on chain: the SDK would fail only when encoding the extrinsic.
        raise ValueError(f"uids must be at most {U16_MAX}, found {max(uid_list)}")
    if sum(weight_list) == 0:
        return [], []
    largest = float(max(weight_list))
    out_uids: list[int] = []
    out_values: list[int] = []
    for uid, weight in zip(uid_list, weight_list, strict=True):
        value = round(float(weight) / largest * U16_MAX)
        if value != 0:
            out_uids.append(int(uid))
            out_values.append(value)
    return out_uids, out_values
