"""The float Yuma simulator: yuma-simulation's six Yuma versions, every epoch in native code.

:func:`simulate` runs a whole scenario (weights and stakes per epoch) through one Yuma version
and returns a :class:`SimulationResult` of per-epoch numpy arrays. The maths is yuma-simulation's
float model (spec ``ecosystem.md`` §1.5), not the chain's fixed-point epoch (that is
:func:`taocore.consensus.epoch`); it exists to compare Yuma variants quickly:

* every weight row is normalised (``W / (rowsum + 1e-6)``), stakes to shares;
* prerank ``P = Sᵀ W``; consensus ``C_j`` = the stake-weighted ``kappa``-quantile of column ``j``
  (weights ordered highest first, the weight where the running stake reaches ``kappa``), found
  by selection rather than a sort; ``C`` is normalised to sum 1 and quantised down to multiples
  of 1/65535;
* rank ``R = Sᵀ min(W, C)``; incentive ``R / ΣR`` (or, with ``winner_takes_all``, ``1/k`` to
  the ``k`` tied maxima);
* bonds and dividends per version — ``yuma1``: bonds are this epoch's purchase
  ``colnorm(S ⊙ W_b)`` with ``W_b = (1 - bond_penalty) W + bond_penalty min(W, C)``, no memory;
  ``yuma2``: the same purchase, EMA'd with ``alpha = 1 - bond_moving_avg``; ``yuma2b``: as
  ``yuma2`` but clipping and buying with the previous epoch's weights; ``yuma2c``:
  capacity-limited purchases (``capacity_alpha``, ``decay_rate``, a stake·(2^64-1) cap);
  ``yuma3``: per (validator, server) bonds in [0, 1], decayed by ``1 - alpha`` and bought with
  ``alpha W``, dividends ``S ⊙ colnorm(B) I``; ``yuma3_liquid``: ``yuma3`` with liquid alpha;
* dividends are normalised: ``D / (ΣD + 1e-6)``.

Where the source leaves an edge undefined this module chooses, and says so: a zero column sum
gives zero bonds, an all-zero rank gives all-zero incentive (also under winner-takes-all), and
the running stake is summed in double when selecting the consensus quantile (the source sums a
float32 cumsum, so exact ties at ``kappa`` may resolve differently; after quantisation such a
flip shows as a jump of 1/65535 in consensus). The arithmetic is the source's up to float
rounding: sums run in double, some divisions are products by a reciprocal, and ``yuma3_liquid``
updates a bond as ``b + alpha (W - b)`` in one fused multiply-add rather than the source's capped
``(1 - alpha) b + alpha W``. On yuma-simulation's own cases every output stays within 1e-6
relative of the source's, consensus up to that 1/65535 flip (``yuma3_liquid``'s bonds within
2.4e-7).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeAlias

import numpy as np
import numpy.typing as npt

from taocore._checks import flag, integer, number
from taocore._native import _core
from taocore._progress import ProgressCallback, progress_reporter

__all__ = [
    "DEFAULT_PARAMS",
    "VERSIONS",
    "SimulationResult",
    "simulate",
    "simulate_many",
]

#: The version keys, in yuma-simulation's order.
VERSIONS: tuple[str, ...] = ("yuma1", "yuma2", "yuma2b", "yuma2c", "yuma3", "yuma3_liquid")

_DISPLAY_NAMES: dict[str, str] = {
    "yuma 1": "yuma1",
    "yuma 2 (subtensor)": "yuma2",
    "yuma 2": "yuma2",
    "yuma 2b (adrian-fish)": "yuma2b",
    "yuma 2b": "yuma2b",
    "yuma 2c (rhef+reset)": "yuma2c",
    "yuma 2c": "yuma2c",
    "yuma 3 (rhef+relative bonds)": "yuma3",
    "yuma 3": "yuma3",
    "yuma 3 (rhef+relative bonds) - liquid alpha on": "yuma3_liquid",
    "yuma 3 - liquid alpha on": "yuma3_liquid",
}

#: Every parameter with its default: yuma-simulation's names and defaults, except
#: ``bond_penalty`` (None there, which its Yuma 1/2 code cannot use; 1.0 here, the chain's).
#: ``liquid_alpha_consensus_mode`` is ``"CURRENT"``, ``"PREVIOUS"`` or ``"MIXED"``;
#: ``reset_bonds_index``/``reset_bonds_epoch`` zero one server's bond column before that epoch
#: (Yuma 2C and 3 only, as in yuma-simulation).
DEFAULT_PARAMS: Mapping[str, float | bool | str | int | None] = {
    "kappa": 0.5,
    "bond_penalty": 1.0,
    "bond_moving_avg": 0.1,
    "liquid_alpha": False,
    "alpha_high": 0.3,
    "alpha_low": 0.1,
    "alpha_sigmoid_steepness": 10.0,
    "decay_rate": 0.1,
    "capacity_alpha": 0.1,
    "winner_takes_all": False,
    "liquid_alpha_consensus_mode": "CURRENT",
    "reset_bonds_index": None,
    "reset_bonds_epoch": None,
}

_BOOL_PARAMS = frozenset({"liquid_alpha", "winner_takes_all"})
_INDEX_PARAMS = frozenset({"reset_bonds_index", "reset_bonds_epoch"})

_FloatArray: TypeAlias = npt.NDArray[np.floating[Any]]


@dataclass(frozen=True)
class SimulationResult:
    """Per-epoch outputs of one simulated scenario (numpy arrays of the run's dtype).

    ``prerank``, ``consensus`` (normalised and quantised to 1/65535 steps), ``rank`` and
    ``incentive`` are ``[epochs, servers]``; ``dividends`` (normalised to sum ≈ 1) is
    ``[epochs, validators]``; ``bonds`` is ``[epochs, validators, servers]``, the bond state after
    each epoch (the one the next epoch starts from), or ``[1, validators, servers]``, the state
    after the last epoch only, from a run with ``keep_bonds=False``. ``version`` and ``params``
    record the run.
    """

    version: str
    params: Mapping[str, float | bool | str | int | None]
    prerank: _FloatArray
    consensus: _FloatArray
    rank: _FloatArray
    incentive: _FloatArray
    dividends: _FloatArray
    bonds: _FloatArray

    @property
    def epochs(self) -> int:
        """Number of simulated epochs."""
        return int(self.incentive.shape[0])


def _version(version: str) -> str:
    if not isinstance(version, str):
        raise ValueError(f"version must be a str, got {type(version).__name__}")
    key = version.strip().lower()
    key = _DISPLAY_NAMES.get(key, key)
    if key not in VERSIONS:
        raise ValueError(
            f"version: unknown {version!r}; expected one of {', '.join(VERSIONS)} "
            "or a yuma-simulation display name such as 'Yuma 2 (subtensor)'"
        )
    return key


def _params(params: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = dict(DEFAULT_PARAMS)
    for name, value in params.items():
        if name not in DEFAULT_PARAMS:
            raise ValueError(
                f"{name}: unknown parameter; expected one of {', '.join(DEFAULT_PARAMS)}"
            )
        if name in _BOOL_PARAMS:
            out[name] = flag(name, value)
        elif name in _INDEX_PARAMS:
            out[name] = None if value is None else integer(name, value, hi=None)
        elif name == "liquid_alpha_consensus_mode":
            mode = str(getattr(value, "value", value)).upper()
            if mode not in ("CURRENT", "PREVIOUS", "MIXED"):
                raise ValueError(f"{name} must be CURRENT, PREVIOUS or MIXED, got {value!r}")
            out[name] = mode
        else:
            out[name] = number(name, value)
    return out


def _dtype(dtype: npt.DTypeLike) -> str:
    try:
        dt = np.dtype(dtype)
    except TypeError as exc:
        raise ValueError(f"dtype must be float32 or float64, got {dtype!r}") from exc
    if dt not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise ValueError(f"dtype must be float32 or float64, got {dtype!r}")
    return str(dt.name)


def _array(x: npt.ArrayLike, name: str, dtype: str) -> _FloatArray:
    try:
        a = np.asarray(x)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name}: not a numeric array ({exc})") from exc
    if a.dtype == object or not (np.issubdtype(a.dtype, np.number) or a.dtype == np.bool_):
        raise ValueError(f"{name}: must be numeric, got dtype {a.dtype}")
    if np.iscomplexobj(a):
        raise ValueError(f"{name}: must be real, got dtype {a.dtype}")
    return np.ascontiguousarray(a, dtype=dtype)


def _scenario(
    weights: npt.ArrayLike, stakes: npt.ArrayLike, epochs: int | None, dtype: str
) -> tuple[_FloatArray, _FloatArray, int]:
    w = _array(weights, "weights", dtype)
    s = _array(stakes, "stakes", dtype)
    if w.ndim == 2:
        w = w[np.newaxis]
    elif w.ndim != 3:
        raise ValueError(
            f"weights: expected [epochs, validators, servers] or [validators, servers], "
            f"got shape {w.shape}"
        )
    if s.ndim == 1:
        s = s[np.newaxis]
    elif s.ndim != 2:
        raise ValueError(
            f"stakes: expected [epochs, validators] or [validators], got shape {s.shape}"
        )
    if s.shape[1] != w.shape[1]:
        raise ValueError(f"stakes: {s.shape[1]} validators, but weights have {w.shape[1]} rows")
    if w.shape[1] == 0:
        raise ValueError("weights: need at least one validator")
    if w.shape[2] == 0:
        raise ValueError("weights: need at least one server")
    given = {n for n in (w.shape[0], s.shape[0]) if n != 1}
    if len(given) > 1:
        raise ValueError(f"stakes: {s.shape[0]} epochs, but weights have {w.shape[0]}")
    inferred = given.pop() if given else None
    if epochs is not None:
        n = integer("epochs", epochs, lo=1, hi=None)
        if inferred is not None and n != inferred:
            raise ValueError(f"epochs: {n} given, but the inputs hold {inferred}")
    elif inferred is not None:
        n = inferred
    elif (w.shape[0] == 1 and np.ndim(weights) == 3) or (s.shape[0] == 1 and np.ndim(stakes) == 2):
        n = 1
    else:
        raise ValueError("epochs: give epochs= when both weights and stakes are reused every epoch")
    return w, s, n


def _threads(threads: int | None) -> int:
    if threads is None:
        return os.cpu_count() or 1
    return integer("threads", threads, lo=1)


def _result(version: str, params: dict[str, Any], d: dict[str, Any]) -> SimulationResult:
    return SimulationResult(
        version=version,
        params=params,
        prerank=d["prerank"],
        consensus=d["consensus"],
        rank=d["rank"],
        incentive=d["incentive"],
        dividends=d["dividends"],
        bonds=d["bonds"],
    )


def _result_bytes(scenarios: list[tuple[Any, Any, int]], keep_bonds: bool) -> int:
    """Bytes of the result arrays the core allocates, before it runs, for prepared scenarios:
    per epoch four server vectors and the dividends, and the bonds of every epoch or one."""
    total = 0
    for w, _, epochs in scenarios:
        _, validators, servers = w.shape
        bond_matrices = epochs if keep_bonds else 1
        cells = epochs * (4 * servers + validators) + bond_matrices * validators * servers
        total += cells * w.itemsize
    return total


def _physical_memory() -> int | None:
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):  # not on every platform
        return None


def _memory_error(need: int, keep_bonds: bool, what: str) -> MemoryError:
    hint = "; keep_bonds=False keeps only the final bonds" if keep_bonds else ""
    return MemoryError(
        f"the results need {need / 2**30:.3g} GiB, {what}{hint}; or run fewer epochs"
    )


_ProgressCallback: TypeAlias = ProgressCallback
"""Called as ``progress(done, total)`` with the epochs finished so far (over all scenarios)."""


def _run(
    scenarios: list[tuple[Any, Any, int]],
    version: str,
    params: dict[str, Any],
    dtype: str,
    threads: int,
    keep_bonds: bool,
    progress: bool | _ProgressCallback,
) -> list[dict[str, Any]]:
    """Runs prepared scenarios in the core, drawing a bar on stderr for ``progress=True``."""
    # The results are allocated before the first epoch, so a run that cannot hold them fails
    # at once, with their size, rather than after its work (or swapping the machine to a halt).
    need = _result_bytes(scenarios, keep_bonds)
    have = _physical_memory()
    if have is not None and need > have:
        raise _memory_error(need, keep_bonds, f"more than this machine's {have / 2**30:.3g} GiB")
    bar, callback = progress_reporter(progress, sum(e for _, _, e in scenarios), "epoch")
    try:
        return _core.sim.simulate_many(
            scenarios, version, params, dtype, threads, keep_bonds, progress=callback
        )
    except MemoryError as exc:
        raise _memory_error(need, keep_bonds, "and allocating the run's memory failed") from exc
    finally:
        if bar is not None:
            bar.close()


def simulate(
    weights: npt.ArrayLike,
    stakes: npt.ArrayLike,
    version: str = "yuma3",
    *,
    epochs: int | None = None,
    dtype: npt.DTypeLike = np.float32,
    threads: int = 1,
    keep_bonds: bool = True,
    progress: bool | _ProgressCallback = False,
    **params: Any,
) -> SimulationResult:
    """Simulate every epoch of one scenario with one Yuma version; returns a SimulationResult.

    ``weights`` is ``[epochs, validators, servers]`` (raw, rows are normalised inside) or one
    ``[validators, servers]`` matrix reused every epoch; ``stakes`` is ``[epochs, validators]`` or
    one ``[validators]`` vector reused. ``epochs`` is needed only when both are reused.
    ``version`` is one of :data:`VERSIONS` or a yuma-simulation display name ("Yuma 1",
    "Yuma 2 (subtensor)", ..., "Yuma 3 (Rhef+relative bonds) - liquid alpha on"). ``params`` are
    yuma-simulation's parameters (see :data:`DEFAULT_PARAMS`). The run is float32 unless
    ``dtype=np.float64``; ``threads`` > 1 splits each epoch's consensus over threads (useful from
    about 256 x 1024). ``keep_bonds=False`` returns only the final bond state
    (``bonds`` of shape ``[1, validators, servers]``) instead of every epoch's, which spares
    allocating and writing ``epochs - 1`` matrices (at 256 x 1024 that is 1 MiB of float32 per
    epoch); every other output is unchanged. The loop runs in C++ with the GIL released.
    Result arrays of 1 MiB or more, once every reference to them is dropped, are kept (up to
    eight, 1 GiB in all, memory the OS may reclaim) for the next run's results: fresh pages
    cost the kernel a fault and a zeroing each, about a sixth of an epoch at 256 x 1024.

    ``progress=True`` draws a bar of the epochs done on stderr; a callable instead receives
    ``(done, total)``, on the calling thread, after the first epoch to end 0.1 s or more after the
    last report, and once at the end. Ctrl-C, or an exception the callable raises, stops the run
    after the epoch it is in, and propagates.

    Raises ``ValueError`` naming the argument for wrong shapes, negative or non-finite weights or
    stakes, an epoch whose stakes sum to zero, an unknown version or parameter, or a parameter
    out of range; ``MemoryError`` with the results' size, before any epoch runs, when they are
    larger than the machine's memory or cannot be allocated.
    """
    v = _version(version)
    p = _params(params)
    dt = _dtype(dtype)
    threads = integer("threads", threads, lo=1)
    keep = flag("keep_bonds", keep_bonds)
    scenario = _scenario(weights, stakes, epochs, dt)
    (out,) = _run([scenario], v, p, dt, threads, keep, progress)
    return _result(v, p, out)


def simulate_many(
    scenarios: Sequence[tuple[npt.ArrayLike, npt.ArrayLike]],
    version: str = "yuma3",
    *,
    epochs: int | None = None,
    dtype: npt.DTypeLike = np.float32,
    threads: int | None = None,
    keep_bonds: bool = True,
    progress: bool | _ProgressCallback = False,
    **params: Any,
) -> list[SimulationResult]:
    """Simulate independent ``(weights, stakes)`` scenarios in parallel; one result each, in order.

    Every scenario takes the same shapes as :func:`simulate` (they may differ in size from one
    another) and runs with the same ``version``, ``dtype``, ``keep_bonds`` and ``params``.
    ``threads`` std::threads
    (default: one per CPU) take scenarios from a shared queue; the GIL is released throughout.
    ``progress`` counts the epochs of all scenarios together, as in :func:`simulate`; a failed or
    stopped scenario stops the others at their next epoch.
    Raises ``ValueError`` as :func:`simulate` does, naming the argument (and, for a bad scenario,
    its index), and ``MemoryError`` as it does for all the scenarios' results together.
    """
    v = _version(version)
    p = _params(params)
    dt = _dtype(dtype)
    n = _threads(threads)
    keep = flag("keep_bonds", keep_bonds)
    prepared = []
    for k, item in enumerate(scenarios):
        try:
            w, s = item
        except (TypeError, ValueError) as exc:
            raise ValueError(f"scenarios[{k}] must be a (weights, stakes) pair") from exc
        try:
            prepared.append(_scenario(w, s, epochs, dt))
        except ValueError as exc:
            raise ValueError(f"scenarios[{k}]: {exc}") from exc
    outs = _run(prepared, v, p, dt, n, keep, progress)
    return [_result(v, p, d) for d in outs]
