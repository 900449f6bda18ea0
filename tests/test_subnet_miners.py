"""Miner models and the MinerPool: graded, deterministic models; hash-bound loading; every kind
of miner fault reported as a failure record (never raised); workers replaced after a timeout or
crash; no process left behind."""

from __future__ import annotations

import multiprocessing
import os
import shutil
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

ort = pytest.importorskip("onnxruntime")
pytest.importorskip("sklearn")
pytest.importorskip("skl2onnx")

from taocore.subnet import models  # noqa: E402
from taocore.subnet.miner import MinerFailure, MinerPool, MinerSpec  # noqa: E402

TIMEOUT = 2.0  # per request; the good models answer in milliseconds
N_MODELS = 5
GOOD = list(range(N_MODELS))
TAMPERED, CORRUPT, NAN, WRONG_SHAPE, SLOW, HOG = range(N_MODELS, N_MODELS + 6)


def alive(pid: int) -> bool:
    """Whether a process exists and is not a zombie."""
    try:
        import psutil
    except ImportError:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        status = Path(f"/proc/{pid}/status")
        if status.exists():
            try:
                return "zombie" not in status.read_text()
            except OSError:
                return False
        return True
    try:
        return bool(psutil.Process(pid).status() != psutil.STATUS_ZOMBIE)
    except psutil.NoSuchProcess:
        return False


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory
          ) -> tuple[models.DigitsSplit, list[models.ModelFile], Path]:
    directory = tmp_path_factory.mktemp("models")
    split, files = models.make_models(directory, N_MODELS, seed=7)
    return split, files, directory


@pytest.fixture(scope="module")
def specs(built: tuple[models.DigitsSplit, list[models.ModelFile], Path]) -> list[MinerSpec]:
    _, files, directory = built
    out = [MinerSpec(m.index, m.path, m.sha256) for m in files]
    # A tampered copy of the best model: the file no longer matches the registered hash.
    tampered = directory / "tampered.onnx"
    shutil.copyfile(files[-1].path, tampered)
    with open(tampered, "ab") as handle:
        handle.write(b"\x00")
    out.append(MinerSpec(TAMPERED, tampered, files[-1].sha256))
    out.append(MinerSpec(CORRUPT, directory / "corrupt.onnx",
                         models.write_corrupt_model(directory / "corrupt.onnx")))
    out.append(MinerSpec(NAN, directory / "nan.onnx",
                         models.write_nan_model(directory / "nan.onnx")))
    out.append(MinerSpec(WRONG_SHAPE, directory / "wrong.onnx",
                         models.write_wrong_shape_model(directory / "wrong.onnx")))
    out.append(MinerSpec(SLOW, directory / "slow.onnx",
                         models.write_slow_model(directory / "slow.onnx")))
    out.append(MinerSpec(HOG, directory / "hog.onnx",
                         models.write_memory_hog_model(directory / "hog.onnx", gib=4)))
    return out


@pytest.fixture(scope="module")
def pool(specs: list[MinerSpec]) -> Iterator[MinerPool]:
    with MinerPool(specs, timeout=TIMEOUT, memory_limit=1 << 30) as p:
        yield p


def test_models_spread_and_follow_quality(
        built: tuple[models.DigitsSplit, list[models.ModelFile], Path]) -> None:
    _, files, _ = built
    acc = np.array([m.accuracy for m in files])
    assert acc.max() - acc.min() >= 0.3
    assert acc[-1] == acc.max() and acc[-1] > 0.9
    assert acc[0] == acc.min() and acc[0] < 0.5
    ranks = np.argsort(np.argsort(acc))
    assert np.corrcoef(ranks, np.arange(N_MODELS))[0, 1] >= 0.8
    assert [m.quality for m in files] == [models.model_quality(i, N_MODELS) for i in GOOD]


