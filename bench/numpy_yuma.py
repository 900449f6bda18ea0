"""A plain numpy implementation of the float Yuma simulator, for benchmarks and cross-checks.

Same maths as ``taocore.sim`` (itself written from the formulas of yuma-simulation, see
``taocore.sim``'s docstring): one Python loop over epochs, numpy per epoch, a full sort per
column for the consensus quantile. It is a baseline to time against, not a product.

    from numpy_yuma import simulate
    out = simulate(weights, stakes, "yuma3", bond_moving_avg=0.975)   # dict of numpy arrays
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from taocore.sim import DEFAULT_PARAMS

EPS = 1e-6
U64_MAX = 2.0**64 - 1.0

#: yuma-simulation's parameters and defaults: the same table taocore.sim documents.
DEFAULTS: dict[str, Any] = dict(DEFAULT_PARAMS)


def _consensus(w: NDArray[Any], s: NDArray[Any], kappa: Any) -> NDArray[Any]:
    """Per column: the weight where the stake, summed from the top weight down, reaches kappa."""
    order = np.argsort(-w, axis=0, kind="stable")
    ws = np.take_along_axis(w, order, axis=0)
    cum = np.cumsum(s[order], axis=0, dtype=w.dtype)
    reached = cum >= kappa
    idx = np.where(reached.any(axis=0), reached.argmax(axis=0), w.shape[0] - 1)
    return ws[idx, np.arange(w.shape[1])]


def _colnorm(x: NDArray[Any]) -> NDArray[Any]:
    tot = x.sum(axis=0, keepdims=True)
    return np.where(tot > 0, x / np.where(tot > 0, tot, 1), 0).astype(x.dtype)


def _liquid_alpha(w: Any, b_old: Any, c: Any, p: dict[str, Any], dt: Any) -> Any:
    buy = w >= b_old
    diff = np.where(buy, np.clip(w - c[None, :], 0, 1), np.clip(b_old - w, 0, 1)).astype(dt)
    steep = dt(p["alpha_sigmoid_steepness"])
    sig = dt(1) / (dt(1) + np.exp(-steep * (diff - dt(0.5))))
    lo, hi = dt(p["alpha_low"]), dt(p["alpha_high"])
    return np.clip(lo + sig * (hi - lo), lo, hi).astype(dt)


def simulate(
    weights: Any, stakes: Any, version: str, dtype: Any = np.float32, **params: Any
) -> dict[str, NDArray[Any]]:
    """Run every epoch; weights ``[E, V, M]``, stakes ``[E, V]``; returns per-epoch arrays."""
    p = {**DEFAULTS, **params}
    dt = np.dtype(dtype).type
    W_all = np.asarray(weights, dtype=dt)
    S_all = np.asarray(stakes, dtype=dt)
    E, V, M = W_all.shape
    out = {k: np.zeros((E, M), dt) for k in ("prerank", "consensus", "rank", "incentive")}
    out["dividends"] = np.zeros((E, V), dt)
    out["bonds"] = np.zeros((E, V, M), dt)
    kappa = dt(p["kappa"])
    beta = dt(p["bond_penalty"])
    B = np.zeros((V, M), dt)
    w_prev: Any = None
    c_prev = np.zeros(M, dt)
    relative = version in ("yuma2c", "yuma3", "yuma3_liquid")
    for e in range(E):
        W = W_all[e] / (W_all[e].sum(axis=1, keepdims=True) + dt(EPS))
        S = S_all[e] / S_all[e].sum()
        if relative and p["reset_bonds_index"] is not None and e == p["reset_bonds_epoch"]:
            B[:, p["reset_bonds_index"]] = 0
        Wc = w_prev if (version == "yuma2b" and w_prev is not None) else W
        P = S @ W
        C = _consensus(W, S, kappa)
        C = C / C.sum()
        C = (np.floor(C * dt(65535)) / dt(65535)).astype(dt)
        Wbar = np.minimum(Wc, C[None, :])
        R = S @ Wbar
        if p["winner_takes_all"]:
            top = R.max() == R
            inc = np.where(top, dt(1) / dt(top.sum()), dt(0)).astype(dt)
        else:
            tot = R.sum()
            inc = (R / tot).astype(dt) if tot > 0 else np.zeros(M, dt)
        mode = p["liquid_alpha_consensus_mode"]
        c_mode = {"CURRENT": C, "PREVIOUS": c_prev, "MIXED": np.maximum(C, c_prev)}[mode]
        if version in ("yuma1", "yuma2", "yuma2b"):
            Wb = (dt(1) - beta) * Wc + beta * Wbar
            dB = S[:, None] * Wb
            if version == "yuma1":
                dB = dB / (dB.sum(axis=0, keepdims=True) + dt(EPS))
            else:
                dB = _colnorm(dB)
            if e > 0 and p["liquid_alpha"]:
                a = _liquid_alpha(Wc, B, c_mode, p, dt)
                keep = dt(1) - a
            else:
                # A scalar alpha and its complement are formed in double, then rounded.
                a64 = 1.0 if (e == 0 or version == "yuma1") else 1.0 - p["bond_moving_avg"]
                a, keep = dt(a64), dt(1.0 - a64)
            B = a * dB + keep * B
            if version == "yuma1":
                B = B / (B.sum(axis=0, keepdims=True) + dt(EPS))
            D = B @ inc
        elif version == "yuma2c":
            cap = S[:, None] * dt(U64_MAX)
            purchase = np.maximum(np.minimum(dt(p["capacity_alpha"]) * cap, cap - B), dt(0)) * W
            B = np.minimum((dt(1) - dt(p["decay_rate"])) * B + purchase, cap)
            Bn = B / (B.sum(axis=0, keepdims=True) + dt(EPS))
            D = Bn @ inc
        else:
            if e > 0 and (p["liquid_alpha"] or version == "yuma3_liquid"):
                a = _liquid_alpha(W, B, c_mode, p, dt)
                keep = dt(1) - a
            else:
                a64 = 1.0 - p["bond_moving_avg"]
                a, keep = dt(a64), dt(1.0 - a64)
            Bd = keep * B
            B = np.minimum(Bd + np.minimum(a * W, dt(1) - Bd), dt(1))
            Bn = B / (B.sum(axis=0, keepdims=True) + dt(EPS))
            D = S * (Bn @ inc)
        D = D / (D.sum() + dt(EPS))
        out["prerank"][e], out["consensus"][e], out["rank"][e] = P, C, R
        out["incentive"][e], out["dividends"][e], out["bonds"][e] = inc, D, B
        w_prev, c_prev = W, C
    return out
