"""``taocore demo``: a whole subnet on one machine, run to completion and explained.

Miners serve ONNX classifiers of different quality in their own worker processes; validators
query them with held-out digits, keep the subnet template's moving average of the rewards,
process their weights exactly as the bittensor SDK does, sign and submit them; the ledger
verifies every signature, runs the chain-exact epoch every ``tempo`` blocks and pays out the
emission. Everything a block changes, the validators' moving averages included, is committed in
one SQLite transaction, and every random choice depends only on ``(seed, block, validator)``,
so ``--resume`` after any crash continues to exactly the result an uninterrupted run gives.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any, TextIO

import numpy as np

from taocore._checks import flag, integer, number
from taocore._progress import ProgressBar
from taocore.keypair import Keypair
from taocore.subnet import chain
from taocore.subnet.ledger import Hyperparameters, Ledger

__all__ = ["DemoConfig", "DemoRun", "run_demo"]

RAO_PER_TAO = 1_000_000_000
LEDGER_FILE = "ledger.sqlite"
MODELS_DIR = "models"


@dataclass(frozen=True)
class DemoConfig:
    """Everything that determines a demo run (stored in the ledger and reused by ``--resume``).

    ``validators`` honest validators hold different stakes (:meth:`validator_stakes_rao`);
    ``copier`` adds a weight-copying validator with the same stake as the median honest one.
    Each validator queries ``sample_size`` miners every ``query_interval`` blocks with
    ``batch_size`` held-out digits and submits weights every ``weights_interval`` blocks.
    ``faulty`` adds two miners whose models cannot serve: one corrupt file and one whose file
    does not match its registered hash. ``yuma3`` selects the subnet's bonds mechanism.
    """

    miners: int = 16
    validators: int = 4
    tempo: int = 20
    epochs: int = 6
    seed: int = 0
    copier: bool = False
    faulty: bool = False
    yuma3: bool = True
    sample_size: int = 16
    batch_size: int = 64
    query_interval: int = 4
    weights_interval: int = 10
    request_timeout_s: float = 10.0

    def __post_init__(self) -> None:
        for name, low in (
            ("miners", 2),
            ("validators", 1),
            ("tempo", 2),
            ("epochs", 1),
            ("sample_size", 1),
            ("batch_size", 1),
            ("query_interval", 1),
            ("weights_interval", 1),
        ):
            # Stored as plain Python values: the config is written to the run's JSON.
            object.__setattr__(self, name, integer(name, getattr(self, name), lo=low))
        object.__setattr__(self, "seed", integer("seed", self.seed))
        for name in ("copier", "faulty", "yuma3"):
            object.__setattr__(self, name, flag(name, getattr(self, name)))
        timeout = number("request_timeout_s", self.request_timeout_s, positive=True)
        object.__setattr__(self, "request_timeout_s", timeout)
        if self.miners + self.validators + 3 > 4096:
            raise ValueError("the demo runs at most 4096 neurons")

    @property
    def blocks(self) -> int:
        """Blocks in the whole run: ``epochs`` epochs of ``tempo`` blocks."""
        return self.epochs * self.tempo

    def validator_stakes_rao(self) -> list[int]:
        """Honest validator i holds (i + 1) * 1000 TAO; the copier the median honest stake."""
        honest = [(i + 1) * 1000 * RAO_PER_TAO for i in range(self.validators)]
        return honest + ([sorted(honest)[(len(honest) - 1) // 2]] if self.copier else [])


def _hotkey(seed: int, role: str, index: int) -> Keypair:
    return Keypair.create_from_uri(f"//taocore-demo//{seed}//{role}//{index}")


def _coldkey(seed: int, role: str, index: int) -> Keypair:
    return Keypair.create_from_uri(f"//taocore-demo//{seed}//{role}-owner//{index}")


@dataclass
class DemoRun:
    """A finished (or resumed and finished) run: its directory, config and ledger path."""

    out: Path
    config: DemoConfig
    report: dict[str, Any]

    @property
    def ledger_path(self) -> Path:
        return self.out / LEDGER_FILE


def _setup(out: Path, config: DemoConfig, log: Callable[[str], None]) -> None:
    """Train and export the models, then create the ledger with the genesis registrations."""
    from taocore.subnet import models

    out.mkdir(parents=True, exist_ok=True)
    log(f"training {config.miners} digit classifiers and exporting them to ONNX ...")
    split, files = models.make_models(out / MODELS_DIR, config.miners, seed=config.seed)
    registry: list[dict[str, Any]] = [
        {
            "path": str(f.path.relative_to(out)),
            "sha256": f.sha256,
            "accuracy": f.accuracy,
            "description": f.description,
        }
        for f in files
    ]
    if config.faulty:
        corrupt = out / MODELS_DIR / "corrupt.onnx"
        models.write_corrupt_model(corrupt)
        registry.append(
            {
                "path": str(corrupt.relative_to(out)),
                "sha256": models.sha256_file(corrupt),
                "accuracy": 0.0,
                "description": "corrupt model file",
            }
        )
        swapped = out / MODELS_DIR / "swapped.onnx"
        swapped.write_bytes(files[-1].path.read_bytes())
        registry.append(
            {
                "path": str(swapped.relative_to(out)),
                "sha256": "0" * 64,
                "accuracy": 0.0,
                "description": "file does not match the registered hash",
            }
        )
    hp = Hyperparameters(
        tempo=config.tempo,
        yuma3=config.yuma3,
        weights_rate_limit=max(1, config.weights_interval // 2),
        activity_cutoff_blocks=max(config.tempo * 4, 1),
    )
    meta = {
        "config": asdict(config),
        "models": registry,
        "held_out": {"seed": config.seed, "rows": int(split.y_test.size)},
    }
    tmp = out / (LEDGER_FILE + ".tmp")
    tmp.unlink(missing_ok=True)
    ledger = Ledger.create(tmp, hp, meta=meta)
    with ledger.transaction() as conn:
        stakes = config.validator_stakes_rao()
        for k, stake in enumerate(stakes):
            role = "copier" if k >= config.validators else "validator"
            uid = ledger.register(
                conn,
                _hotkey(config.seed, role, k).ss58_address,
                _coldkey(config.seed, role, k).ss58_address,
                "validator",
                stake_rao=stake,
            )
            # Genesis permits: the validators start as if a first epoch had given them out.
            conn.execute("UPDATE neurons SET validator_permit = 1 WHERE uid = ?", (uid,))
        for m, entry in enumerate(registry):
            ledger.register(
                conn,
                _hotkey(config.seed, "miner", m).ss58_address,
                _coldkey(config.seed, "miner", m).ss58_address,
                "miner",
                model_sha256=entry["sha256"],
            )
    ledger.close()
    tmp.replace(out / LEDGER_FILE)  # the run exists only once its genesis is complete


def run_demo(
    out: str | Path,
    config: DemoConfig | None = None,
    *,
    resume: bool = False,
    stream: TextIO | None = None,
    stop_after: int | None = None,
) -> DemoRun:
    """Run (or with ``resume``, continue) the demo in directory ``out`` and write its report.

    A new run needs ``config`` (defaults if None) and an ``out`` without a ledger; ``resume``
    reopens the ledger there, reads the run's config from it and continues after its last
    committed block. ``stop_after`` stops after that many new blocks (for tests). Progress goes
    to ``stream`` (stderr by default). Returns the run with its report (also written to
    ``out/report.json`` with the plots once the last block is applied).
    """
    from taocore.subnet import report
    from taocore.subnet.miner import MinerPool, MinerSpec
    from taocore.subnet.models import digits_split
    from taocore.subnet.validator import CopierValidator, Validator

    stream = stream or sys.stderr
    out = Path(out)

    def log(message: str) -> None:
        stream.write(message + "\n")
        stream.flush()

    ledger_path = out / LEDGER_FILE
    if resume:
        if not ledger_path.exists():
            raise ValueError(f"nothing to resume: {ledger_path} does not exist")
    else:
        if ledger_path.exists():
            raise ValueError(
                f"{out} already holds a run; continue it with --resume {out} "
                f"or choose another --out"
            )
        _setup(out, config or DemoConfig(), log)
    ledger = Ledger(ledger_path)
    try:
        meta = ledger.user_meta
        names = {f.name for f in fields(DemoConfig)}
        config = DemoConfig(**{k: v for k, v in meta["config"].items() if k in names})
        registry = meta["models"]
        split = digits_split(config.seed)
        neurons = ledger.neurons()
        validator_uids = [n["uid"] for n in neurons if n["role"] == "validator"]
        miner_uids = [n["uid"] for n in neurons if n["role"] == "miner"]
        n = len(neurons)
        hp = ledger.hyperparameters
        agents: list[Validator] = []
        keys: list[Keypair] = []
        for k, _uid in enumerate(validator_uids):
            role = "copier" if k >= config.validators else "validator"
            keys.append(_hotkey(config.seed, role, k))
            if role == "copier":
                agents.append(CopierValidator(n, hyperparameters=hp))
            else:
                agents.append(
                    Validator(
                        n,
                        split.x_test,
                        split.y_test,
                        sample_size=config.sample_size,
                        batch_size=config.batch_size,
                        hyperparameters=hp,
                    )
                )
            saved = ledger.offchain(f"validator:{k}")
            if saved is not None:
                agents[-1].load_state_dict(json.loads(saved))
        failures: dict[str, dict[str, int]] = json.loads(ledger.offchain("failures") or "{}")
        specs = [
            MinerSpec(uid, out / entry["path"], entry["sha256"])
            for uid, entry in zip(miner_uids, registry, strict=True)
        ]
        start = ledger.block
        if start >= config.blocks:
            log(f"the run in {out} is already complete ({start} blocks)")
        else:
            log(
                f"{'resuming at' if start else 'starting'} block {start + 1} of {config.blocks}: "
                f"{len(miner_uids)} miners, {len(validator_uids)} validators, tempo {config.tempo}"
            )
            progress = ProgressBar(config.blocks, stream, "block")
            with MinerPool(specs, timeout=config.request_timeout_s) as pool:
                for failure in pool.load_failures().values():
                    # Reported once per run; such a miner scores zero on every query.
                    failures.setdefault(str(failure.uid), {}).setdefault(failure.kind, 0)
                for applied, block in enumerate(range(start + 1, config.blocks + 1), start=1):
                    submissions = []
                    # Only the last epoch matters here; decoding all of them every block would
                    # make the loop quadratic in the run's length.
                    latest = ledger.latest_epoch()
                    for k, agent in enumerate(agents):
                        if isinstance(agent, CopierValidator):
                            if latest is not None:
                                agent.observe_consensus(latest["result"]["consensus"])
                        elif (block + k) % config.query_interval == 0:
                            rng = np.random.default_rng([config.seed, block, k])
                            result = agent.forward(pool, rng)
                            for f in result.failures:
                                per = failures.setdefault(str(f.uid), {})
                                per[f.kind] = per.get(f.kind, 0) + 1
                        due = (block + 3 * k) % config.weights_interval == 0
                        if due and agent.raw_weights().any():
                            nonce = ledger.next_nonce(keys[k].ss58_address)
                            submissions.append(
                                agent.sign_submission(keys[k], nonce, hp.weights_version_key)
                            )
                    offchain = {
                        f"validator:{k}": json.dumps(a.state_dict()) for k, a in enumerate(agents)
                    }
                    offchain["failures"] = json.dumps(failures, sort_keys=True)
                    outcome = chain.apply_block(ledger, submissions, offchain)
                    done_epochs = 0 if latest is None else latest["epoch"] + 1
                    note = f"epoch {done_epochs + (outcome.epoch is not None)}/{config.epochs}"
                    progress.update(block, note)
                    if stop_after is not None and applied >= stop_after:
                        break
            progress.close()
        ledger.audit()
        done = ledger.block >= config.blocks
        rep = report.build_report(ledger, out)
        if done:
            report.write_report(rep, out)
        return DemoRun(out, config, rep)
    finally:
        ledger.close()
