#!/usr/bin/env bash
# Run the installed taocore under emulated CPUs without AVX (qemu user mode) and check that it
# imports, picks the right backend and hashes correctly: the proof that one wheel runs on any
# x86-64. Needs Debian's qemu-user (`apt-get install qemu-user`); run by hand, not in CI.
#
#   scripts/check-baseline-cpu.sh [PYTHON]     (default: python3 on PATH, with taocore installed)
set -euo pipefail
venv_py="$(command -v "${1:-python3}")"
site="$("$venv_py" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
py="$(readlink -f "$venv_py")"  # qemu needs the real interpreter binary, not the venv's link
command -v qemu-x86_64 >/dev/null || { echo "qemu-x86_64 not found: apt-get install qemu-user" >&2; exit 2; }
# qemu64 is the plain x86-64 baseline (SSE2), Nehalem adds SSE4.2, Haswell adds AVX2/BMI2.
for cpu in qemu64:scalar Nehalem:scalar Haswell:avx2; do
  name="${cpu%%:*}"; want="${cpu##*:}"
  # qemu user mode runs the interpreter binary itself, so venv site-packages go on sys.path here.
  out="$(qemu-x86_64 -cpu "$name" "$py" -c "
import sys; sys.path.insert(0, '$site')
import hashlib, taocore
info = taocore.runtime_info()
data = bytes(range(256)) * 300
assert taocore.crypto.sha512(data) == hashlib.sha512(data).digest()
assert taocore.crypto.blake2b(data, 32) == hashlib.blake2b(data, digest_size=32).digest()
assert taocore.crypto.sha3_256(data) == hashlib.sha3_256(data).digest()
assert taocore.ss58_decode(taocore.ss58_encode(data[:32])) == data[:32]
print(info['active_backend'])
" 2>&1 | grep -v "TCG doesn't support" || true)"
  if [ "$(printf '%s' "$out" | tail -n 1)" != "$want" ]; then
    printf 'FAIL on %s (expected backend %s):\n%s\n' "$name" "$want" "$out" >&2
    exit 1
  fi
  echo "ok: $name -> $out"
done
