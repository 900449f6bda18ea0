"""taocore.weights reproduces the bittensor SDK 10 weight processing bit for bit."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from conftest import load_vectors
from taocore import weights

VEC = load_vectors("weight-utils-vectors.json")


@pytest.mark.parametrize("case", VEC["normalize_max_weight"], ids=lambda c: c["name"])
def test_normalize_max_weight_vectors(case: dict[str, object]) -> None:
    x = np.array(case["x_float32"], dtype=np.float32)
    out = weights.normalize_max_weight(x, limit=float(case["limit"]))  # type: ignore[arg-type]
    assert out.dtype.name == case["v10_out_dtype"]
    assert out.tolist() == case["v10_out"]  # exact: float32 values widened to double


@pytest.mark.parametrize("case", VEC["process_weights"], ids=lambda c: c["name"])
def test_process_weights_vectors(case: dict[str, object]) -> None:
    uids, out = weights.process_weights(
        np.array(case["uids"]),
        np.array(case["weights_float32"], dtype=np.float32),
        num_neurons=int(case["num_neurons"]),  # type: ignore[call-overload]
        min_allowed_weights=int(case["min_allowed_weights"]),  # type: ignore[call-overload]
        max_weight_limit=float(case["max_weight_limit"]),  # type: ignore[arg-type]
        exclude_quantile=int(case["exclude_quantile"]),  # type: ignore[call-overload]
    )
    assert uids.tolist() == case["out_uids"]
    assert out.dtype.name == case["out_weights_dtype"]
    assert out.tolist() == case["out_weights"]
    emit_uids, emit_u16 = weights.convert_weights_and_uids_for_emit(uids, out)
    assert emit_uids == case["then_emit_uids"]
    assert emit_u16 == case["then_emit_u16"]


@pytest.mark.parametrize("case", VEC["convert_weights_and_uids_for_emit"], ids=lambda c: c["name"])
def test_convert_for_emit_vectors(case: dict[str, object]) -> None:
    got = weights.convert_weights_and_uids_for_emit(
        np.array(case["uids"]), np.array(case["weights_float32"], dtype=np.float32)
    )
    assert got == (case["v10_uids"], case["v10_u16"])


positive_weights = hnp.arrays(np.float32, st.integers(2, 64),
                              elements=st.floats(0, 1000, width=32, allow_subnormal=False))


@settings(max_examples=200, deadline=None)
@given(x=positive_weights, limit=st.floats(0.01, 1.0))
def test_normalize_properties(x: np.ndarray, limit: float) -> None:
    out = weights.normalize_max_weight(x, limit)
    assert out.dtype == np.float32
    assert abs(float(out.sum()) - 1.0) < 1e-4
    if x.sum() > 0 and len(x) * limit > 1:
        assert float(out.max()) <= limit + 1e-5  # the limit is feasible, so it holds
    assert (out >= 0).all()


@settings(max_examples=200, deadline=None)
@given(x=positive_weights)
def test_emit_properties(x: np.ndarray) -> None:
    uids = np.arange(len(x))
    out_uids, values = weights.convert_weights_and_uids_for_emit(uids, x)
    if x.sum() == 0:
        assert (out_uids, values) == ([], [])
        return
    assert max(values) == 65535
    assert all(0 < v <= 65535 for v in values)
    assert out_uids == sorted(set(out_uids))
    # Emitting already-emitted u16 values again changes nothing (the SDK re-runs it).
    assert weights.convert_weights_and_uids_for_emit(np.array(out_uids),
                                                    np.array(values, dtype=np.float32)) == (
        out_uids, values)


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValueError, match="NaN"):
        weights.normalize_max_weight(np.array([0.5, np.nan], dtype=np.float32))
    with pytest.raises(ValueError, match="negative"):
        weights.normalize_max_weight(np.array([0.5, -0.1], dtype=np.float32))
    with pytest.raises(ValueError, match="1-D"):
        weights.normalize_max_weight(np.ones((2, 2), dtype=np.float32))
    with pytest.raises(ValueError, match="limit"):
        weights.normalize_max_weight(np.ones(3, dtype=np.float32), limit=0)
    with pytest.raises(ValueError, match=r"limit must be a number, got str"):
        weights.normalize_max_weight(np.ones(3), limit="0.5")  # type: ignore[arg-type]
    # Named as process_weights names it, and checked on the uniform paths too (all zero here).
    with pytest.raises(ValueError, match="max_weight_limit must be a number"):
        weights.process_weights([0, 1], [0.0, 0.0], 2, 1, "0.5")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="max_weight_limit"):
        weights.process_weights([0, 1], [0.5, 0.5], 2, 1, -1.0)
    with pytest.raises(ValueError, match="differ in length"):
        weights.process_weights([0, 1], [0.5], 2, 1, 0.5)
    with pytest.raises(ValueError, match="uids must not be negative"):
        weights.process_weights([-1, 1], [0.5, 0.5], 2, 1, 0.5)
    with pytest.raises(ValueError, match="infinity"):
        weights.process_weights([0, 1], [np.inf, 0.5], 2, 1, 0.5)
    with pytest.raises(ValueError, match="exclude_quantile"):
        weights.process_weights([0, 1], [0.5, 0.5], 2, 1, 0.5, exclude_quantile=70000)
    with pytest.raises(ValueError, match="negative"):
        weights.convert_weights_and_uids_for_emit([0, 1], [0.5, -1.0])
    # Uids the chain cannot take: the SDK passes them on, to fail at submission.
    with pytest.raises(ValueError, match=r"uids must be below num_neurons \(4\), found 9"):
        weights.process_weights([0, 9], [0.5, 0.5], 4, 1, 0.5)
    with pytest.raises(ValueError, match="uids must be at most 65535, found 65536"):
        weights.convert_weights_and_uids_for_emit([0, 65536], [0.5, 1.0])
    with pytest.raises(ValueError, match="num_neurons must be an int"):
        weights.process_weights([0, 1], [0.5, 0.5], 2.0, 1, 0.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="differ in length"):
        weights.convert_weights_and_uids_for_emit([0], [0.5, 1.0])