def test_model_bytes_do_not_depend_on_python_string_hashing(tmp_path: Path) -> None:
    # skl2onnx orders some of a model's fields by set iteration, which follows PYTHONHASHSEED;
    # the demo registers the files' hashes, so two processes with one seed must agree. Hash
    # seeds 1 and 30 put the MLPs' opset imports in different orders before the export sorted
    # them (seed 11, five models: models 3 and 4 differed).
    import subprocess
    import sys

    script = (
        "import sys; from taocore.subnet import models; "
        "_, fs = models.make_models(sys.argv[1], 5, seed=11); "
        "print(' '.join(f.sha256 for f in fs))"
    )
    hashes = []
    for hash_seed in ("1", "30"):
        env = dict(os.environ, PYTHONHASHSEED=hash_seed)
        done = subprocess.run([sys.executable, "-c", script, str(tmp_path / hash_seed)], env=env,
                              capture_output=True, text=True, timeout=600, check=True)
        hashes.append(done.stdout.split())
    assert len(hashes[0]) == 5
    assert hashes[0] == hashes[1]


def test_models_are_deterministic_for_a_seed(
        built: tuple[models.DigitsSplit, list[models.ModelFile], Path], tmp_path: Path) -> None:
    split, files, _ = built
    again_split, again = models.make_models(tmp_path / "again", N_MODELS, seed=7)
    assert [m.sha256 for m in again] == [m.sha256 for m in files]
    assert [m.accuracy for m in again] == [m.accuracy for m in files]
    assert np.array_equal(again_split.x_test, split.x_test)
    assert np.array_equal(again_split.y_test, split.y_test)
    other = models.digits_split(seed=8)
    assert not np.array_equal(other.y_test, split.y_test)


def test_model_files_have_the_documented_interface(
        built: tuple[models.DigitsSplit, list[models.ModelFile], Path]) -> None:
    split, files, _ = built
    for m in files:
        assert models.sha256_file(m.path) == m.sha256
        session = ort.InferenceSession(str(m.path), providers=["CPUExecutionProvider"])
        (inp,) = session.get_inputs()
        assert inp.type == "tensor(float)" and inp.shape[1] == 64
        assert [o.name for o in session.get_outputs()] == ["probabilities"]
        (probs,) = session.run(None, {inp.name: split.x_test[:7]})
        assert probs.shape == (7, 10) and probs.dtype == np.float32
        np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-4)


def test_bad_arguments_raise_value_error(
        pool: MinerPool, built: tuple[models.DigitsSplit, list[models.ModelFile], Path]) -> None:
    split = built[0]
    with pytest.raises(ValueError, match="sha256"):
        MinerSpec(0, Path("x.onnx"), "abc")
    with pytest.raises(ValueError, match="uid"):
        MinerSpec(-1, Path("x.onnx"), "0" * 64)
    with pytest.raises(ValueError, match="duplicate"):
        MinerPool([MinerSpec(0, Path("a"), "0" * 64), MinerSpec(0, Path("b"), "0" * 64)])
    with pytest.raises(ValueError, match="timeout"):
        MinerPool([], timeout=0)
    with pytest.raises(ValueError, match="startup_timeout must be a number, got str"):
        MinerPool([], startup_timeout="60")
    with pytest.raises(ValueError, match="memory_limit must not be below"):
        MinerPool([], memory_limit=1 << 20)
    assert MinerSpec(np.int64(3), Path("x.onnx"), "0" * 64).uid == 3
    with pytest.raises(ValueError, match="not in the pool"):
        pool.query(999, split.x_test[:4])
    with pytest.raises(ValueError, match="2-D"):
        pool.query(0, split.x_test[0])
    with pytest.raises(ValueError, match="repeat"):
        pool.query_many([0, 0], split.x_test[:4])
    with pytest.raises(ValueError, match="count"):
        models.make_models(Path("unused"), 0)


