"""The local subnet's miner models: digit classifiers of graded quality, exported to ONNX.

The demo makes its own models at setup, with no download: scikit-learn classifiers trained on
its bundled ``load_digits`` data (8x8 images, 10 classes) and exported with skl2onnx. A single
*quality* knob in ``[0, 1]`` sets, together, the share of the training set a model sees, the
share of the 64 pixels it may use (the others are masked to zero in training and their weights
cleared), and the share of training labels replaced by random ones, so held-out accuracy
spreads from near chance to about 0.97 and rises with quality. The model family follows the
quality band: decision trees at the bottom, logistic regression in the middle, a small MLP at
the top (see :func:`model_family`).

Every model takes a float32 input ``[batch, 64]`` (pixel values divided by 16, as
:func:`digits_split` returns them) and gives float32 class probabilities ``[batch, 10]``.
Everything is deterministic for a seed. Broken models for tests and the demo (a corrupt file,
NaN output, the wrong output shape, a model that never finishes, one that asks for too much
memory) are written by the ``write_*_model`` helpers with the onnx helper API.

This module needs the ``demo`` extra (``pip install "taocore[demo]"``): scikit-learn, skl2onnx
and onnx are imported only when a function here needs them.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from taocore._checks import integer

__all__ = [
    "DigitsSplit",
    "ModelFile",
    "digits_split",
    "make_models",
    "model_family",
    "model_quality",
    "sha256_file",
    "write_corrupt_model",
    "write_memory_hog_model",
    "write_nan_model",
    "write_slow_model",
    "write_wrong_shape_model",
]

N_FEATURES = 64
N_CLASSES = 10
INPUT_NAME = "input"
OUTPUT_NAME = "probabilities"
_OPSET = 17
_FAMILIES = ("tree", "logistic", "mlp")  # by quality band: weakest family lowest


@dataclass(frozen=True)
class DigitsSplit:
    """scikit-learn's digits, scaled to ``[0, 1]`` (float32) and split train / held-out.

    ``x_*`` are ``[n, 64]`` float32, ``y_*`` are int64 class labels ``0..9``.
    """

    x_train: npt.NDArray[np.float32] = field(repr=False)
    y_train: npt.NDArray[np.int64] = field(repr=False)
    x_test: npt.NDArray[np.float32] = field(repr=False)
    y_test: npt.NDArray[np.int64] = field(repr=False)

    def __repr__(self) -> str:
        return f"DigitsSplit(train={len(self.y_train)}, held_out={len(self.y_test)})"


@dataclass(frozen=True)
class ModelFile:
    """One exported model: where it is, its SHA-256 (hex), and how it scored on held-out data."""

    index: int
    path: Path
    sha256: str
    accuracy: float
    quality: float
    family: str
    description: str


def sha256_file(path: str | os.PathLike[str]) -> str:
    """The SHA-256 of a file's bytes, as lowercase hex."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def digits_split(seed: int = 0, held_out: float = 0.3) -> DigitsSplit:
    """scikit-learn's bundled digits, shuffled by ``seed`` and split (stratified) into train and
    a held-out share ``held_out``; pixels are divided by 16 so inputs lie in ``[0, 1]``."""
    if not 0.0 < held_out < 1.0:
        raise ValueError(f"held_out must be strictly between 0 and 1, got {held_out!r}")
    from sklearn.datasets import load_digits  # type: ignore[import-untyped]
    from sklearn.model_selection import train_test_split  # type: ignore[import-untyped]

    data = load_digits()
    x = (np.asarray(data.data, dtype=np.float64) / 16.0).astype(np.float32)
    y = np.asarray(data.target, dtype=np.int64)
    x_train, x_test, y_train, y_test = train_test_split(
        x, y, test_size=held_out, random_state=seed, stratify=y
    )
    return DigitsSplit(
        x_train=np.ascontiguousarray(x_train, dtype=np.float32),
        y_train=np.ascontiguousarray(y_train, dtype=np.int64),
        x_test=np.ascontiguousarray(x_test, dtype=np.float32),
        y_test=np.ascontiguousarray(y_test, dtype=np.int64),
    )


