"""A local Bittensor subnet (work in progress): the durable SQLite ledger that checks and records
signed weight submissions (:mod:`taocore.subnet.ledger`), miners that serve ONNX models in
isolated worker processes (:mod:`taocore.subnet.miner`, models from
:mod:`taocore.subnet.models`), and template-style validators that score them and sign weights
(:mod:`taocore.subnet.validator`).

The miners and the model builders need the ``demo`` extra (onnxruntime, scikit-learn, skl2onnx,
onnx); importing this package does not.
"""

from taocore.subnet.miner import MinerFailure, MinerPool, MinerSpec
from taocore.subnet.validator import CopierValidator, ForwardResult, Validator, compute_rewards

__all__ = [
    "CopierValidator",
    "ForwardResult",
    "MinerFailure",
    "MinerPool",
    "MinerSpec",
    "Validator",
    "compute_rewards",
]
