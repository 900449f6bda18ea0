"""taocore vs py-sr25519-bindings, bittensor-wallet and PyNaCl: signing and verification.

Run by hand:  python bench/bench_crypto.py [--repeat N]
One table: per-call time of each operation for 32 B and 1 KiB messages, then batch verification
of 16..1024 sr25519 signatures against the oracle's single verification, with ratios (above 1 =
taocore faster). Every signature is checked before it is timed.
"""

from __future__ import annotations

import argparse
import itertools
import os
import timeit
from collections.abc import Callable

import nacl.signing
import sr25519
from bittensor_wallet import Keypair as BtKeypair

import taocore
from taocore import Keypair


def per_call(fn: Callable[[], object], repeat: int) -> float:
    timer = timeit.Timer(fn)
    number, _ = timer.autorange()
    return min(timer.repeat(repeat=repeat, number=max(1, number))) / max(1, number)


def row(name: str, ours: float, rivals: dict[str, float]) -> str:
    cells = "  ".join(f"{k} {v * 1e6:8.1f} us ({v / ours:5.2f}x)" for k, v in rivals.items())
    return f"{name:<30} taocore {ours * 1e6:8.1f} us   {cells}"


def bench_messages(size: int, ours: Keypair, bt: BtKeypair, pair: tuple[bytes, bytes],
                   nacl_key: nacl.signing.SigningKey, ed: Keypair, repeat: int) -> None:
    """Single sign/verify rows for one message size, each answer checked first."""
    pub = pair[0]
    msg = os.urandom(size)
    sig = ours.sign(msg)
    assert sr25519.verify(sig, msg, pub) and bt.verify(msg, sig)
    ed_sig = ed.sign(msg)
    assert nacl_key.sign(msg).signature == ed_sig
    vk = nacl_key.verify_key
    print(f"\n-- {size} B messages")
    print(row("sr25519 sign", per_call(lambda: ours.sign(msg), repeat), {
        "py-sr25519": per_call(lambda: sr25519.sign(pair, msg), repeat),
        "bittensor-wallet": per_call(lambda: bt.sign(msg), repeat)}))
    print(row("sr25519 verify", per_call(lambda: ours.verify(msg, sig), repeat), {
        "py-sr25519": per_call(lambda: sr25519.verify(sig, msg, pub), repeat),
        "bittensor-wallet": per_call(lambda: bt.verify(msg, sig), repeat)}))
    print(row("ed25519 sign", per_call(lambda: ed.sign(msg), repeat), {
        "PyNaCl": per_call(lambda: nacl_key.sign(msg), repeat)}))
    print(row("ed25519 verify", per_call(lambda: ed.verify(msg, ed_sig), repeat), {
        "PyNaCl": per_call(lambda: vk.verify(msg, ed_sig), repeat)}))


def bench_key_rotation(n_keys: int, size: int, repeat: int) -> None:
    """Verification with a different key on each call, cycling through more keys than taocore's
    key caches hold (4096 decoded keys, 256 hot ed25519 keys): the cost of a key seen for the
    first time, where the rows above time one key checked again and again."""
    msg = os.urandom(size)
    seeds = [os.urandom(32) for _ in range(n_keys)]
    sr_items, ed_items = [], []
    for seed in seeds:
        sr_key = Keypair.create_from_seed(seed)
        ed_key = Keypair.create_from_seed(seed, crypto_type="ed25519")
        sr_items.append((sr_key, sr_key.sign(msg)))
        nacl_key = nacl.signing.SigningKey(seed)
        ed_sig = ed_key.sign(msg)
        assert nacl_key.sign(msg).signature == ed_sig
        ed_items.append((ed_key, nacl_key.verify_key, ed_sig))
    assert all(sr25519.verify(sig, msg, k.public_key) for k, sig in sr_items)

    def rotate(fn: Callable[..., object], items: list[tuple[object, ...]]) -> Callable[[], object]:
        cycle = itertools.cycle(items)
        return lambda: fn(*next(cycle))

    print(f"\n-- {size} B messages, {n_keys} keys in rotation (no cache hits)")
    print(row("sr25519 verify", per_call(rotate(lambda k, s: k.verify(msg, s), sr_items), repeat), {
        "py-sr25519": per_call(rotate(lambda k, s: sr25519.verify(s, msg, k.public_key), sr_items),
                               repeat)}))
    ours = per_call(rotate(lambda k, _vk, s: k.verify(msg, s), ed_items), repeat)
    print(row("ed25519 verify", ours, {
        "PyNaCl": per_call(rotate(lambda _k, vk, s: vk.verify(msg, s), ed_items), repeat)}))


def bench_batch(n: int, repeat: int) -> None:
    """One batch size: taocore's batch against the oracle verifying the same signatures singly."""
    keys = [Keypair.create_from_seed(os.urandom(32)) for _ in range(n)]
    msgs = [os.urandom(32) for _ in range(n)]
    sigs = [k.sign(m) for k, m in zip(keys, msgs, strict=True)]
    pks = [k.public_key for k in keys]
    assert taocore.crypto.verify_batch(pks, msgs, sigs)
    ours = per_call(lambda: taocore.crypto.verify_batch(pks, msgs, sigs), repeat) / n

    def oracle_all() -> None:
        for p, m, s in zip(pks, msgs, sigs, strict=True):
            sr25519.verify(s, m, p)

    oracle = per_call(oracle_all, repeat) / n
    print(row(f"batch of {n}", ours, {"py-sr25519 single": oracle}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    info = taocore.runtime_info()
    print(f"taocore {info['version']}, backend {info['active_backend']}, "
          f"CPU features {', '.join(info['cpu_features'])}")
    seed = os.urandom(32)
    ours = Keypair.create_from_seed(seed)
    bt = BtKeypair.create_from_seed(seed.hex())
    pub, sec = sr25519.pair_from_seed(seed)
    nacl_key = nacl.signing.SigningKey(seed)
    ed = Keypair.create_from_seed(seed, crypto_type="ed25519")
    for size in (32, 1024):
        bench_messages(size, ours, bt, (pub, sec), nacl_key, ed, args.repeat)
    bench_key_rotation(8192, 32, args.repeat)
    print("\n-- sr25519 batch verification (per signature)")
    for n in (16, 64, 256, 1024):
        bench_batch(n, args.repeat)


if __name__ == "__main__":
    main()