def model_quality(index: int, count: int) -> float:
    """The quality knob of model ``index`` of ``count``: evenly spaced from 0 (worst) to 1."""
    if count < 1 or not 0 <= index < count:
        raise ValueError(f"index must be in 0..count-1 with count >= 1, got {index} of {count}")
    return 1.0 if count == 1 else index / (count - 1)


def model_family(quality: float) -> str:
    """The model family for a quality: a decision tree below 1/3, logistic regression below
    2/3, a one-hidden-layer MLP above (each family ranks below the next at equal handicaps)."""
    if not 0.0 <= quality <= 1.0:
        raise ValueError(f"quality must be in [0, 1], got {quality!r}")
    return _FAMILIES[min(int(quality * 3), 2)]


def _train(split: DigitsSplit, quality: float, family: str, seed: int) -> tuple[Any, str]:
    """Fit one classifier whose handicaps shrink as ``quality`` rises; returns it and a note."""
    from sklearn.linear_model import LogisticRegression  # type: ignore[import-untyped]
    from sklearn.neural_network import MLPClassifier  # type: ignore[import-untyped]
    from sklearn.tree import DecisionTreeClassifier  # type: ignore[import-untyped]

    rng = np.random.default_rng(seed)
    n = len(split.y_train)
    # Handicaps, all easing with quality: few rows, few pixels, many wrong labels.
    fraction = 0.04 + 0.96 * quality
    kept_features = round(3 + 61 * quality**1.5)
    noise = 0.6 * (1.0 - quality) ** 2
    # One row of every class first, so every model's probability vector has all 10 classes.
    anchors = np.array([rng.choice(np.flatnonzero(split.y_train == c)) for c in range(N_CLASSES)])
    others = rng.permutation(np.setdiff1d(np.arange(n), anchors))
    size = max(N_CLASSES * 3, round(fraction * n))
    rows = np.concatenate([anchors, others[: size - N_CLASSES]])
    x = split.x_train[rows].copy()
    y = split.y_train[rows].copy()
    mask = np.zeros(N_FEATURES, dtype=bool)
    mask[rng.permutation(N_FEATURES)[:kept_features]] = True
    x[:, ~mask] = 0.0
    flip = rng.random(len(y)) < noise
    flip[:N_CLASSES] = False
    y[flip] = rng.integers(0, N_CLASSES, int(flip.sum()))
    state = int(rng.integers(0, 2**31 - 1))
    clf: Any
    if family == "logistic":
        clf = LogisticRegression(C=1.0, solver="newton-cg", max_iter=100)
        clf.fit(x, y)
        clf.coef_[:, ~mask] = 0.0
    elif family == "mlp":
        clf = MLPClassifier(hidden_layer_sizes=(32,), alpha=1e-3, max_iter=100,
                            random_state=state)
        clf.fit(x, y)
        clf.coefs_[0][~mask, :] = 0.0
    else:
        clf = DecisionTreeClassifier(max_depth=4 + round(6 * quality), random_state=state)
        clf.fit(x, y)
    note = (f"{family}, quality {quality:.2f}: {len(rows)} training rows, "
            f"{kept_features}/64 pixels, {noise:.0%} label noise")
    return clf, note


def _export(clf: Any, path: Path) -> None:
    from skl2onnx import to_onnx  # type: ignore[import-untyped]
    from skl2onnx.common.data_types import FloatTensorType  # type: ignore[import-untyped]

    onx = to_onnx(
        clf,
        initial_types=[(INPUT_NAME, FloatTensorType([None, N_FEATURES]))],
        options={id(clf): {"zipmap": False}},
        target_opset={"": _OPSET, "ai.onnx.ml": 3},
        final_types=None,
    )
    # skl2onnx names the outputs "label" and "probabilities"; keep only the probabilities.
    outputs = [o for o in onx.graph.output if o.name == OUTPUT_NAME]
    if len(outputs) != 1:
        raise RuntimeError(f"skl2onnx gave no {OUTPUT_NAME!r} output")
    del onx.graph.output[:]
    onx.graph.output.extend(outputs)
    # skl2onnx lists the opset imports in a set's order, which follows Python's per-process
    # string hashing (PYTHONHASHSEED): sorted, one seed gives the same bytes in every process.
    imports = sorted(onx.opset_import, key=lambda o: (o.domain, o.version))
    del onx.opset_import[:]
    onx.opset_import.extend(imports)
    onx.doc_string = ""
    _write_atomic(path, onx.SerializeToString())


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _accuracy(path: Path, split: DigitsSplit) -> float:
    import onnxruntime as ort  # type: ignore[import-untyped]

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    (probabilities,) = session.run([OUTPUT_NAME], {INPUT_NAME: split.x_test})
    return float((np.argmax(probabilities, axis=1) == split.y_test).mean())


