"""Signature verification gives the same answers on every backend.

Non-scalar backends verify with the radix-2^64 MULX/ADX field by default (when the CPU has BMI2
and ADX; cpp/src/crypto/detail/fe64.hpp); the portable radix-2^51 code is the reference, and
TAOCORE_VERIFY_FIELD=radix-2^51 forces it. Each backend is forced with TAOCORE_FORCE_BACKEND in a
subprocess that verifies the same set (vectors, Wycheproof under both ed25519 policies, random
valid, tampered and foreign signatures, batches, encodings), once with each field, and the
answers are compared with scalar's. The field itself is checked against the reference by a small
C++ program (tests/cpp/fe64_check.cpp), and so is the radix-2^52 AVX-512 IFMA field that the
avx512 backend's batch verification uses (tests/cpp/fe52_check.cpp).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import BACKENDS
from taocore._native import _core

CPU_FEATURES = _core.runtime.cpu_features()

ROOT = Path(__file__).resolve().parent.parent

_SCRIPT = r"""
import hashlib, json, sys
import taocore
import taocore._core
from taocore import Keypair
sys.path.insert(0, {tests!r})
assert taocore.runtime_info()["active_backend"] == {name!r}
assert taocore.runtime_info()["verify_field"] == {field!r}, taocore.runtime_info()
V = json.load(open({vectors!r}))
W = json.load(open({wycheproof!r}))
out = []
v = taocore.crypto.verify
for g in W["testGroups"]:
    pk = bytes.fromhex(g["publicKey"]["pk"])
    for t in g["tests"]:
        m, s = bytes.fromhex(t["msg"]), bytes.fromhex(t["sig"])
        out.append([v(pk, m, s, "ed25519"), v(pk, m, s, "ed25519", strict=True)])
def walk(x):
    if isinstance(x, dict):
        keys = {{k: x.get(k) for k in ("public_key", "message", "signature")}}
        if all(isinstance(keys[k], str) for k in keys):
            pk, m, s = (bytes.fromhex(keys[k]) for k in ("public_key", "message", "signature"))
            out.append([v(pk, m, s, "sr25519"), v(pk, m, s, "ed25519"),
                        v(pk, m, s, "ed25519", strict=True)])
        for y in x.values():
            walk(y)
    elif isinstance(x, list):
        for y in x:
            walk(y)
walk(V)
for kind in ("sr25519", "ed25519"):
    pks, msgs, sigs = [], [], []
    for i in range(120):
        seed = hashlib.sha256(b"%s%d" % (kind.encode(), i)).digest()
        kp = Keypair.create_from_seed(seed, crypto_type=kind)
        m = hashlib.sha256(b"msg%d" % i).digest()[: i % 40]
        s = bytearray(kp.sign(m))
        if i % 4 == 1:
            s[32 + i % 31] ^= 1 << (i % 8)  # tampered s
        if i % 4 == 2:
            s[i % 32] ^= 1 << (i % 7)  # tampered R
        if i % 8 == 3:
            m = m + b"!"  # other message
        pks.append(kp.public_key); msgs.append(m); sigs.append(bytes(s))
        out.append([v(kp.public_key, m, bytes(s), kind)])
    out.append(taocore.crypto.verify_many(pks, msgs, sigs, kind, threads=2).tolist())
    # 360 signatures in one part: Pippenger (>= 190 points) before the splits reach Straus.
    out.append(taocore.crypto.verify_many(pks * 3, msgs * 3, sigs * 3, kind, threads=1).tolist())
    ok = [j for j in range(len(pks)) if out[-1][j]]
    many = [pks[j] for j in ok] * 3, [msgs[j] for j in ok] * 3, [sigs[j] for j in ok] * 3
    out.append([taocore.crypto.verify_batch(*many, kind)])
core = taocore._core.crypto  # decoding on its own: validity of many encodings
encodings = []
for i in range(300):
    h = hashlib.sha512(b"enc%d" % i).digest()
    point = core.ristretto255_base_mul(h[:32])
    flipped = bytearray(point)
    flipped[i % 32] ^= 1 << (i % 8)
    encodings += [h[:32], point, bytes(flipped)]
out.append([core.ristretto255_is_valid(e) for e in encodings])
print(json.dumps(out))
"""


_FAST_FIELD = "bmi2" in CPU_FEATURES and "adx" in CPU_FEATURES


def _answers(name: str, force_radix51: bool) -> list[object]:
    """The answers under backend `name`, with the default field or radix-2^51 forced."""
    tests = os.path.dirname(__file__)
    fast = name != "scalar" and _FAST_FIELD and not force_radix51
    script = _SCRIPT.format(
        tests=tests, name=name, field="radix-2^64" if fast else "radix-2^51",
        vectors=os.path.join(tests, "vectors", "crypto-vectors.json"),
        wycheproof=os.path.join(tests, "vectors", "wycheproof-ed25519.json"),
    )
    env = {**os.environ, "TAOCORE_FORCE_BACKEND": name}
    env.pop("TAOCORE_VERIFY_FIELD", None)
    if force_radix51:
        env["TAOCORE_VERIFY_FIELD"] = "radix-2^51"
    proc = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True,
                          check=True, timeout=600)
    result = json.loads(proc.stdout)
    assert isinstance(result, list)
    return result


def test_verification_answers_identical_on_every_backend() -> None:
    reference = _answers("scalar", force_radix51=False)
    flat = [x for row in reference for x in row]
    assert len(reference) > 400 and any(flat) and not all(flat)  # a real mix of answers
    assert sum(isinstance(r, list) and len(r) == 3 for r in reference) >= 10  # the vector files
    for name in BACKENDS:
        if name != "scalar":
            assert _answers(name, force_radix51=False) == reference, name
            assert _answers(name, force_radix51=True) == reference, name + " radix-2^51"


def _run_cpp_check(tmp_path: Path, name: str, isa_flags: list[str]) -> None:
    """Compile tests/cpp/<name>.cpp against the sources and run it: it prints "ok" or why not."""
    cxx = (shutil.which(os.environ.get("CXX", "c++")) or shutil.which("g++")
           or shutil.which("clang++"))
    if cxx is None:
        pytest.skip("no C++ compiler")
    exe = tmp_path / name
    subprocess.run([cxx, "-O2", "-std=c++20", *isa_flags, "-Wall", "-Wextra", "-Wshadow", "-Werror",
                    f"-I{ROOT / 'cpp' / 'src'}", f"-I{ROOT / 'cpp' / 'include'}",
                    str(ROOT / "tests" / "cpp" / f"{name}.cpp"), "-o", str(exe)],
                   check=True, capture_output=True, timeout=300)
    run = subprocess.run([str(exe)], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0 and run.stdout.startswith("ok"), run.stdout + run.stderr


@pytest.mark.skipif(len(BACKENDS) < 2 or not _FAST_FIELD, reason="no BMI2 and ADX on this CPU")
def test_fe64_field_matches_the_reference(tmp_path: Path) -> None:
    _run_cpp_check(tmp_path, "fe64_check", ["-mbmi2"])


@pytest.mark.skipif("avx512ifma" not in CPU_FEATURES, reason="no AVX-512 IFMA on this CPU")
def test_ifma_field_matches_the_reference(tmp_path: Path) -> None:
    # The radix-2^52 field under the avx512 backend's batch decoding and multi-scalar
    # multiplication (cpp/src/crypto/detail/fe52.hpp).
    _run_cpp_check(tmp_path, "fe52_check", ["-mavx2", "-mbmi2", "-mavx512f", "-mavx512vl",
                                            "-mavx512bw", "-mavx512dq", "-mavx512ifma"])
