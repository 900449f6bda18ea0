"""The multi-scalar multiplication under batch verification, against a naive sum in Python
integers: each algorithm (Straus with built or supplied tables, Pippenger at every window width
the verifier can pick and more), affine and projective inputs, and the edge cases a batch can
feed it (one point, the identity, zero scalars, small-order points, scalars near 2^255). The
file runs once more under every other backend (each has its own instance: radix 2^51, the
radix-2^64 MULX one, the AVX-512 IFMA one)."""

from __future__ import annotations

import os
import random
import subprocess
import sys

import pytest

from conftest import BACKENDS
from taocore import _core

P = 2**255 - 19
L = 2**252 + 27742317777372353535851937790883648493
D = -121665 * pow(121666, P - 2, P) % P
SQRT_M1 = pow(2, (P - 1) // 4, P)
IDENTITY = (0, 1)


def add(a: tuple[int, int], b: tuple[int, int]) -> tuple[int, int]:
    (x1, y1), (x2, y2) = a, b
    t = D * x1 * x2 * y1 * y2 % P
    return (
        (x1 * y2 + y1 * x2) * pow(1 + t, P - 2, P) % P,
        (y1 * y2 + x1 * x2) * pow(1 - t, P - 2, P) % P,
    )


def add_ext(a: tuple[int, ...], b: tuple[int, ...]) -> tuple[int, ...]:
    """The same sum in extended coordinates (X:Y:Z:T), so a long sum needs no inversion."""
    x1, y1, z1, t1 = a
    x2, y2, z2, t2 = b
    e, f = x1 * y2 + y1 * x2, y1 * y2 + x1 * x2
    c, zz = D * t1 * t2 % P, z1 * z2 % P
    g, h = (zz + c) % P, (zz - c) % P
    return e * h % P, f * g % P, g * h % P, e * f % P


def mul(s: int, pt: tuple[int, int]) -> tuple[int, int]:
    x, y = pt
    acc, q = (0, 1, 1, 0), (x, y, 1, x * y % P)
    while s:
        if s & 1:
            acc = add_ext(acc, q)
        q = add_ext(q, q)
        s >>= 1
    zi = pow(acc[2], P - 2, P)
    return acc[0] * zi % P, acc[1] * zi % P


def encode(pt: tuple[int, int]) -> bytes:
    x, y = pt
    return (y | ((x & 1) << 255)).to_bytes(32, "little")


def decode(b: bytes) -> tuple[int, int]:
    """ZIP-215 decoding (y taken mod p), as the native code decodes the test points."""
    v = int.from_bytes(b, "little")
    sign, y = v >> 255, (v & (2**255 - 1)) % P
    u, w = (y * y - 1) % P, (D * y * y + 1) % P
    x = u * pow(w, 3, P) * pow(u * pow(w, 7, P), (P - 5) // 8, P) % P
    if w * x * x % P != u:
        x = x * SQRT_M1 % P
    assert w * x * x % P == u
    if x & 1 != sign:
        x = -x % P
    return x, y


BASE = decode(bytes.fromhex("5866666666666666666666666666666666666666666666666666666666666666"))
# Points of order 1, 2, 4 and 8 (the torsion subgroup ZIP-215 lets through).
TORSION = [
    mul(
        k, decode(bytes.fromhex("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a"))
    )
    for k in range(8)
]


def naive(scalars: list[int], points: list[tuple[int, int]]) -> bytes:
    acc = IDENTITY
    for s, pt in zip(scalars, points, strict=True):
        acc = add(acc, mul(s, pt))
    return encode(acc)


def native(scalars: list[int], points: list[tuple[int, int]], **kw: object) -> bytes:
    sb = b"".join(s.to_bytes(32, "little") for s in scalars)
    pb = b"".join(encode(pt) for pt in points)
    return _core.crypto._multiscalar_mul(sb, pb, **kw)


def random_points(rng: random.Random, n: int) -> list[tuple[int, int]]:
    # Multiples of B plus a random torsion component: full-order and mixed-order points.
    return [add(mul(rng.randrange(1, L), BASE), rng.choice(TORSION)) for _ in range(n)]


# tables=True hands every other point's odd multiples over precomputed (as the key cache does).
ALGORITHMS: list[dict[str, int | bool]] = [
    {"algorithm": 0},
    {"algorithm": 1},
    {"algorithm": 0, "tables": True},
    {"algorithm": 1, "tables": True},
] + [{"algorithm": 2, "window": w} for w in (0, 1, 2, 3, 5, 6, 7, 8, 9, 11, 16)]


@pytest.mark.parametrize("projective", [False, True])
@pytest.mark.parametrize(
    "opts", ALGORITHMS, ids=lambda o: "-".join(f"{k}{v}" for k, v in o.items())
)
def test_random_sums(opts: dict[str, int | bool], projective: bool) -> None:
    rng = random.Random(int.from_bytes(os.urandom(8), "little"))
    for n in (1, 2, 9, 33):
        points = random_points(rng, n)
        # Full-width scalars (the verifier's z_i * k_i), 128-bit ones (z_i) and some below 2^255
        # but above l (every bit of the top window set).
        scalars = [
            rng.choice([rng.randrange(L), rng.getrandbits(128), 2**255 - 1 - rng.getrandbits(8)])
            for _ in range(n)
        ]
        assert native(scalars, points, projective=projective, **opts) == naive(scalars, points)


@pytest.mark.parametrize(
    "opts", ALGORITHMS, ids=lambda o: "-".join(f"{k}{v}" for k, v in o.items())
)
def test_edge_cases(opts: dict[str, int | bool]) -> None:
    rng = random.Random(7)
    pts = random_points(rng, 4)
    cases = [
        ([5], [BASE]),
        ([0], [BASE]),
        ([0, 0, 0], pts[:3]),
        ([rng.randrange(L)] * 4, [IDENTITY] * 4),
        ([1, L - 1], [BASE, BASE]),  # cancels to the identity
        ([L], [BASE]),  # l * B = identity
        ([2**255 - 1], [pts[0]]),
        (list(range(8)), TORSION),  # small-order points only
        ([rng.randrange(L) for _ in range(8)], TORSION),
        ([3, 0, 2**128 - 1, 1], [pts[0], pts[1], IDENTITY, TORSION[4]]),
    ]
    for scalars, points in cases:
        for projective in (False, True):
            assert native(scalars, points, projective=projective, **opts) == naive(scalars, points)


def test_empty_and_errors() -> None:
    assert _core.crypto._multiscalar_mul(b"", b"") == encode(IDENTITY)
    with pytest.raises(ValueError):
        _core.crypto._multiscalar_mul(b"\0" * 32, b"")
    with pytest.raises(ValueError):
        _core.crypto._multiscalar_mul(b"\0" * 32, encode(BASE), algorithm=2, window=17)


@pytest.mark.skipif("TAOCORE_FORCE_BACKEND" in os.environ, reason="already a forced run")
@pytest.mark.parametrize(
    "backend", [b for b in BACKENDS if b != _core.runtime.active_backend()]
)
def test_every_backend(backend: str) -> None:
    env = {**os.environ, "TAOCORE_FORCE_BACKEND": backend}
    run = subprocess.run([sys.executable, "-m", "pytest", __file__, "-q", "-x", "-p",
                          "no:cacheprovider", "-k", "not every_backend"],
                         env=env, capture_output=True, text=True, timeout=600,
                         cwd=os.path.dirname(__file__))
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