def make_models(
    directory: str | os.PathLike[str], count: int, seed: int = 0, held_out: float = 0.3
) -> tuple[DigitsSplit, list[ModelFile]]:
    """Train and export ``count`` classifiers of graded quality into ``directory``.

    Model ``k`` has quality ``k / (count - 1)`` (see :func:`model_quality`) and is written to
    ``model-{k:03d}.onnx``. Returns the split (from :func:`digits_split`) and, per model, its
    path, SHA-256 and held-out accuracy measured with onnxruntime. The same ``seed`` gives the
    same models, hashes and accuracies.
    """
    count = integer("count", count, lo=1)
    from sklearn.exceptions import ConvergenceWarning  # type: ignore[import-untyped]
    from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]  # sklearn needs it

    out = Path(directory)
    split = digits_split(seed, held_out)
    seeds = np.random.SeedSequence(seed).spawn(count)
    models: list[ModelFile] = []
    for index in range(count):
        quality = model_quality(index, count)
        family = model_family(quality)
        model_seed = int(seeds[index].generate_state(1)[0])
        # One BLAS thread while fitting: the hashes are part of the run's record (registered
        # on the ledger), so the fit should not depend on how many cores the machine has.
        # (Runs that once differed here differed in the export's opset order, see _export.)
        with warnings.catch_warnings(), threadpool_limits(limits=1):
            # Handicapped models are meant to fit badly; their convergence warnings are noise.
            warnings.simplefilter("ignore", ConvergenceWarning)
            clf, note = _train(split, quality, family, model_seed)
        path = out / f"model-{index:03d}.onnx"
        _export(clf, path)
        models.append(ModelFile(index=index, path=path, sha256=sha256_file(path),
                                accuracy=_accuracy(path, split), quality=quality,
                                family=family, description=note))
    return split, models


# --- Deliberately broken models --------------------------------------------------------------