def test_good_miners_answer_as_direct_inference(
        pool: MinerPool, built: tuple[models.DigitsSplit, list[models.ModelFile], Path]) -> None:
    split, files, _ = built
    results = pool.query_many(list(reversed(GOOD)), split.x_test)
    for (answer, failure), m in zip(results, reversed(files), strict=True):
        assert failure is None and answer is not None
        session = ort.InferenceSession(str(m.path), providers=["CPUExecutionProvider"])
        (direct,) = session.run(["probabilities"], {"input": split.x_test})
        np.testing.assert_allclose(answer, direct, rtol=1e-5, atol=1e-6)
        assert float((answer.argmax(axis=1) == split.y_test).mean()) == m.accuracy


def test_tampered_file_is_not_loaded(
        pool: MinerPool, built: tuple[models.DigitsSplit, list[models.ModelFile], Path]) -> None:
    failure = pool.load_failures()[TAMPERED]
    assert failure.kind == "hash_mismatch" and failure.uid == TAMPERED
    assert pool.pids()[TAMPERED] is None  # no worker kept for it
    answer, reported = pool.query(TAMPERED, built[0].x_test[:8])
    assert answer is None and reported == failure


def test_corrupt_model_is_reported(
        pool: MinerPool, built: tuple[models.DigitsSplit, list[models.ModelFile], Path]) -> None:
    answer, failure = pool.query(CORRUPT, built[0].x_test[:8])
    assert answer is None and failure is not None
    assert failure.kind == "load_error" and failure.uid == CORRUPT


def test_missing_file_is_reported(tmp_path: Path) -> None:
    with MinerPool([MinerSpec(3, tmp_path / "none.onnx", "a" * 64)]) as p:
        answer, failure = p.query(3, np.zeros((2, 64)))
    assert answer is None and failure is not None and failure.kind == "load_error"
    assert "No such file" in failure.message


def test_external_data_is_refused(
        tmp_path: Path, built: tuple[models.DigitsSplit, list[models.ModelFile], Path]) -> None:
    import onnx

    models.write_wrong_shape_model(tmp_path / "inline.onnx")
    model = onnx.load(str(tmp_path / "inline.onnx"))
    target = tmp_path / "external.onnx"
    onnx.save_model(model, str(target), save_as_external_data=True, all_tensors_to_one_file=True,
                    location="weights.bin", size_threshold=0)
    assert (tmp_path / "weights.bin").exists()
    with MinerPool([MinerSpec(2, target, models.sha256_file(target))]) as p:
        answer, failure = p.query(2, built[0].x_test[:4])
    assert answer is None and failure is not None
    assert failure.kind == "load_error" and "external data" in failure.message


def test_nan_and_wrong_shape_answers_are_reported(
        pool: MinerPool, built: tuple[models.DigitsSplit, list[models.ModelFile], Path]) -> None:
    (nan_answer, nan_failure), (shape_answer, shape_failure) = pool.query_many(
        [NAN, WRONG_SHAPE], built[0].x_test[:16])
    assert nan_answer is None and nan_failure == MinerFailure(
        NAN, "bad_output", "answer contains NaN or infinity")
    assert shape_answer is None and shape_failure is not None
    assert shape_failure.kind == "bad_output" and "(16, 3)" in shape_failure.message


def test_memory_cap_refuses_a_huge_allocation(
        pool: MinerPool, built: tuple[models.DigitsSplit, list[models.ModelFile], Path]) -> None:
    answer, failure = pool.query(HOG, built[0].x_test[:4])
    assert answer is None and failure is not None
    assert failure.kind in ("inference_error", "crash")
    # The worker (or its replacement) still serves.
    assert pool.query(HOG, built[0].x_test[:4])[1] is not None
    assert pool.query(0, built[0].x_test[:4])[1] is None


