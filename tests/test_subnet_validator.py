"""Validators: the subnet template's moving average and set_weights path, rewards, signing, the
weight copier, and state that resumes exactly."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from taocore import Keypair, crypto
from taocore.subnet.ledger import Hyperparameters, weights_signing_payload
from taocore.subnet.miner import MinerFailure, QueryResult
from taocore.subnet.validator import CopierValidator, Validator, compute_rewards
from taocore.weights import U16_MAX, convert_weights_and_uids_for_emit, process_weights

N = 12


def template_update(scores: npt.NDArray[np.float32], rewards: npt.ArrayLike,
                    uids: Sequence[int], alpha: float = 0.1) -> npt.NDArray[np.float32]:
    """The subnet template's update_scores, restated."""
    r = np.nan_to_num(np.asarray(rewards, dtype=np.float64), nan=0)
    scattered = np.zeros(scores.shape, dtype=np.float32)
    for uid, value in zip(uids, r, strict=True):
        scattered[uid] = value
    out: npt.NDArray[np.float32] = alpha * scattered + (1 - alpha) * scores
    return out


class FakePool:
    """A duck-typed MinerPool: inputs carry the one-hot label in their first 10 columns; miner
    ``u`` answers wrongly on every ``(u % 4 + 2)``-th row, and miner 3 always fails."""

    def __init__(self, uids: Sequence[int]) -> None:
        self.uids = list(uids)
        self.calls: list[list[int]] = []

    def query_many(self, uids: Sequence[int], inputs: npt.ArrayLike) -> list[QueryResult]:
        x = np.asarray(inputs, dtype=np.float32)
        self.calls.append(list(uids))
        out: list[QueryResult] = []
        for uid in uids:
            if uid == 3:
                out.append((None, MinerFailure(3, "timeout", "no answer within 1 s")))
                continue
            answer = x[:, :10].copy()
            wrong = np.arange(len(x)) % (uid % 4 + 2) == 0
            answer[wrong] = np.roll(answer[wrong], 1, axis=1)
            out.append((answer, None))
        return out


def held_out(rows: int = 300, seed: int = 0) -> tuple[npt.NDArray[np.float32],
                                                      npt.NDArray[np.int64]]:
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, rows)
    inputs = np.zeros((rows, 64), dtype=np.float32)
    inputs[np.arange(rows), labels] = 1.0
    return inputs, labels


def test_update_scores_matches_the_template_formula() -> None:
    v = Validator(N)
    expected = np.zeros(N, dtype=np.float32)
    rng = np.random.default_rng(1)
    for _ in range(6):
        uids = rng.choice(N, size=5, replace=False)
        rewards = rng.random(5)
        rewards[rng.integers(0, 5)] = np.nan
        v.update_scores(rewards, uids)
        expected = template_update(expected, rewards, list(uids))
        assert v.scores.dtype == np.float32
        np.testing.assert_array_equal(v.scores, expected)
    # Hand-derived for one uid: rewarded 1.0 then not queried twice: 0.1 * 0.9 * 0.9.
    w = Validator(3)
    w.update_scores([1.0], [2])
    w.update_scores([0.5], [0])
    w.update_scores([0.5], [0])
    assert w.scores[2] == np.float32(np.float32(0.1) * np.float32(0.9) * np.float32(0.9))
    assert w.scores[1] == 0.0


def test_update_scores_edge_cases() -> None:
    v = Validator(4)
    v.update_scores([], [])
    assert not v.scores.any()
    with pytest.raises(ValueError, match="same length"):
        v.update_scores([0.1, 0.2], [0])
    with pytest.raises(ValueError, match="uids"):
        v.update_scores([0.1], [4])
    with pytest.raises(ValueError, match="uids"):
        v.update_scores([0.1], [-1])
    with pytest.raises(ValueError, match="infinity"):
        v.update_scores([np.inf], [0])
    with pytest.raises(ValueError, match="alpha"):
        Validator(4, alpha=1.5)
    with pytest.raises(ValueError, match="alpha must be a number, got bool"):
        Validator(4, alpha=True)
    assert Validator(np.int64(4), sample_size=np.uint8(2)).num_neurons == 4
    with pytest.raises(ValueError, match="num_neurons"):
        Validator(0)


