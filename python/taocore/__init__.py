"""taocore: Bittensor's signing, Yuma consensus and emission maths on a fast native core.

The public surface is what ``__all__`` lists; ``taocore._core`` is private.
"""

from __future__ import annotations

from taocore import consensus, crypto, emission, sim, subnet, wallet, weights
from taocore._native import _core
from taocore.keypair import CryptoType, Keypair
from taocore.runtime import RuntimeInfo, runtime_info, show_runtime
from taocore.ss58 import BITTENSOR_SS58_FORMAT, is_valid_ss58_address, ss58_decode, ss58_encode

__version__: str = _core.runtime.__version__

__all__ = [
    "BITTENSOR_SS58_FORMAT",
    "CryptoType",
    "Keypair",
    "RuntimeInfo",
    "__version__",
    "consensus",
    "crypto",
    "emission",
    "is_valid_ss58_address",
    "runtime_info",
    "show_runtime",
    "sim",
    "ss58_decode",
    "ss58_encode",
    "subnet",
    "wallet",
    "weights",
]


def __dir__() -> list[str]:
    return sorted(__all__)
