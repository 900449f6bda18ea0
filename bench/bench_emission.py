"""One simulated day (7,200 blocks) of a 128-subnet network, 256 uids per subnet, tempo 360.

Fixed weights: in each subnet the 64 highest-staked uids validate and weight every uid
(a fixed random row each), the others only mine. Everything runs in the C++ core on one thread;
the payout history is recorded. Prints seconds per simulated day and blocks per second.

    python bench/bench_emission.py [--subnets 128] [--uids 256] [--blocks 7200] [--check]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from taocore import consensus, emission


def build(subnets: int, uids: int, validators: int, seed: int = 7) -> emission.Network:
    rng = np.random.default_rng(seed)
    net = emission.Network(
        block=1_000_000, total_issuance=10_000_000 * 10**9, root_tao=4_000_000 * 10**9
    )
    for netuid in range(1, subnets + 1):
        stake = rng.integers(10**9, 10**14, uids).astype(np.uint64)
        order = np.argsort(-stake.astype(np.float64))[:validators]
        rows: list[list[tuple[int, int]]] = [[] for _ in range(uids)]
        for v in order:
            w = rng.integers(1, 65_536, uids)
            rows[int(v)] = [(j, int(w[j])) for j in range(uids)]
        state = consensus.SubnetState(n=uids, alpha_stake=stake, weights=rows, tempo=360)
        net.add_subnet(
            netuid,
            state,
            hotkeys=[f"hk{netuid}-{i}" for i in range(uids)],
            coldkeys=[f"ck{i % 97}" for i in range(uids)],
            owner_coldkey=f"owner{netuid}",
            tao_reserve=int(rng.integers(10**12, 10**14)),
            alpha_in=int(rng.integers(10**13, 10**15)),
            alpha_out=int(stake.sum(dtype=object)) + 10**12,
            moving_price=float(rng.uniform(0.001, 0.1)),
            root_stake=rng.integers(0, 10**13, uids).astype(np.uint64),
        )
    return net


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--subnets", type=int, default=128)
    ap.add_argument("--uids", type=int, default=256)
    ap.add_argument("--validators", type=int, default=64)
    ap.add_argument("--blocks", type=int, default=7200)
    ap.add_argument("--check", action="store_true", help="verify the accounting after every block")
    args = ap.parse_args()
    t0 = time.perf_counter()
    net = build(args.subnets, args.uids, args.validators)
    t1 = time.perf_counter()
    net.step(args.blocks, check=args.check)
    t2 = time.perf_counter()
    net.check()
    elapsed = t2 - t1
    per_day = elapsed * 7200 / args.blocks
    epochs = sum(net.subnet(k).epoch_index for k in net.netuids)
    print(
        f"network: {args.subnets} subnets x {args.uids} uids, {args.validators} validators each, "
        f"tempo 360 (built in {t1 - t0:.1f} s)"
    )
    print(
        f"{args.blocks} blocks, {epochs} epochs in {elapsed:.2f} s: "
        f"{per_day:.2f} s per simulated day, {args.blocks / elapsed:,.0f} blocks/s"
        f"{' (accounting checked every block)' if args.check else ''}"
    )
    print(
        f"history rows: {len(net.hotkey_history()['block']):,} hotkey, "
        f"{len(net.coldkey_history()['block']):,} coldkey; TAO issuance {net.total_issuance:,} rao"
    )


if __name__ == "__main__":
    main()
