"""Input checks shared by the public modules: integers and integer arrays in the chain's ranges,
with errors that name the argument (one rule, used everywhere)."""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
import numpy.typing as npt

U16_MAX = 65_535
U64_MAX = 2**64 - 1


def integer(name: str, value: Any, lo: int = 0, hi: int | None = U64_MAX) -> int:
    """``value`` as an int in ``[lo, hi]`` (no upper bound if ``hi`` is None); bools, floats
    and other types are refused."""
    if type(value) is int and lo <= value and (hi is None or value <= hi):  # the common case
        return value
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{name} must be an int, got {type(value).__name__}")
    v = int(value)
    if v < lo:
        raise ValueError(f"{name} must not be {'negative' if lo == 0 else f'below {lo}'}, got {v}")
    if hi is not None and v > hi:
        raise ValueError(f"{name} must be at most {hi}, got {v}")
    return v


def number(
    name: str,
    value: Any,
    lo: float | None = None,
    hi: float | None = None,
    *,
    positive: bool = False,
) -> float:
    """``value`` as a finite float in ``[lo, hi]`` (either bound optional), and above 0 if
    ``positive`` (a timeout, a weight limit); bools, strings and other types are refused."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ValueError(f"{name} must be a number, got {type(value).__name__}")
    v = float(value)
    if positive and not 0.0 < v < float("inf"):
        raise ValueError(f"{name} must be a positive finite number, got {value!r}")
    if not np.isfinite(v):
        raise ValueError(f"{name} must be finite, got {value!r}")
    if (lo is not None and v < lo) or (hi is not None and v > hi):
        raise ValueError(f"{name} must be a number in [{lo}, {hi}], got {value!r}")
    return v


def byte_string(name: str, value: Any) -> bytes:
    """``value`` as bytes if it is bytes-like (bytes, bytearray, memoryview, a numpy array);
    other types are a TypeError, since bytes(5) would quietly make five zero bytes."""
    if type(value) is bytes:
        return value
    try:
        return bytes(memoryview(value))
    except TypeError:
        raise TypeError(f"{name} must be bytes-like, got {type(value).__name__}") from None


def text(name: str, value: Any) -> str:
    """``value`` if it is a str (a password, a name); other types are a TypeError, since str()
    of them would quietly make one up."""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str, got {type(value).__name__}")
    return value


def flag(name: str, value: Any) -> bool:
    """``value`` as a bool; only ``bool`` and numpy's bool are taken, because truthiness would
    read the string ``"false"`` (say, from a JSON state) as True."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    raise ValueError(f"{name} must be a bool, got {type(value).__name__}")


def integers(name: str, value: Any) -> npt.NDArray[Any]:
    """A 1-D integer array from any sequence, refusing floats, bools, strings and nesting."""
    if isinstance(value, np.ndarray):
        arr = value
        if arr.dtype == object:
            return integers(name, arr.tolist())
    else:
        try:
            items = list(value)
        except TypeError:
            raise ValueError(f"{name} must be a sequence of integers") from None
        for x in items:
            if isinstance(x, bool) or not isinstance(x, (int, np.integer)):
                raise ValueError(f"{name} must hold integers, got {type(x).__name__}")
        try:
            arr = np.array(items, dtype=np.int64)
        except OverflowError:
            # Values of 2**63 and above (u64 fields): check the Python ints, then convert.
            if min(items, default=0) < 0:
                raise ValueError(f"{name} must not be negative") from None
            if max(items, default=0) > U64_MAX:
                raise ValueError(f"{name} must be at most {U64_MAX}") from None
            arr = np.array(items, dtype=np.uint64)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}")
    if arr.size and arr.dtype.kind not in "iu":
        raise ValueError(f"{name} must hold integers, got {arr.dtype}")
    return arr


@functools.cache
def _int_max(dtype: np.dtype[Any]) -> int:
    """Largest value of a numpy integer type (cached: np.iinfo costs about a microsecond, and an
    epoch's inputs are checked on every call)."""
    return int(np.iinfo(dtype).max)


# The unsigned numpy types by dtype, with their largest values (one dict lookup on the fast path
# of uint_array, which an epoch runs for each of its arrays on every call).
_UNSIGNED_MAX = {
    np.dtype(t): _int_max(np.dtype(t)) for t in (np.uint8, np.uint16, np.uint32, np.uint64)
}


def uint_array(
    name: str,
    value: Any,
    hi: int = U64_MAX,
    length: int | None = None,
    dtype: type[np.unsignedinteger[Any]] = np.uint64,
) -> npt.NDArray[Any]:
    """A 1-D array of ``dtype`` (uint64 unless told) with every entry in ``[0, hi]`` and, if
    given, exactly ``length``. Arrays already of an unsigned type that cannot exceed ``hi`` are
    not scanned again (an epoch's inputs are checked on every call)."""
    if type(value) is np.ndarray and value.ndim == 1:
        given = value.dtype
        top = _UNSIGNED_MAX.get(given)
        if top is not None and top <= hi and (length is None or value.size == length):
            # Already a flat unsigned array that cannot exceed hi: nothing to scan (and no copy
            # when it has the wanted type).
            return value if given.type is dtype else value.astype(dtype)
    arr = integers(name, [] if value is None else value)
    if arr.size:
        if arr.dtype.kind == "i" and int(arr.min()) < 0:
            raise ValueError(f"{name} must not be negative (found {int(arr.min())})")
        if _int_max(arr.dtype) > hi and int(arr.max()) > hi:
            raise ValueError(f"{name} must be at most {hi} (found {int(arr.max())})")
    if length is not None and arr.size != length:
        raise ValueError(f"{name} must have length {length}, got {arr.size}")
    return arr.astype(dtype, copy=False)


def bool_array(name: str, value: Any, n: int, *, shorter: bool = False) -> npt.NDArray[np.uint8]:
    """``n`` flags as uint8 0/1 from booleans or 0/1 integers (None: all 0); strings and other
    values are refused, since numpy's bool cast reads any non-empty string as True. With
    ``shorter`` fewer than ``n`` are taken and the rest are 0 (the chain's short vectors)."""
    if value is None:
        return np.zeros(n, dtype=np.uint8)
    if (
        type(value) is np.ndarray
        and value.dtype == np.bool_
        and value.ndim == 1
        and value.size == n
    ):
        return value.view(np.uint8)  # already n booleans
    arr = np.asarray(value)
    if arr.ndim != 1 or arr.size > n or (not shorter and arr.size != n):
        wanted = f"at most n = {n}" if shorter else f"n = {n}"
        raise ValueError(f"{name} must be one-dimensional with {wanted} entries")
    if arr.size and (arr.dtype.kind not in "biuf" or not np.all((arr == 0) | (arr == 1))):
        raise ValueError(f"{name} must hold booleans")
    out = np.zeros(n, dtype=np.uint8)
    out[: arr.size] = arr.astype(bool)
    return out