def _graph_model(nodes: list[Any], initializers: list[Any], output_shape: list[Any],
                 name: str) -> bytes:
    from onnx import TensorProto, helper

    graph = helper.make_graph(
        nodes,
        name,
        [helper.make_tensor_value_info(INPUT_NAME, TensorProto.FLOAT, ["batch", N_FEATURES])],
        [helper.make_tensor_value_info(OUTPUT_NAME, TensorProto.FLOAT, output_shape)],
        initializer=initializers,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", _OPSET)])
    model.ir_version = 8
    data: bytes = model.SerializeToString()
    return data


def _float_tensor(name: str, values: npt.ArrayLike) -> Any:
    from onnx import numpy_helper

    return numpy_helper.from_array(np.asarray(values, dtype=np.float32), name)


def write_corrupt_model(path: str | os.PathLike[str]) -> str:
    """Write bytes that are not an ONNX model; returns the file's SHA-256."""
    target = Path(path)
    _write_atomic(target, b"\x08\x07not an onnx model\xff\xfe" + bytes(range(256)) * 4)
    return sha256_file(target)


def write_nan_model(path: str | os.PathLike[str]) -> str:
    """Write a valid model whose every output is NaN (``[batch, 10]``); returns its SHA-256."""
    from onnx import helper

    nodes = [
        helper.make_node("MatMul", [INPUT_NAME, "w"], ["z"]),
        helper.make_node("Add", ["z", "nan"], [OUTPUT_NAME]),
    ]
    inits = [_float_tensor("w", np.zeros((N_FEATURES, N_CLASSES))),
             _float_tensor("nan", np.full(N_CLASSES, np.nan))]
    target = Path(path)
    _write_atomic(target, _graph_model(nodes, inits, ["batch", N_CLASSES], "nan_model"))
    return sha256_file(target)


def write_wrong_shape_model(path: str | os.PathLike[str], classes: int = 3) -> str:
    """Write a valid model that outputs ``[batch, classes]`` (not 10); returns its SHA-256."""
    from onnx import helper

    nodes = [helper.make_node("MatMul", [INPUT_NAME, "w"], ["z"]),
             helper.make_node("Softmax", ["z"], [OUTPUT_NAME], axis=-1)]
    inits = [_float_tensor("w", np.ones((N_FEATURES, classes)) / N_FEATURES)]
    target = Path(path)
    _write_atomic(target, _graph_model(nodes, inits, ["batch", classes], "wrong_shape_model"))
    return sha256_file(target)


def write_slow_model(path: str | os.PathLike[str], iterations: int = 10**9) -> str:
    """Write a valid model that loops ``iterations`` times before answering (the default never
    finishes in practice); returns its SHA-256.

    The loop carries the ``[batch, 10]`` output through a multiply by one per iteration, so
    onnxruntime cannot fold it away.
    """
    iterations = integer("iterations", iterations, lo=1)
    from onnx import TensorProto, helper, numpy_helper

    body = helper.make_graph(
        [helper.make_node("Identity", ["cond_in"], ["cond_out"]),
         helper.make_node("Mul", ["state_in", "one"], ["state_out"])],
        "slow_body",
        [helper.make_tensor_value_info("i", TensorProto.INT64, []),
         helper.make_tensor_value_info("cond_in", TensorProto.BOOL, []),
         helper.make_tensor_value_info("state_in", TensorProto.FLOAT, None)],
        [helper.make_tensor_value_info("cond_out", TensorProto.BOOL, []),
         helper.make_tensor_value_info("state_out", TensorProto.FLOAT, None)],
        initializer=[_float_tensor("one", 1.0)],
    )
    nodes = [
        helper.make_node("MatMul", [INPUT_NAME, "w"], ["z"]),
        helper.make_node("Softmax", ["z"], ["start"], axis=-1),
        helper.make_node("Loop", ["trips", "keep_going", "start"], [OUTPUT_NAME], body=body),
    ]
    inits = [
        _float_tensor("w", np.ones((N_FEATURES, N_CLASSES)) / N_FEATURES),
        numpy_helper.from_array(np.array(iterations, dtype=np.int64), "trips"),
        numpy_helper.from_array(np.array(True), "keep_going"),
    ]
    target = Path(path)
    _write_atomic(target, _graph_model(nodes, inits, ["batch", N_CLASSES], "slow_model"))
    return sha256_file(target)


def write_memory_hog_model(path: str | os.PathLike[str], gib: int = 64) -> str:
    """Write a valid model that allocates a ``gib`` GiB tensor while answering (refused under a
    memory cap); returns its SHA-256."""
    gib = integer("gib", gib, lo=1)
    from onnx import TensorProto, helper, numpy_helper

    elements = gib * (1 << 30) // 4
    nodes = [
        helper.make_node("MatMul", [INPUT_NAME, "w"], ["z"]),
        helper.make_node("Softmax", ["z"], ["p"], axis=-1),
        # A huge zero tensor whose sum (0) is added to the answer: the allocation cannot be
        # skipped because the shape arrives as a runtime value.
        helper.make_node("Shape", [INPUT_NAME], ["in_shape"]),
        helper.make_node("Slice", ["in_shape", "zero1", "one1"], ["batch"]),
        helper.make_node("Mul", ["batch", "zero1"], ["batch0"]),
        helper.make_node("Add", ["batch0", "size"], ["hog_shape"]),
        helper.make_node("ConstantOfShape", ["hog_shape"], ["hog"],
                         value=helper.make_tensor("v", TensorProto.FLOAT, [1], [0.0])),
        helper.make_node("ReduceSum", ["hog"], ["hog_sum"], keepdims=1),
        helper.make_node("Add", ["p", "hog_sum"], [OUTPUT_NAME]),
    ]
    inits = [
        _float_tensor("w", np.ones((N_FEATURES, N_CLASSES)) / N_FEATURES),
        numpy_helper.from_array(np.array([0], dtype=np.int64), "zero1"),
        numpy_helper.from_array(np.array([1], dtype=np.int64), "one1"),
        numpy_helper.from_array(np.array([elements], dtype=np.int64), "size"),
    ]
    target = Path(path)
    _write_atomic(target, _graph_model(nodes, inits, ["batch", N_CLASSES], "memory_hog_model"))
    return sha256_file(target)