def test_weights_for_submission_is_the_sdk_path_step_by_step() -> None:
    hp = Hyperparameters(min_allowed_weights=3, max_weight_limit=19_660)  # 0.3 of u16
    v = Validator(N, hyperparameters=hp, exclude_quantile=6_553)
    rng = np.random.default_rng(5)
    for _ in range(4):
        uids = rng.choice(N, size=6, replace=False)
        v.update_scores(rng.random(6), uids)
    scores = v.scores.copy()
    raw = scores / np.linalg.norm(scores, ord=1, axis=0, keepdims=True)
    np.testing.assert_array_equal(v.raw_weights(), raw)
    uids, weights = process_weights(np.arange(N), raw, N, 3, 19_660 / U16_MAX, 6_553)
    expected = convert_weights_and_uids_for_emit(uids, weights)
    assert v.weights_for_submission() == expected
    assert max(expected[1]) == U16_MAX and len(expected[0]) >= 3
    # The subnet's current hyperparameters, when given, override the validator's.
    loose = Hyperparameters(min_allowed_weights=1)
    uids, weights = process_weights(np.arange(N), raw, N, 1, 1.0, 6_553)
    assert v.weights_for_submission(loose) == convert_weights_and_uids_for_emit(uids, weights)


def test_zero_scores_give_uniform_weights() -> None:
    v = Validator(5)
    assert np.array_equal(v.raw_weights(), np.zeros(5, dtype=np.float32))  # norm 0 counts as 1
    assert v.weights_for_submission() == ([0, 1, 2, 3, 4], [U16_MAX] * 5)


def test_signed_submission_verifies() -> None:
    kp = Keypair.create_from_uri("//ValidatorOne")
    v = Validator(N)
    v.update_scores([0.9, 0.5, 0.1], [0, 4, 7])
    sub = v.sign_submission(kp, nonce=3, version_key=1_002)
    uids, weights = v.weights_for_submission()
    assert (list(sub.uids), list(sub.weights)) == (uids, weights)
    assert sub.hotkey == kp.ss58_address and sub.nonce == 3 and sub.version_key == 1_002
    payload = weights_signing_payload(kp.ss58_address, uids, weights, 1_002, 3)
    assert sub.payload() == payload
    assert crypto.verify(kp.public_key, payload, sub.signature)
    assert kp.verify(sub.payload(), sub.signature)
    other = weights_signing_payload(kp.ss58_address, uids, weights, 1_002, 4)
    assert not crypto.verify(kp.public_key, other, sub.signature)
    assert "signature" not in repr(sub)
    with pytest.raises(ValueError, match="nonce"):
        v.sign_submission(kp, nonce=-1, version_key=0)


def test_copier_submits_weights_proportional_to_consensus() -> None:
    consensus = np.array([0, 1_000, 2_000, 4_000, 0, 8_000, 500, 0, 0, 0, 0, 0], dtype=np.uint16)
    copier = CopierValidator(N, hyperparameters=Hyperparameters(min_allowed_weights=1))
    copier.observe_consensus(consensus)
    uids, weights = copier.weights_for_submission()
    assert uids == [1, 2, 3, 5, 6]
    expected = consensus[uids].astype(np.float64) / consensus.max() * U16_MAX
    assert np.abs(np.array(weights) - expected).max() <= 1
    assert weights[uids.index(5)] == U16_MAX
    # The same SDK path as a scoring validator.
    raw = consensus.astype(np.float32) / np.float32(consensus.sum())
    step = convert_weights_and_uids_for_emit(*process_weights(np.arange(N), raw, N, 1, 1.0))
    assert (uids, weights) == step
    # forward queries nobody.
    pool = FakePool(range(N))
    copier.forward(pool, np.random.default_rng(0))  # type: ignore[arg-type]
    assert pool.calls == [] and copier.step == 1
    with pytest.raises(ValueError, match="consensus"):
        copier.observe_consensus(np.array([70_000] * N))
    with pytest.raises(ValueError, match="length"):
        copier.observe_consensus(np.ones(3, dtype=np.uint16))


