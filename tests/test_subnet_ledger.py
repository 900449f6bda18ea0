"""The ledger accepts only correctly signed, permitted, well-formed weight submissions, logs
every verdict, and changes nothing for a refused one."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from taocore import Keypair
from taocore._native import _core
from taocore.subnet import chain
from taocore.subnet.ledger import Hyperparameters, Ledger, LedgerError, WeightSubmission


def signed(kp: Keypair, uids: list[int], weights: list[int], nonce: int,
           version_key: int = 0) -> WeightSubmission:
    unsigned = WeightSubmission(kp.ss58_address, tuple(uids), tuple(weights), version_key, nonce,
                                b"")
    return WeightSubmission(kp.ss58_address, tuple(uids), tuple(weights), version_key, nonce,
                            kp.sign(unsigned.payload()))


@pytest.fixture
def ledger(tmp_path: Path) -> Ledger:
    led = Ledger.create(tmp_path / "ledger.sqlite", Hyperparameters(min_allowed_weights=2,
                                                                    weights_rate_limit=5))
    with led.transaction() as conn:
        for i in range(2):
            led.register(conn, Keypair.create_from_uri(f"//v{i}").ss58_address,
                         Keypair.create_from_uri(f"//cold{i}").ss58_address, "validator",
                         stake_rao=10**12)
        for i in range(4):
            led.register(conn, Keypair.create_from_uri(f"//m{i}").ss58_address,
                         Keypair.create_from_uri(f"//cold{i}").ss58_address, "miner")
        conn.execute("UPDATE neurons SET validator_permit = 1 WHERE role = 'validator'")
    return led


def submit(led: Ledger, subs: list[WeightSubmission], block: int) -> list[str | None]:
    ok = chain.verify_submissions(led, subs)
    with led.transaction() as conn:
        return led.record_submissions(conn, block, subs, ok)


def test_valid_submission_is_stored_in_order(ledger: Ledger) -> None:
    v0 = Keypair.create_from_uri("//v0")
    reasons = submit(ledger, [signed(v0, [5, 2, 3], [100, 65535, 7], nonce=0)], block=10)
    assert reasons == [None]
    assert ledger.sparse_rows("weights")[0] == [(5, 100), (2, 65535), (3, 7)]
    assert ledger.next_nonce(v0.ss58_address) == 1
    assert ledger.extrinsics()[-1]["accepted"] == 1


def test_refusals_are_logged_and_change_nothing(ledger: Ledger) -> None:
    v0, v1, m0 = (Keypair.create_from_uri(s) for s in ("//v0", "//v1", "//m0"))
    stranger = Keypair.create_from_uri("//stranger")
    good = signed(v0, [2, 3], [1, 2], nonce=0)
    forged = WeightSubmission(v1.ss58_address, (2, 3), (1, 2), 0, 0, v0.sign(good.payload()))
    cases = [
        (forged, "bad signature"),
        (signed(stranger, [2, 3], [1, 2], nonce=0), "not registered"),
        (signed(m0, [2, 3], [1, 2], nonce=0), "no validator permit"),
        (signed(v1, [2, 9], [1, 2], nonce=0), "does not exist"),
        (signed(v1, [2, 2], [1, 2], nonce=0), "duplicate uids"),
        (signed(v1, [2], [1], nonce=0), "min_allowed_weights"),
        (signed(v1, [2, 3], [0, 0], nonce=0), "all weights are zero"),
        (signed(v1, [2, 3], [1, 2], nonce=5), "nonce"),
    ]
    before = ledger.sparse_rows("weights")
    reasons = submit(ledger, [c for c, _ in cases], block=10)
    for (_, why), reason in zip(cases, reasons, strict=True):
        assert reason is not None and why in reason, (why, reason)
    assert ledger.sparse_rows("weights") == before
    log = ledger.extrinsics()
    assert len(log) == len(cases) and not any(x["accepted"] for x in log)


def test_replay_and_rate_limit(ledger: Ledger) -> None:
    v0 = Keypair.create_from_uri("//v0")
    first = signed(v0, [2, 3], [1, 2], nonce=0)
    assert submit(ledger, [first], block=10) == [None]
    replay = submit(ledger, [first], block=20)
    assert replay[0] is not None and "nonce" in replay[0]
    too_soon = submit(ledger, [signed(v0, [2, 3], [3, 4], nonce=1)], block=12)
    assert too_soon[0] is not None and "rate limit" in too_soon[0]
    assert submit(ledger, [signed(v0, [2, 3], [3, 4], nonce=1)], block=15) == [None]
    # Stored max-upscaled, as the chain's set_weights stores them (rule checked against
    # subtensor's own vectors in test_consensus_math).
    stored = _core.consensus.vec_u16_max_upscale_to_u16([3, 4])
    assert stored == [49151, 65535]
    assert ledger.sparse_rows("weights")[0] == [(2, 49151), (3, 65535)]


def test_failed_transaction_rolls_back(ledger: Ledger) -> None:
    v0 = Keypair.create_from_uri("//v0")
    with pytest.raises(RuntimeError), ledger.transaction() as conn:
        ledger.record_submissions(conn, 10, [signed(v0, [2, 3], [1, 2], nonce=0)], [True])
        raise RuntimeError("crash in the middle of a block")
    assert ledger.extrinsics() == []
    assert ledger.next_nonce(v0.ss58_address) == 0


def test_open_and_create_errors(tmp_path: Path, ledger: Ledger) -> None:
    with pytest.raises(LedgerError, match="no ledger"):
        Ledger(tmp_path / "missing.sqlite")
    with pytest.raises(LedgerError, match="exists"):
        Ledger.create(ledger.path, Hyperparameters())
    reopened = Ledger(ledger.path)
    assert reopened.n == 6 and reopened.hyperparameters.min_allowed_weights == 2
    # A file that is not a SQLite database, and one without the ledger's tables.
    junk = tmp_path / "junk.sqlite"
    junk.write_text("not a database")
    with pytest.raises(LedgerError, match="not a taocore ledger"):
        Ledger(junk)
    other = tmp_path / "other.sqlite"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.close()
    with pytest.raises(LedgerError, match="not a taocore ledger"):
        Ledger(other)


@pytest.mark.parametrize(
    ("changes", "match"),
    [
        ({"yuma3": "no"}, "yuma3 must be a bool"),
        ({"tempo": -1}, "tempo must not be negative"),
        ({"kappa": 70_000}, "kappa must be at most 65535"),
        ({"kappa": 0.5}, "kappa must be an int"),
        ({"alpha_sigmoid_steepness": 40_000}, "alpha_sigmoid_steepness"),
        ({"max_weight_limit": 65_536}, "max_weight_limit"),
        ({"subnet_owner_cut": -1}, "subnet_owner_cut"),
        ({"weights_rate_limit": 1.0}, "weights_rate_limit"),
    ],
)
def test_bad_hyperparameters_fail_when_made(changes: dict[str, Any], match: str) -> None:
    # Before any ledger holds them, not at its first epoch.
    with pytest.raises(ValueError, match=match):
        Hyperparameters(**changes)


def test_submissions_hold_plain_ints_and_refuse_other_types(ledger: Ledger) -> None:
    # numpy integers are taken and stored as ints: they went into SQLite as 8-byte blobs, and
    # the next read of the weights (every epoch) failed from then on.
    import numpy as np

    v0 = Keypair.create_from_uri("//v0")
    sub = signed(v0, list(np.array([5, 2])), list(np.array([65535, 7], dtype=np.uint16)), nonce=0)
    assert all(type(x) is int for x in sub.uids + sub.weights)
    assert submit(ledger, [sub], block=10) == [None]
    assert ledger.sparse_rows("weights")[0] == [(5, 65535), (2, 7)]
    # Floats are refused, not truncated into the signed payload while stored as reals.
    for uids, weights, name in (((2.5, 3), (1, 2), "uids"), ((2, 3), (1.0, 2), "weights"),
                                ((2, 3), (True, 2), "weights")):
        with pytest.raises(ValueError, match=f"{name} must hold integers"):
            WeightSubmission(v0.ss58_address, uids, weights, 0, 1, b"")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="nonce must be an int"):
        WeightSubmission(v0.ss58_address, (2, 3), (1, 2), 0, "1", b"")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="signature must be bytes-like"):
        WeightSubmission(v0.ss58_address, (2, 3), (1, 2), 0, 1, "sig")  # type: ignore[arg-type]
    from taocore.subnet.ledger import weights_signing_payload

    with pytest.raises(ValueError, match="uids must hold integers"):
        weights_signing_payload(v0.ss58_address, [2.9], [1], 0, 0)  # type: ignore[list-item]


def test_register_and_offchain_refuse_values_sqlite_would_mangle(ledger: Ledger) -> None:
    import numpy as np

    with ledger.transaction() as conn:
        uid = ledger.register(conn, "hot-x", "cold-x", "miner", stake_rao=np.int64(5))
        with pytest.raises(TypeError, match="coldkey must be a str"):
            ledger.register(conn, "hot-y", 7, "miner")  # type: ignore[arg-type]
    assert ledger.neurons()[uid]["stake_rao"] == 5
    block = ledger.block
    with pytest.raises(TypeError, match="offchain keys and values must be str"):
        chain.apply_block(ledger, offchain={"scores": [1, 2]})  # type: ignore[dict-item]
    assert ledger.block == block and ledger.offchain("scores") is None
