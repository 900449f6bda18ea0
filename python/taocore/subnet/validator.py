"""The local subnet's validators: score miners, keep a moving average, sign weights.

:class:`Validator` follows the bittensor subnet template's ``BaseValidatorNeuron``:

* :meth:`Validator.forward` samples ``sample_size`` miners at random, sends every one the same
  random batch of held-out inputs (through a :class:`~taocore.subnet.miner.MinerPool`), turns
  the answers into rewards with :func:`compute_rewards` (a miner that failed gets 0) and calls
  :meth:`Validator.update_scores`.
* :meth:`Validator.update_scores` is the template's: NaN rewards become 0, the rewards are
  scattered into a zero vector of size ``n`` (so **miners not queried this step get 0**), and
  ``scores = alpha * scattered + (1 - alpha) * scores`` with ``alpha = 0.1``; scores are
  float32 as in the template.
* :meth:`Validator.weights_for_submission` is the template's ``set_weights`` path: raw =
  scores / L1 norm (a norm of 0 or NaN counts as 1), then
  :func:`taocore.weights.process_weights` over uids ``0..n-1`` with the subnet's
  ``min_allowed_weights`` and ``max_weight_limit`` (as the SDK's float, ``u16 / 65535``), then
  :func:`taocore.weights.convert_weights_and_uids_for_emit`.
* :meth:`Validator.sign_submission` signs the result with the hotkey as a
  :class:`~taocore.subnet.ledger.WeightSubmission`.

:class:`CopierValidator` scores nobody: it submits the previous epoch's consensus vector (u16
values, one per uid), processed the same way, as a weight copier does. Both save and load their
state (scores, step, and optionally a numpy random generator's state) as JSON, so a stopped
run resumes with identical state.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt

from taocore._checks import integer, number
from taocore.subnet.ledger import Hyperparameters, WeightSubmission, weights_signing_payload
from taocore.weights import U16_MAX, convert_weights_and_uids_for_emit, process_weights

if TYPE_CHECKING:
    from taocore.keypair import Keypair
    from taocore.subnet.miner import MinerFailure, MinerPool, QueryResult

__all__ = ["CopierValidator", "ForwardResult", "RewardKind", "Validator", "compute_rewards"]

RewardKind = Literal["accuracy", "likelihood"]
_STATE_FORMAT = "taocore-validator-state"
_STATE_VERSION = 1
_PROBABILITY_FLOOR = 1e-12


def compute_rewards(
    results: Sequence[QueryResult], labels: npt.ArrayLike, kind: RewardKind = "accuracy"
) -> npt.NDArray[np.float64]:
    """One reward in ``[0, 1]`` per query result; a failed query (no answer) gets 0.

    ``accuracy``: the share of rows whose argmax is the label. ``likelihood``: the geometric
    mean of the probability given to the true label, i.e. ``exp(-mean log-loss)``, after
    clipping answers at 0 and normalising each row to sum 1 (a row of zeros counts as uniform;
    probabilities are floored at 1e-12). Accuracy ignores calibration; likelihood rewards it
    and separates models of equal accuracy.
    """
    if kind not in ("accuracy", "likelihood"):
        raise ValueError(f"kind must be 'accuracy' or 'likelihood', got {kind!r}")
    truth = np.asarray(labels)
    if truth.ndim != 1 or truth.dtype.kind not in "iu":
        raise ValueError("labels must be a 1-D integer array")
    rewards = np.zeros(len(results), dtype=np.float64)
    for i, (answer, _failure) in enumerate(results):
        if answer is None:
            continue
        probs = np.asarray(answer, dtype=np.float64)
        if probs.ndim != 2 or probs.shape[0] != truth.shape[0] or not np.isfinite(probs).all():
            continue  # the pool checks answers; anything else still scores 0
        if kind == "accuracy":
            rewards[i] = float((np.argmax(probs, axis=1) == truth).mean())
            continue
        if truth.size and (truth.min() < 0 or truth.max() >= probs.shape[1]):
            continue
        clipped = np.clip(probs, 0.0, None)
        sums = clipped.sum(axis=1, keepdims=True)
        width = probs.shape[1]
        normal = np.where(sums > 0, clipped / np.where(sums > 0, sums, 1.0), 1.0 / width)
        true_p = np.maximum(normal[np.arange(truth.size), truth], _PROBABILITY_FLOOR)
        rewards[i] = float(np.exp(np.log(true_p).mean()))
    return rewards


@dataclass(frozen=True)
class ForwardResult:
    """What one :meth:`Validator.forward` did: the uids queried (in query order), their
    rewards, the failures reported, and the held-out rows sent."""

    uids: tuple[int, ...]
    rewards: npt.NDArray[np.float64] = field(repr=False)
    failures: tuple[MinerFailure, ...]
    rows: npt.NDArray[np.int64] = field(repr=False)


class Validator:
    """A subnet-template validator over ``num_neurons`` uids; see the module docstring.

    ``inputs`` / ``labels`` are the held-out set the validator draws batches of ``batch_size``
    rows from. ``hyperparameters`` give ``min_allowed_weights`` and ``max_weight_limit`` for
    weight processing (defaults: :class:`~taocore.subnet.ledger.Hyperparameters`).
    """

    kind = "validator"

    def __init__(
        self,
        num_neurons: int,
        inputs: npt.ArrayLike | None = None,
        labels: npt.ArrayLike | None = None,
        *,
        sample_size: int = 50,
        alpha: float = 0.1,
        batch_size: int = 256,
        reward: RewardKind = "accuracy",
        hyperparameters: Hyperparameters | None = None,
        exclude_quantile: int = 0,
    ) -> None:
        num_neurons = integer("num_neurons", num_neurons, lo=1)
        sample_size = integer("sample_size", sample_size, lo=1)
        batch_size = integer("batch_size", batch_size, lo=1)
        alpha = number("alpha", alpha, 0.0, 1.0)
        if reward not in ("accuracy", "likelihood"):
            raise ValueError(f"reward must be 'accuracy' or 'likelihood', got {reward!r}")
        exclude_quantile = integer("exclude_quantile", exclude_quantile, hi=U16_MAX)
        self.inputs: npt.NDArray[np.float32] | None = None
        self.labels: npt.NDArray[np.int64] | None = None
        if (inputs is None) != (labels is None):
            raise ValueError("give both inputs and labels, or neither")
        if inputs is not None and labels is not None:
            x = np.ascontiguousarray(inputs, dtype=np.float32)
            y = np.asarray(labels)
            if x.ndim != 2 or x.shape[0] == 0:
                raise ValueError(f"inputs must be a non-empty 2-D array, got shape {x.shape}")
            if y.ndim != 1 or y.shape[0] != x.shape[0] or y.dtype.kind not in "iu":
                raise ValueError("labels must be a 1-D integer array with one label per input")
            self.inputs, self.labels = x, y.astype(np.int64)
        self.num_neurons = num_neurons
        self.sample_size = sample_size
        self.alpha = float(alpha)
        self.batch_size = batch_size
        self.reward: RewardKind = reward
        self.hyperparameters = hyperparameters or Hyperparameters()
        self.exclude_quantile = exclude_quantile
        self.scores: npt.NDArray[np.float32] = np.zeros(num_neurons, dtype=np.float32)
        self.step = 0

    def __repr__(self) -> str:
        return f"{type(self).__name__}(n={self.num_neurons}, step={self.step})"

    # --- scoring -----------------------------------------------------------------------------

    def forward(self, pool: MinerPool, rng: np.random.Generator) -> ForwardResult:
        """One template ``forward``: sample ``min(sample_size, miners)`` uids of ``pool`` and
        a batch of held-out rows with ``rng``, query them all at once, reward, update scores,
        and count the step."""
        if self.inputs is None or self.labels is None:
            raise ValueError("this validator has no held-out inputs and labels to query with")
        available = np.asarray(pool.uids, dtype=np.int64)
        if available.size and int(available.max()) >= self.num_neurons:
            raise ValueError("pool has uids outside 0..num_neurons-1")
        k = min(self.sample_size, int(available.size))
        uids = rng.choice(available, size=k, replace=False) if k else available[:0]
        rows = rng.choice(self.labels.shape[0], size=min(self.batch_size, self.labels.shape[0]),
                          replace=False).astype(np.int64)
        results = pool.query_many([int(u) for u in uids], self.inputs[rows]) if k else []
        rewards = compute_rewards(results, self.labels[rows], self.reward)
        self.update_scores(rewards, uids)
        self.step += 1
        failures = tuple(f for _, f in results if f is not None)
        return ForwardResult(tuple(int(u) for u in uids), rewards, failures, rows)

    def update_scores(self, rewards: npt.ArrayLike, uids: npt.ArrayLike | Sequence[int]) -> None:
        """The template's exponential moving average (see the module docstring).

        NaN rewards count as 0; empty input leaves the scores unchanged. Raises ValueError when
        ``rewards`` and ``uids`` differ in length, a uid is outside ``0..n-1``, or a reward is
        not a number, infinite (the template would let it overflow the scores) or negative (the
        weights the scores become cannot be: the error would only come at signing).
        """
        reward_arr = np.asarray(rewards)
        if reward_arr.size and reward_arr.dtype.kind not in "iuf":
            raise ValueError(f"rewards must be numbers, got {reward_arr.dtype}")
        if np.isnan(reward_arr).any():
            reward_arr = np.nan_to_num(reward_arr, nan=0)
        uid_arr = np.array(uids)
        if reward_arr.size == 0 or uid_arr.size == 0:
            return
        if reward_arr.ndim != 1 or uid_arr.ndim != 1 or reward_arr.size != uid_arr.size:
            raise ValueError(f"rewards and uids must be 1-D of the same length, got shapes "
                             f"{reward_arr.shape} and {uid_arr.shape}")
        if not np.isfinite(reward_arr).all():
            raise ValueError("rewards contains infinity")
        if (reward_arr < 0).any():
            raise ValueError(f"rewards must not be negative, found {reward_arr.min()}")
        if uid_arr.dtype.kind not in "iu" or uid_arr.min() < 0 or uid_arr.max() >= self.num_neurons:
            raise ValueError(f"uids must be integers in 0..{self.num_neurons - 1}")
        scattered: npt.NDArray[np.float32] = np.zeros_like(self.scores)
        scattered[uid_arr] = reward_arr
        self.scores = self.alpha * scattered + (1 - self.alpha) * self.scores

    # --- weights -----------------------------------------------------------------------------

    def raw_weights(self) -> npt.NDArray[np.float32]:
        """The template's raw weights: scores divided by their L1 norm (0 or NaN norm → 1)."""
        norm = np.linalg.norm(self.scores, ord=1, axis=0, keepdims=True)
        if np.any(norm == 0) or np.isnan(norm).any():
            norm = np.ones_like(norm)
        raw: npt.NDArray[np.float32] = self.scores / norm
        return raw

    def weights_for_submission(
        self, hyperparameters: Hyperparameters | None = None
    ) -> tuple[list[int], list[int]]:
        """u16 ``(uids, weights)`` ready for ``set_weights``: :meth:`raw_weights` through
        :func:`~taocore.weights.process_weights` and
        :func:`~taocore.weights.convert_weights_and_uids_for_emit`, with the subnet's current
        ``hyperparameters`` if given (else the validator's)."""
        hp = hyperparameters or self.hyperparameters
        uids, weights = process_weights(
            uids=np.arange(self.num_neurons),
            weights=self.raw_weights(),
            num_neurons=self.num_neurons,
            min_allowed_weights=hp.min_allowed_weights,
            max_weight_limit=hp.max_weight_limit / U16_MAX,
            exclude_quantile=self.exclude_quantile,
        )
        return convert_weights_and_uids_for_emit(uids, weights)

    def sign_submission(self, keypair: Keypair, nonce: int, version_key: int,
                        hyperparameters: Hyperparameters | None = None) -> WeightSubmission:
        """Sign :meth:`weights_for_submission` (with ``hyperparameters`` if given) with the
        validator's hotkey ``keypair`` (which must hold its secret) as a ledger
        :class:`~taocore.subnet.ledger.WeightSubmission`."""
        uids, weights = self.weights_for_submission(hyperparameters)
        hotkey = keypair.ss58_address
        payload = weights_signing_payload(hotkey, uids, weights, version_key, nonce)
        return WeightSubmission(hotkey=hotkey, uids=tuple(uids), weights=tuple(weights),
                                version_key=version_key, nonce=nonce,
                                signature=keypair.sign(payload))

    # --- state -------------------------------------------------------------------------------

    def state_dict(self) -> dict[str, Any]:
        """The state to resume from, as JSON-ready values (float32 scores round-trip exactly)."""
        return {"format": _STATE_FORMAT, "version": _STATE_VERSION, "kind": self.kind,
                "num_neurons": self.num_neurons, "step": self.step,
                "scores": [float(s) for s in self.scores]}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore what :meth:`state_dict` returned; ValueError if it is not this kind's state
        for the same number of neurons. Nothing changes unless the whole state is valid."""
        self.scores, self.step = self._read_state(state)

    def _read_state(self, state: dict[str, Any]) -> tuple[npt.NDArray[np.float32], int]:
        """The scores and step of a checked state (changing nothing)."""
        if not isinstance(state, dict):
            raise ValueError(f"state must be a dict, got {type(state).__name__}")
        if state.get("format") != _STATE_FORMAT or state.get("version") != _STATE_VERSION:
            raise ValueError("state is not a taocore validator state of a known version")
        if state.get("kind") != self.kind:
            raise ValueError(f"state is a {state.get('kind')!r} state, not {self.kind!r}")
        if state.get("num_neurons") != self.num_neurons:
            raise ValueError(f"state is for {state.get('num_neurons')} neurons, not "
                             f"{self.num_neurons}")
        scores = state.get("scores")
        step = state.get("step")
        if (not isinstance(scores, list) or len(scores) != self.num_neurons
                or not all(isinstance(s, (int, float)) and not isinstance(s, bool)
                           and math.isfinite(s) and s >= 0 for s in scores)):
            raise ValueError("state scores must be num_neurons finite non-negative numbers")
        return np.asarray(scores, dtype=np.float32), integer("state step", step, hi=None)

    def save_state(self, path: str | os.PathLike[str],
                   rng: np.random.Generator | None = None) -> None:
        """Write the state (and ``rng``'s bit-generator state, if given) to ``path`` as JSON,
        atomically (temporary file, fsync, rename)."""
        state = self.state_dict()
        if rng is not None:
            state["rng"] = rng.bit_generator.state
        target = Path(path)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(state, handle, sort_keys=True)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def load_state(self, path: str | os.PathLike[str],
                   rng: np.random.Generator | None = None) -> None:
        """Restore what :meth:`save_state` wrote; with ``rng``, also its saved generator state
        (ValueError if the file has none or is for another bit generator)."""
        with open(path, encoding="utf-8") as handle:
            state = json.load(handle)
        if not isinstance(state, dict):
            raise ValueError(f"{path} does not hold a validator state")
        if rng is not None:
            saved = state.get("rng")
            if (not isinstance(saved, dict)
                    or saved.get("bit_generator") != type(rng.bit_generator).__name__):
                raise ValueError(f"{path} has no saved state for a "
                                 f"{type(rng.bit_generator).__name__} generator")
        self.load_state_dict(state)
        if rng is not None:
            rng.bit_generator.state = state["rng"]


class CopierValidator(Validator):
    """A weight copier: instead of scoring, it submits the previous epoch's consensus.

    Give it the consensus with :meth:`observe_consensus` (u16 values, one per uid, as the
    epoch reports them); :meth:`raw_weights` is that vector over its L1 norm and then follows
    the same path as :class:`Validator`. :meth:`forward` queries nobody.
    """

    kind = "copier"

    def __init__(self, num_neurons: int, *, hyperparameters: Hyperparameters | None = None,
                 exclude_quantile: int = 0) -> None:
        super().__init__(num_neurons, hyperparameters=hyperparameters,
                         exclude_quantile=exclude_quantile)
        self.consensus: npt.NDArray[np.float32] = np.zeros(num_neurons, dtype=np.float32)

    def observe_consensus(self, consensus: npt.ArrayLike) -> None:
        """Take the previous epoch's consensus: ``num_neurons`` integers in ``0..65535``."""
        values = np.asarray(consensus)
        if values.ndim != 1 or values.shape[0] != self.num_neurons:
            raise ValueError(f"consensus must be 1-D of length {self.num_neurons}, got shape "
                             f"{values.shape}")
        if values.size and (values.dtype.kind not in "iu" or values.min() < 0
                            or values.max() > U16_MAX):
            raise ValueError("consensus must be integers in 0..65535")
        self.consensus = values.astype(np.float32)

    def forward(self, pool: MinerPool, rng: np.random.Generator) -> ForwardResult:
        """A copier queries nobody; this only counts the step."""
        self.step += 1
        return ForwardResult((), np.zeros(0), (), np.zeros(0, dtype=np.int64))

    def raw_weights(self) -> npt.NDArray[np.float32]:
        """The consensus over its L1 norm (0 or NaN norm → 1)."""
        norm = np.linalg.norm(self.consensus, ord=1, axis=0, keepdims=True)
        if np.any(norm == 0) or np.isnan(norm).any():
            norm = np.ones_like(norm)
        raw: npt.NDArray[np.float32] = self.consensus / norm
        return raw

    def state_dict(self) -> dict[str, Any]:
        """The validator state plus the consensus being copied."""
        state = super().state_dict()
        state["consensus"] = [int(c) for c in self.consensus]
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore what :meth:`state_dict` returned (see :meth:`Validator.load_state_dict`)."""
        scores, step = self._read_state(state)
        consensus = state.get("consensus")
        if (not isinstance(consensus, list) or len(consensus) != self.num_neurons
                or not all(isinstance(c, int) and 0 <= c <= U16_MAX for c in consensus)):
            raise ValueError("state consensus must be num_neurons integers in 0..65535")
        self.scores, self.step = scores, step
        self.observe_consensus(np.asarray(consensus, dtype=np.int64))