def test_compute_rewards() -> None:
    labels = np.array([0, 1, 2, 3])
    perfect = np.eye(10, dtype=np.float32)[labels]
    half = perfect.copy()
    half[:2] = np.eye(10, dtype=np.float32)[[5, 5]]
    soft = np.full((4, 10), 0.05, dtype=np.float32)
    soft[np.arange(4), labels] = 0.55
    results: list[QueryResult] = [(perfect, None), (half, None),
                                  (None, MinerFailure(9, "crash", "x")), (soft, None)]
    np.testing.assert_array_equal(compute_rewards(results, labels), [1.0, 0.5, 0.0, 1.0])
    likelihood = compute_rewards(results, labels, "likelihood")
    assert likelihood[0] == pytest.approx(1.0)
    assert likelihood[1] == pytest.approx(np.sqrt(1e-12), rel=1e-6)  # geometric mean of 1,1,ε,ε
    assert likelihood[2] == 0.0
    assert likelihood[3] == pytest.approx(0.55, rel=1e-6)
    with pytest.raises(ValueError, match="kind"):
        compute_rewards(results, labels, "loss")  # type: ignore[arg-type]


def test_forward_samples_queries_and_rewards() -> None:
    inputs, labels = held_out()
    v = Validator(N, inputs, labels, sample_size=5, batch_size=60)
    pool = FakePool(range(1, 9))
    result = v.forward(pool, np.random.default_rng(3))  # type: ignore[arg-type]
    assert len(result.uids) == 5 == len(set(result.uids)) and set(result.uids) <= set(range(1, 9))
    assert pool.calls == [list(result.uids)] and len(result.rows) == 60
    for uid, reward in zip(result.uids, result.rewards, strict=True):
        if uid == 3:
            assert reward == 0.0
        else:
            assert reward == pytest.approx(1 - np.mean(np.arange(60) % (uid % 4 + 2) == 0))
    assert [f.uid for f in result.failures] == ([3] if 3 in result.uids else [])
    expected = template_update(np.zeros(N, dtype=np.float32), result.rewards, list(result.uids))
    np.testing.assert_array_equal(v.scores, expected)
    assert v.step == 1
    with pytest.raises(ValueError, match="held-out"):
        Validator(N).forward(pool, np.random.default_rng(0))  # type: ignore[arg-type]


def test_state_resumes_exactly(tmp_path: Path) -> None:
    inputs, labels = held_out()
    pool = FakePool(range(N))
    straight = Validator(N, inputs, labels, sample_size=4, batch_size=50)
    rng = np.random.default_rng(11)
    for _ in range(3):
        straight.forward(pool, rng)  # type: ignore[arg-type]
    straight.save_state(tmp_path / "state.json", rng)
    for _ in range(4):
        straight.forward(pool, rng)  # type: ignore[arg-type]

    resumed = Validator(N, inputs, labels, sample_size=4, batch_size=50)
    resumed_rng = np.random.default_rng(0)
    resumed.load_state(tmp_path / "state.json", resumed_rng)
    assert resumed.step == 3
    for _ in range(4):
        resumed.forward(pool, resumed_rng)  # type: ignore[arg-type]
    assert resumed.step == straight.step == 7
    np.testing.assert_array_equal(resumed.scores, straight.scores)

    with pytest.raises(ValueError, match="neurons"):
        Validator(N + 1).load_state(tmp_path / "state.json")
    with pytest.raises(ValueError, match="copier"):
        CopierValidator(N).load_state(tmp_path / "state.json")


