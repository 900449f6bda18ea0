# Stubs for the private native module taocore._core (checked by `python -m mypy.stubtest`).
from taocore._core import consensus as consensus
from taocore._core import crypto as crypto
from taocore._core import emission as emission
from taocore._core import runtime as runtime
from taocore._core import sim as sim
