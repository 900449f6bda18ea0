"""Chain-exact epoch timings for bench_epoch.py: a 256-uid subnet (64 permitted validators with
full weight rows) and a 4096-uid sparse subnet (64 validators, 512 weights each), single thread,
median of repeated runs of the native epoch (and of the public API with its input checks), the
rows timed in turns (chain_rows says why)."""

from __future__ import annotations

import statistics
import time
from typing import Any

import numpy as np

from taocore import consensus
from taocore._native import _core


def make_state(
    n: int, validators: int, per_row: int, *, yuma3: bool, liquid_alpha: bool, seed: int = 1
) -> consensus.SubnetState:
    """A subnet after some epochs: validators with weights and bonds, miners with small stake.

    With full rows every validator weights every uid at random. With fewer weights than uids,
    each validator weights the ``per_row`` miners it scores best, its scores a shared quality
    plus its own noise, so that the validators mostly agree on the best miners as on a live
    subnet; its bonds sit on the miners it scored best in an earlier epoch (other noise). Picked
    at random instead, each miner would be weighted by an eighth of the validators, every
    column's median would be 0, and the epoch would skip its bonds' liquid alpha altogether."""
    rng = np.random.default_rng(seed)
    quality = rng.random(n)

    def best_miners(count: int) -> np.ndarray[Any, Any]:
        return np.sort(np.argsort(quality + rng.normal(0.0, 0.1, n))[-count:])

    indptr = [0]
    indices: list[np.ndarray[Any, Any]] = []
    values: list[np.ndarray[Any, Any]] = []
    b_indptr = [0]
    b_indices: list[np.ndarray[Any, Any]] = []
    b_values: list[np.ndarray[Any, Any]] = []
    for i in range(n):
        if i < validators:
            cols = np.arange(n) if per_row >= n else best_miners(per_row)
            indices.append(cols.astype(np.uint16))
            values.append(rng.integers(1, 65536, cols.size).astype(np.uint16))
            bcols = np.arange(n) if per_row >= n else best_miners(per_row)
            b_indices.append(bcols.astype(np.uint16))
            b_values.append(rng.integers(1, 65536, bcols.size).astype(np.uint16))
        indptr.append(indptr[-1] + (indices[-1].size if i < validators else 0))
        b_indptr.append(b_indptr[-1] + (b_indices[-1].size if i < validators else 0))
    stake = np.zeros(n, dtype=np.uint64)
    stake[:validators] = rng.integers(10**12, 10**14, validators)
    stake[validators:] = rng.integers(0, 10**9, n - validators)
    return consensus.SubnetState(
        n=n,
        alpha_stake=stake,
        current_block=10_000,
        weights=(
            np.array(indptr, dtype=np.uint64),
            np.concatenate(indices),
            np.concatenate(values),
        ),
        bonds=(
            np.array(b_indptr, dtype=np.uint64),
            np.concatenate(b_indices),
            np.concatenate(b_values),
        ),
        last_update=np.full(n, 9_990, dtype=np.uint64),
        block_at_registration=np.zeros(n, dtype=np.uint64),
        validator_permit=np.arange(n) < validators,
        max_allowed_validators=validators,
        rao_emission=10**9,
        yuma3=yuma3,
        liquid_alpha=liquid_alpha,
    )


def chain_rows(rounds: int = 40, calls: int = 10) -> list[dict[str, Any]]:
    """One row per (size, bonds mode): native and public-API medians in milliseconds.

    Every row is timed in each of ``rounds`` rounds (``calls`` timed calls of each after one
    untimed call, then the next row), and its median is over all its calls. This host has slow
    stretches (load-heavy code up to ~1.5x slower, from a fraction of a second to many
    minutes): rows timed one after another in a few milliseconds each landed wholly inside or
    outside one, and a row's median moved by that much from run to run; spread over the same
    rounds, every row sees the same mix (a run inside one long stretch is slow in every row)."""
    cases = []
    for label, n, validators, per_row, target_ms in (
        ("256 uids, 64 x 256 dense", 256, 64, 256, 0.3),
        ("4096 uids, 64 x 512 sparse", 4096, 64, 512, 10.0),
    ):
        for mode, yuma3, liquid in (
            ("Yuma", False, False),
            ("Yuma3", True, False),
            ("Yuma3 + liquid alpha", True, True),
        ):
            state = make_state(n, validators, per_row, yuma3=yuma3, liquid_alpha=liquid)
            fields = consensus._fields(state)
            cases.append(
                (
                    f"{label}, {mode}",
                    target_ms,
                    lambda f=fields: _core.consensus.epoch(f),
                    lambda s=state: consensus.epoch(s),
                )
            )
    native: list[list[float]] = [[] for _ in cases]
    public: list[list[float]] = [[] for _ in cases]
    for _ in range(rounds):
        for k, (_, _, native_fn, public_fn) in enumerate(cases):
            for fn, times in ((native_fn, native[k]), (public_fn, public[k])):
                fn()
                for _ in range(calls):
                    start = time.perf_counter()
                    fn()
                    times.append(time.perf_counter() - start)
    return [
        {
            "case": case,
            "native_ms": statistics.median(native[k]) * 1e3,
            "public_ms": statistics.median(public[k]) * 1e3,
            "target_ms": target_ms,
        }
        for k, (case, target_ms, _, _) in enumerate(cases)
    ]


def print_chain_table(rows: list[dict[str, Any]]) -> None:
    print(f"{'chain-exact epoch':<48} {'native':>10} {'public API':>11} {'target':>8}")
    print("-" * 80)
    for r in rows:
        print(
            f"{r['case']:<48} {r['native_ms']:>8.3f}ms {r['public_ms']:>9.3f}ms "
            f"{r['target_ms']:>6.1f}ms"
        )


if __name__ == "__main__":
    print_chain_table(chain_rows())
