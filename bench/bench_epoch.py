"""Yuma epoch benchmark: one run, one table, single-threaded medians.

- the chain-exact epoch (``taocore.consensus.epoch``) on a 256-uid subnet (64 permitted
  validators with full weight rows) and a 4096-uid sparse subnet (64 validators, 512 weights);
- the float simulator (``taocore.sim.simulate``) at 64 x 256 and 256 x 1024, dense, 100 epochs,
  against the plain numpy implementation in ``bench/numpy_yuma.py`` and, when it is importable,
  against yuma-simulation itself (``yuma_simulation``; see docs in bench/README.md), per epoch.

    python bench/bench_epoch.py [--epochs 100] [--repeat 5] [--versions yuma2,yuma3]
                                [--sample-seconds 1.0] [--chain-only]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from typing import Any

# One thread for every contender, as the table says: numpy's OpenBLAS would otherwise run the
# baseline's matrix-vector products on every core (and leave a worker spinning beside the
# single-threaded rows). Read when numpy loads, so set before the import.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy_yuma
from chain_epoch import chain_rows, print_chain_table
from taocore import runtime_info, sim


def _yuma_simulation_runner(version: str) -> tuple[Any, str | None]:
    """Runs yuma-simulation's own per-epoch function for ``version`` over all epochs (bonds
    carried as its simulation loop carries them), and None; or None and why it cannot run
    (not installed, or a module its liquid alpha imports is missing), for the table. With
    ``keep_bonds`` the loop also keeps a copy of every epoch's bonds and incentives, as
    yuma-simulation's own loop does (``simulation_utils._run_simulation``: ``B_state.clone()``
    appended each epoch); without, only the latest bonds stay alive."""
    try:
        import torch
        from yuma_simulation._internal import yumas
    except ImportError as e:
        return None, f"yuma-simulation is not installed here ({e})"
    torch.set_num_threads(1)
    torch.set_grad_enabled(False)
    funcs = {
        "yuma2": (yumas.Yuma, "validator_ema_bond", 0.1, False),
        "yuma3": (yumas.Yuma3, "validator_bonds", 0.975, False),
        "yuma3_liquid": (yumas.Yuma3, "validator_bonds", 0.975, True),
    }
    if version not in funcs:
        return None, f"no yuma-simulation runner for {version} in this bench"
    fn, bond_key, bma, liquid = funcs[version]
    config = yumas.YumaConfig(
        simulation=yumas.SimulationHyperparameters(bond_penalty=1.0),
        yuma_params=yumas.YumaParams(bond_moving_avg=bma, liquid_alpha=liquid),
    )

    def run(
        w: np.ndarray[Any, Any], s: np.ndarray[Any, Any], keep_bonds: bool = False
    ) -> np.ndarray[Any, Any]:
        tw, ts = torch.from_numpy(w), torch.from_numpy(s)
        bonds, consensus, incentive, kept = None, None, [], []
        for e in range(tw.shape[0]):
            out = fn(
                tw[e],
                ts[e],
                tw.shape[2],
                tw.shape[1],
                False,
                B_old=bonds,
                C_old=consensus,
                config=config,
            )
            bonds, consensus = out[bond_key], out["server_consensus_weight"]
            if keep_bonds:
                kept.append((bonds.clone(), out["server_incentive"].clone()))
            incentive.append(out["server_incentive"].numpy())
        return np.stack(incentive)

    # Its liquid alpha imports the rest of yuma-simulation (pandas, bittensor) on first use.
    try:
        run(np.ones((3, 2, 2), dtype=np.float32), np.ones((3, 2), dtype=np.float32))
    except ImportError as e:
        return None, f"yuma-simulation cannot run {version} here ({e})"
    return run, None


def interleaved_medians(
    runs: dict[str, tuple[Any, int]], sample_seconds: float
) -> dict[str, float]:
    """Median seconds per call of each ``fn()`` in ``runs`` (name -> (fn, samples)), sampled in
    turns (one sample of each, then again), so that a machine whose speed drifts during the run
    moves every column alike rather than skewing their ratios.

    A sample calls ``fn`` back to back for at least ``sample_seconds`` (at least once) and
    takes the mean. This host has slow stretches (load-heavy code up to ~1.5x slower, lasting
    from a fraction of a second to many minutes; ALU-bound code is unaffected): a contender
    whose call lasts 2 s averages over them, and a sample of a 40 ms call should too, or it
    lands wholly in one stretch or the other and the ratio swings by their difference.

    Each sample follows an untimed call of the same function: the runs that keep every epoch's
    bonds allocate ~100 MB, and memory the process has just freed is far quicker to fault in
    than memory another run has churned (on this VM the first run after another's allocations
    took up to 5x as long)."""
    times: dict[str, list[float]] = {name: [] for name in runs}
    for turn in range(max(samples for _, samples in runs.values())):
        for name, (fn, samples) in runs.items():
            if turn < samples:
                fn()
                calls, start = 0, time.perf_counter()
                while True:
                    fn()
                    calls += 1
                    elapsed = time.perf_counter() - start
                    if elapsed >= sample_seconds:
                        break
                times[name].append(elapsed / calls)
    return {name: statistics.median(t) for name, t in times.items()}


def sim_rows(
    epochs: int, repeat: int, versions: list[str], sample_seconds: float
) -> tuple[list[dict[str, Any]], list[str]]:
    """The simulator rows, and why yuma-simulation's column is empty where it is."""
    rows, missing = [], []
    rng = np.random.default_rng(0)
    for v, m in ((64, 256), (256, 1024)):
        w = rng.random((epochs, v, m), dtype=np.float32)
        s = np.repeat((rng.random(v, dtype=np.float32) + 0.01)[None], epochs, axis=0)
        for version in versions:
            runs: dict[str, tuple[Any, int]] = {
                "taocore": (lambda w=w, s=s, v=version: sim.simulate(w, s, v), repeat),
                # Without every epoch's bonds (against the rival's loop keeping only the latest).
                "taocore_final": (
                    lambda w=w, s=s, v=version: sim.simulate(w, s, v, keep_bonds=False),
                    repeat,
                ),
                "numpy": (
                    lambda w=w, s=s, v=version: numpy_yuma.simulate(w, s, v),
                    max(1, repeat // 2),
                ),
            }
            rival, why = _yuma_simulation_runner(version)
            if why is not None and why not in missing:
                missing.append(why)
            if rival is not None:
                # Same answer first (float32; consensus may differ by its 1/65535 quantum).
                check = rival(w[:5], s[:5])
                ref = sim.simulate(w[:5], s[:5], version, bond_penalty=1.0)
                assert np.allclose(check, ref.incentive, atol=2e-4), "yuma-simulation disagrees"
                rival_repeat = max(1, repeat // 2)
                runs["yuma_sim"] = (lambda r=rival, w=w, s=s: r(w, s, True), rival_repeat)
                runs["yuma_sim_final"] = (lambda r=rival, w=w, s=s: r(w, s), rival_repeat)
            medians = interleaved_medians(runs, sample_seconds)
            t = {name: sec / epochs * 1e3 for name, sec in medians.items()}
            rows.append(
                {
                    "case": f"{v} x {m}, {version}",
                    "epochs": epochs,
                    "taocore_ms": t["taocore"],
                    "taocore_final_ms": t["taocore_final"],
                    "numpy_ms": t["numpy"],
                    "yuma_sim_ms": t.get("yuma_sim"),
                    "yuma_sim_final_ms": t.get("yuma_sim_final"),
                }
            )
    return rows, missing


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=100)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--versions", default="yuma2,yuma3,yuma3_liquid")
    ap.add_argument(
        "--sample-seconds",
        type=float,
        default=1.0,
        help="each simulator sample repeats a call for at least this long and takes the mean",
    )
    ap.add_argument(
        "--chain-only", action="store_true", help="only the chain-exact table (skip the simulator)"
    )
    args = ap.parse_args()
    info = runtime_info()
    print(
        f"taocore {info['version']} ({info['compiler']}), backend {info['active_backend']}, "
        f"one thread"
    )
    print()
    print_chain_table(chain_rows())
    if args.chain_only:
        return
    print()
    rows, missing = sim_rows(
        args.epochs, args.repeat, args.versions.split(","), args.sample_seconds
    )
    print(
        f"{'float simulator, per epoch':<30} {'taocore':>9} {'numpy':>9} {'ratio':>6} "
        f"{'yuma-sim':>9} {'ratio':>6} {'final-bonds':>11} {'yuma-sim':>9} {'ratio':>6}"
    )
    print("-" * 104)

    def ms(v: float | None) -> str:
        return "-" if v is None else f"{v:.3f}ms"

    def ratio(theirs: float | None, ours: float) -> str:
        return "-" if theirs is None else f"{theirs / ours:.1f}x"

    for r in rows:
        ours, final = r["taocore_ms"], r["taocore_final_ms"]
        print(
            f"{r['case']:<30} {ms(ours):>9} {ms(r['numpy_ms']):>9} "
            f"{ratio(r['numpy_ms'], ours):>6} {ms(r['yuma_sim_ms']):>9} "
            f"{ratio(r['yuma_sim_ms'], ours):>6} {ms(final):>11} "
            f"{ms(r['yuma_sim_final_ms']):>9} {ratio(r['yuma_sim_final_ms'], final):>6}"
        )
    print(
        "(every epoch's bonds kept: taocore's default and the numpy baseline return them, and\n"
        " yuma-simulation's own loop keeps a copy each epoch; final-bonds: taocore with\n"
        " keep_bonds=False, against yuma-simulation keeping only the latest bonds)"
    )
    for why in missing:
        print(f"({why}: its yuma-sim cells are empty; see bench/README.md)")


if __name__ == "__main__":
    main()
