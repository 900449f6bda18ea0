"""A whole Bittensor subnet on one machine (``taocore demo`` runs it end to end).

- :mod:`taocore.subnet.ledger`: the durable SQLite ledger (one transaction per block) that checks
  signed weight submissions and records every verdict, stake, weight, bond, epoch and payout;
- :mod:`taocore.subnet.chain`: what a block does (verdicts, alpha emission into the pending
  buckets, the chain-exact epoch at each tempo, payouts through :mod:`taocore.emission`);
- :mod:`taocore.subnet.miner`: miners serving ONNX models in isolated worker processes (hash-bound
  loading, per-request timeout, memory cap), models from :mod:`taocore.subnet.models`;
- :mod:`taocore.subnet.validator`: subnet-template validators (and a weight copier) that score
  miners, keep the moving average, process weights as the bittensor SDK does and sign them;
- :mod:`taocore.subnet.demo` and :mod:`taocore.subnet.report`: the demo run and its report.

The miners, model builders and the demo need the ``demo`` extra (onnxruntime, scikit-learn,
skl2onnx, onnx, matplotlib); importing this package does not.
"""

from taocore.subnet.chain import BlockOutcome, apply_block
from taocore.subnet.demo import DemoConfig, run_demo
from taocore.subnet.ledger import (
    Hyperparameters,
    Ledger,
    LedgerError,
    WeightSubmission,
    weights_signing_payload,
)
from taocore.subnet.miner import MinerFailure, MinerPool, MinerSpec
from taocore.subnet.validator import CopierValidator, ForwardResult, Validator, compute_rewards

__all__ = [
    "BlockOutcome",
    "CopierValidator",
    "DemoConfig",
    "ForwardResult",
    "Hyperparameters",
    "Ledger",
    "LedgerError",
    "MinerFailure",
    "MinerPool",
    "MinerSpec",
    "Validator",
    "WeightSubmission",
    "apply_block",
    "compute_rewards",
    "run_demo",
    "weights_signing_payload",
]
