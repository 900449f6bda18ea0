"""Time one Yuma epoch: taocore's float simulator vs a numpy port vs yuma-simulation, one table.

Run by hand:
    python bench/bench_epoch.py [--sizes 64x256,256x1024] [--epochs 100] [--versions yuma2,yuma3]
                                [--yuma-python /path/to/venv/bin/python]

Workload (as in spec ecosystem.md §1.9): dense random weights per epoch (seed 0), constant random
stakes + 0.01, bond_penalty 0.99, liquid_alpha_consensus_mode MIXED, 100 epochs. Every figure is
single-threaded (taocore threads=1, torch and BLAS pinned to one thread) and is the median
per-epoch time: taocore and numpy run the whole loop per call (median of --repeat runs / epochs);
yuma-simulation is timed per epoch call of its own dispatcher, after an untimed warm-up pass.

yuma-simulation is not on PyPI and needs torch and bittensor (spec §1.9); it is timed when
importable here, or in another interpreter given by --yuma-python / $YUMA_SIM_PYTHON (this script
re-runs itself there with --worker). Ratios above 1 mean taocore is faster.

The table is a list of rows (label, sizes, version, seconds per epoch): other engines (the
chain-exact epoch) add rows through ``ROW_SOURCES``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

PARAMS: dict[str, dict[str, Any]] = {
    "yuma1": {"bond_moving_avg": 0.0},
    "yuma2": {},
    "yuma2b": {},
    "yuma2c": {},
    "yuma3": {"bond_moving_avg": 0.975},
    "yuma3_liquid": {"bond_moving_avg": 0.975, "liquid_alpha": True},
}
COMMON = {"bond_penalty": 0.99, "liquid_alpha_consensus_mode": "MIXED"}
DISPLAY = {
    "yuma1": "Yuma 1",
    "yuma2": "Yuma 2 (subtensor)",
    "yuma2b": "Yuma 2B (Adrian-Fish)",
    "yuma2c": "Yuma 2C (Rhef+reset)",
    "yuma3": "Yuma 3 (Rhef+relative bonds)",
    "yuma3_liquid": "Yuma 3 (Rhef+relative bonds) - liquid alpha on",
}


@dataclass
class Row:
    """One line of the table: an engine's median seconds per epoch on one workload."""

    engine: str
    size: str
    version: str
    seconds: float | None  # None: not available here


def workload(v: int, m: int, epochs: int) -> tuple[np.ndarray, np.ndarray]:
    """Dense random weights [epochs, v, m] and stakes [epochs, v], float32, seed 0."""
    rng = np.random.default_rng(0)
    w = rng.random((epochs, v, m), dtype=np.float32)
    s = np.broadcast_to(rng.random(v, dtype=np.float32) + np.float32(0.01), (epochs, v)).copy()
    return w, s


def per_epoch(run: Callable[[], object], epochs: int, repeat: int) -> float:
    run()  # warm-up
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        run()
        times.append((time.perf_counter() - t) / epochs)
    return statistics.median(times)


def taocore_rows(v: int, m: int, epochs: int, versions: list[str], repeat: int) -> list[Row]:
    from taocore import sim

    w, s = workload(v, m, epochs)
    return [
        Row(
            "taocore.sim (float32)",
            f"{v}x{m}",
            ver,
            per_epoch(
                lambda ver=ver: sim.simulate(w, s, ver, threads=1, **COMMON, **PARAMS[ver]),
                epochs,
                repeat,
            ),
        )
        for ver in versions
    ]