def test_copier_state_round_trips(tmp_path: Path) -> None:
    copier = CopierValidator(4)
    copier.observe_consensus(np.array([1, 2, 3, 65_535], dtype=np.uint16))
    copier.save_state(tmp_path / "copier.json")
    again = CopierValidator(4)
    again.load_state(tmp_path / "copier.json")
    assert np.array_equal(again.consensus, copier.consensus)
    assert again.weights_for_submission() == copier.weights_for_submission()
    with pytest.raises(ValueError, match="generator"):
        again.load_state(tmp_path / "copier.json", np.random.default_rng(0))


def test_bad_rewards_and_states_are_refused_before_anything_changes() -> None:
    v = Validator(4)
    v.update_scores([1.0, 0.5], [0, 1])
    before = v.scores.copy()
    # A negative reward made negative scores, and the error came only at signing ("weights must
    # not be negative"); a string reward reached numpy's isnan.
    with pytest.raises(ValueError, match="rewards must not be negative"):
        v.update_scores([0.5, -0.1], [2, 3])
    with pytest.raises(ValueError, match="rewards must be numbers"):
        v.update_scores(["0.5"], [2])
    with pytest.raises(ValueError, match="state must be a dict"):
        v.load_state_dict(None)  # type: ignore[arg-type]
    state = v.state_dict()
    with pytest.raises(ValueError, match="non-negative"):
        v.load_state_dict({**state, "scores": [0.1, -0.1, 0.0, 0.0]})
    np.testing.assert_array_equal(v.scores, before)
    copier = CopierValidator(4)
    copier.observe_consensus(np.array([1, 2, 3, 4]))
    good = copier.state_dict()
    other = CopierValidator(4)
    with pytest.raises(ValueError, match="state must be a dict"):
        other.load_state_dict([])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="consensus"):
        other.load_state_dict({**good, "step": 9, "consensus": [1, 2, 3, 70_000]})
    assert other.step == 0
    other.load_state_dict(good)
    assert np.array_equal(other.consensus, copier.consensus)


# --- With real ONNX miners -------------------------------------------------------------------


@pytest.fixture(scope="module")
def real(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[object, object]]:
    pytest.importorskip("onnxruntime")
    pytest.importorskip("skl2onnx")
    from taocore.subnet import models
    from taocore.subnet.miner import MinerPool, MinerSpec

    directory = tmp_path_factory.mktemp("validator-models")
    split, files = models.make_models(directory, 4, seed=3)
    specs = [MinerSpec(m.index + 1, m.path, m.sha256) for m in files]  # uid 0 is the validator
    specs.append(MinerSpec(5, files[-1].path, "f" * 64))  # registered hash does not match
    with MinerPool(specs, timeout=5.0) as pool:
        yield (split, files), pool


def test_validator_scores_real_miners(real: tuple[object, object]) -> None:
    from taocore.subnet.miner import MinerPool
    from taocore.subnet.models import DigitsSplit, ModelFile

    (split, files), pool = real
    assert isinstance(split, DigitsSplit) and isinstance(pool, MinerPool)
    assert isinstance(files, list) and all(isinstance(m, ModelFile) for m in files)
    v = Validator(6, split.x_test, split.y_test, sample_size=5, batch_size=256)
    rng = np.random.default_rng(0)
    for _ in range(3):
        result = v.forward(pool, rng)
        by_uid = dict(zip(result.uids, result.rewards, strict=True))
        assert by_uid[5] == 0.0
        assert [f.kind for f in result.failures] == ["hash_mismatch"]
        assert by_uid[4] > by_uid[1]
    assert v.scores[5] == 0.0 and v.scores[0] == 0.0
    assert v.scores[4] == v.scores.max()
    uids, weights = v.weights_for_submission()
    assert 5 not in uids and 0 not in uids
    assert weights[uids.index(4)] == U16_MAX