def test_timeout_kills_and_replaces_the_worker(
        pool: MinerPool, built: tuple[models.DigitsSplit, list[models.ModelFile], Path]) -> None:
    x = built[0].x_test[:32]
    before = pool.pids()[SLOW]
    restarts = pool.restarts()[SLOW]
    started = time.monotonic()
    results = pool.query_many([SLOW, 0, N_MODELS - 1], x)
    elapsed = time.monotonic() - started
    assert TIMEOUT <= elapsed < TIMEOUT + 5
    (slow_answer, slow_failure), *good = results
    assert slow_answer is None and slow_failure is not None
    assert slow_failure.kind == "timeout" and slow_failure.uid == SLOW
    assert all(f is None and a is not None for a, f in good)
    after = pool.pids()[SLOW]
    assert pool.restarts()[SLOW] == restarts + 1
    assert before is not None and after is not None and after != before
    assert not alive(before)
    # The next request to a good model works, and the slow miner's new worker is alive.
    answer, failure = pool.query(N_MODELS - 1, x)
    assert failure is None and answer is not None and answer.shape == (32, 10)


def test_a_crashed_worker_is_reported_and_replaced(
        pool: MinerPool, built: tuple[models.DigitsSplit, list[models.ModelFile], Path]) -> None:
    x = built[0].x_test[:8]
    pid = pool.pids()[1]
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    answer, failure = pool.query(1, x)
    assert answer is None and failure is not None and failure.kind == "crash"
    answer, failure = pool.query(1, x)
    assert failure is None and answer is not None
    assert pool.pids()[1] != pid


def test_every_fault_is_a_record_never_an_exception(
        pool: MinerPool, built: tuple[models.DigitsSplit, list[models.ModelFile], Path]) -> None:
    uids = [u for u in pool.uids if u != SLOW]
    results = pool.query_many(uids, built[0].x_test[:64])
    kinds = {u: (f.kind if f else None) for u, (_, f) in zip(uids, results, strict=True)}
    assert all(kinds[u] is None for u in GOOD)
    assert kinds[TAMPERED] == "hash_mismatch" and kinds[CORRUPT] == "load_error"
    assert kinds[NAN] == kinds[WRONG_SHAPE] == "bad_output"
    for (answer, failure) in results:
        assert (answer is None) != (failure is None)


def test_close_reaps_every_process(specs: list[MinerSpec]) -> None:
    chosen = [specs[0], specs[SLOW]]
    seen: set[int] = set()
    p = MinerPool(chosen, timeout=0.5)
    with p:
        seen.update(pid for pid in p.pids().values() if pid is not None)
        assert p.query(SLOW, np.zeros((2, 64)))[1] is not None  # timeout: a replacement
        seen.update(pid for pid in p.pids().values() if pid is not None)
        assert all(alive(pid) for pid in p.pids().values() if pid is not None)
    assert len(seen) == 3
    assert not any(alive(pid) for pid in seen)
    assert all(pid is None for pid in p.pids().values())
    assert not [c for c in multiprocessing.active_children() if c.pid in seen]
    p.close()  # idempotent
    with pytest.raises(RuntimeError, match="closed"):
        p.query(0, np.zeros((2, 64)))


def test_module_pool_reaps_on_close(specs: list[MinerSpec]) -> None:
    """Runs last: every worker of a pool with faulty miners is gone after close."""
    with MinerPool(specs[:1] + specs[N_MODELS:], timeout=0.5, memory_limit=1 << 30) as p:
        p.query_many([u for u in p.uids if u != SLOW], np.zeros((3, 64)))
        pids = [pid for pid in p.pids().values() if pid is not None]
    assert pids and not any(alive(pid) for pid in pids)
    assert not [c for c in multiprocessing.active_children() if c.pid in pids]


def test_spawn_start_method_works(specs: list[MinerSpec],
                                  built: tuple[models.DigitsSplit, list[models.ModelFile], Path]
                                  ) -> None:
    with MinerPool([specs[N_MODELS - 1]], start_method="spawn", memory_limit=None) as p:
        answer, failure = p.query(N_MODELS - 1, built[0].x_test[:5])
        pid = p.pids()[N_MODELS - 1]
    assert failure is None and answer is not None and answer.shape == (5, 10)
    assert pid is not None and not alive(pid)
    with pytest.raises(ValueError, match="start_method"):
        MinerPool([], start_method="fork")