def numpy_rows(v: int, m: int, epochs: int, versions: list[str], repeat: int) -> list[Row]:
    import numpy_yuma

    w, s = workload(v, m, epochs)
    return [
        Row(
            "numpy_yuma.py (float32)",
            f"{v}x{m}",
            ver,
            per_epoch(
                lambda ver=ver: numpy_yuma.simulate(w, s, ver, **COMMON, **PARAMS[ver]),
                epochs,
                max(1, repeat // 2),
            ),
        )
        for ver in versions
    ]


def yuma_sim_times(v: int, m: int, epochs: int, versions: list[str]) -> dict[str, float]:
    """Median seconds per epoch call of yuma-simulation's own dispatcher (if importable)."""
    from types import SimpleNamespace

    import torch
    from yuma_simulation._internal import simulation_utils as su
    from yuma_simulation._internal import yumas

    torch.set_grad_enabled(False)
    torch.set_num_threads(1)
    w_np, s_np = workload(v, m, epochs)
    w = [torch.from_numpy(w_np[e]) for e in range(epochs)]
    s = [torch.from_numpy(s_np[e]) for e in range(epochs)]
    case = SimpleNamespace(
        reset_bonds=False,
        use_full_matrices=False,
        reset_bonds_index=None,
        reset_bonds_epoch=None,
        servers=[f"s{j}" for j in range(m)],
        validators=[f"v{i}" for i in range(v)],
    )
    out: dict[str, float] = {}
    for ver in versions:
        cfg = yumas.YumaConfig(
            simulation=yumas.SimulationHyperparameters(**COMMON),
            yuma_params=yumas.YumaParams(**PARAMS[ver]),
        )
        times: list[float] = []
        for timed in (False, True):
            b = c = w_prev = scw = None
            for e in range(epochs):
                t = time.perf_counter()
                _, b, c, w_prev, scw = su._call_yuma(
                    e, DISPLAY[ver], w[e], s[e], b, c, w_prev, scw, case, cfg
                )
                if timed:
                    times.append(time.perf_counter() - t)
        out[ver] = statistics.median(times)
    return out


def yuma_sim_rows(
    v: int, m: int, epochs: int, versions: list[str], python: str | None
) -> list[Row]:
    size = f"{v}x{m}"
    times: dict[str, float] | None = None
    try:
        times = yuma_sim_times(v, m, epochs, versions)
    except ImportError:
        if python:
            proc = subprocess.run(
                [python, __file__, "--worker", f"{v}x{m}", str(epochs), ",".join(versions)],
                capture_output=True,
                text=True,
                check=False,
            )
            if proc.returncode == 0:
                times = json.loads(proc.stdout.strip().splitlines()[-1])
            else:
                print(f"yuma-simulation worker failed:\n{proc.stderr[-2000:]}", file=sys.stderr)
    return [
        Row("yuma-simulation (torch, 1 thread)", size, ver, None if times is None else times[ver])
        for ver in versions
    ]


#: Row producers: (v, m, epochs, versions, args) -> rows. The chain-exact engine adds its own.
ROW_SOURCES: list[Callable[[int, int, int, list[str], argparse.Namespace], list[Row]]] = [
    lambda v, m, e, vers, a: taocore_rows(v, m, e, vers, a.repeat),
    lambda v, m, e, vers, a: numpy_rows(v, m, e, vers, a.repeat),
    lambda v, m, e, vers, a: yuma_sim_rows(v, m, e, vers, a.yuma_python),
]


def print_table(rows: list[Row]) -> None:
    base = {(r.size, r.version): r.seconds for r in rows if r.engine.startswith("taocore.sim")}
    print(f"{'engine':<36} {'size':>9} {'version':<13} {'ms/epoch':>10} {'taocore x':>10}")
    for r in rows:
        ms = "n/a" if r.seconds is None else f"{r.seconds * 1e3:.3f}"
        ours = base.get((r.size, r.version))
        ratio = "" if r.seconds is None or not ours else f"{r.seconds / ours:.1f}"
        print(f"{r.engine:<36} {r.size:>9} {r.version:<13} {ms:>10} {ratio:>10}")


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        v, m = (int(x) for x in sys.argv[2].split("x"))
        print(json.dumps(yuma_sim_times(v, m, int(sys.argv[3]), sys.argv[4].split(","))))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="64x256,256x1024")
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--versions", default=",".join(PARAMS))
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--yuma-python", default=os.environ.get("YUMA_SIM_PYTHON"))
    args = parser.parse_args()
    versions = args.versions.split(",")
    for ver in versions:
        if ver not in PARAMS:
            parser.error(f"--versions: unknown {ver!r}")
    rows: list[Row] = []
    for size in args.sizes.split(","):
        v, m = (int(x) for x in size.split("x"))
        for source in ROW_SOURCES:
            rows.extend(source(v, m, args.epochs, versions, args))
    print_table(rows)


if __name__ == "__main__":
    main()
