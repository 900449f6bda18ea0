"""Applying blocks to the ledger: emission into the pending buckets, the chain-exact epoch at each
tempo, payouts through taocore.emission, the emission invariant after every block, and
atomicity (a failing block leaves nothing behind)."""

from __future__ import annotations

from pathlib import Path

import pytest

from taocore import Keypair, consensus, emission
from taocore.subnet import chain
from taocore.subnet.ledger import Hyperparameters, Ledger, WeightSubmission

VALIDATORS = [Keypair.create_from_uri(f"//chain-v{i}") for i in range(2)]
MINERS = [Keypair.create_from_uri(f"//chain-m{i}") for i in range(4)]


def signed(kp: Keypair, uids: list[int], weights: list[int], nonce: int) -> WeightSubmission:
    unsigned = WeightSubmission(kp.ss58_address, tuple(uids), tuple(weights), 0, nonce, b"")
    return WeightSubmission(
        kp.ss58_address, tuple(uids), tuple(weights), 0, nonce, kp.sign(unsigned.payload())
    )


@pytest.fixture
def ledger(tmp_path: Path) -> Ledger:
    led = Ledger.create(tmp_path / "l.sqlite", Hyperparameters(tempo=5, weights_rate_limit=1))
    with led.transaction() as conn:
        for i, kp in enumerate(VALIDATORS):
            led.register(
                conn, kp.ss58_address, f"cold-v{i}", "validator", stake_rao=(i + 1) * 10**12
            )
        for i, kp in enumerate(MINERS):
            led.register(conn, kp.ss58_address, f"cold-m{i}", "miner")
    return led


def run(led: Ledger, blocks: int) -> list[chain.BlockOutcome]:
    outcomes = []
    for _ in range(blocks):
        block = led.block + 1
        subs = []
        if block % 2 == 0:  # both validators weight miners 2..5 with rising weights
            for kp in VALIDATORS:
                subs.append(
                    signed(
                        kp, [2, 3, 4, 5], [1000, 2000, 3000, 4000], led.next_nonce(kp.ss58_address)
                    )
                )
        outcomes.append(chain.apply_block(led, subs))
        led.audit()  # the emission invariant holds after every block
    return outcomes


def test_epochs_run_at_tempo_and_pay_what_the_epoch_computes(ledger: Ledger) -> None:
    outcomes = run(ledger, 5)
    assert [o.epoch for o in outcomes] == [None, None, None, None, 0]
    # The first epoch hands out permits (nobody had one); the second pays by weights.
    state_before = None
    for _ in range(5):
        block = ledger.block + 1
        if block == 10:
            with ledger.transaction() as conn:
                pending = dict(conn.execute("SELECT name, amount_rao FROM pending").fetchall())
                minted = emission.block_emission(ledger.totals()["minted"])
                split = emission.participant_split(minted, ledger.hyperparameters.subnet_owner_cut)
                total = pending["server"] + pending["validator"] + split.server + split.validator
                state_before = chain.subnet_state(ledger, conn, block, total)
        run(ledger, 1)
    assert state_before is not None
    expected = consensus.epoch(state_before)
    paid = {(p["uid"], p["kind"]): p["amount_rao"] for p in ledger.payouts() if p["epoch"] == 1}
    for uid in range(2, 6):
        assert paid.get((uid, "incentive"), 0) == int(expected.server_emission[uid])
    incentives = [paid.get((uid, "incentive"), 0) for uid in range(2, 6)]
    assert incentives == sorted(incentives) and incentives[0] > 0
    assert all(paid.get((uid, "take"), 0) > 0 for uid in range(2))
    stored = ledger.epochs()[1]["result"]
    assert stored == expected.to_dict()
    totals = ledger.audit()
    assert totals["minted"] >= 10 * 10**9


def test_refused_submissions_change_nothing_but_the_log(ledger: Ledger) -> None:
    run(ledger, 6)  # permits exist after the first epoch
    before = (ledger.sparse_rows("weights"), [n["nonce"] for n in ledger.neurons()])
    v0, v1 = VALIDATORS
    stranger = Keypair.create_from_uri("//chain-stranger")
    good = signed(v0, [2, 3], [1, 2], ledger.next_nonce(v0.ss58_address))
    bad = [
        WeightSubmission(
            v1.ss58_address,
            (2, 3),
            (1, 2),
            0,
            ledger.next_nonce(v1.ss58_address),
            v0.sign(good.payload()),
        ),  # forged
        signed(stranger, [2, 3], [1, 2], 0),  # unregistered
        signed(v1, [2, 99], [1, 2], ledger.next_nonce(v1.ss58_address)),  # malformed uid
        WeightSubmission(v0.ss58_address, (2,), (1,), 0, 0, b"\x00" * 5),  # malformed signature
    ]
    out = chain.apply_block(ledger, bad)
    assert all(r is not None for r in out.reasons)
    assert (ledger.sparse_rows("weights"), [n["nonce"] for n in ledger.neurons()]) == before
    log = ledger.extrinsics()[-4:]
    assert [e["accepted"] for e in log] == [0, 0, 0, 0]
    assert "bad signature" in log[0]["reason"] and "not registered" in log[1]["reason"]
    ledger.audit()


def test_a_failing_block_leaves_nothing_behind(
    ledger: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    run(ledger, 4)
    snapshot = (ledger.block, ledger.totals(), ledger.payouts(), ledger.extrinsics())

    def broken(state: consensus.SubnetState) -> consensus.EpochResult:
        raise RuntimeError("power cut")

    monkeypatch.setattr(chain.consensus, "epoch", broken)
    v0 = VALIDATORS[0]
    with pytest.raises(RuntimeError, match="power cut"):
        chain.apply_block(
            ledger,
            [signed(v0, [2], [1], ledger.next_nonce(v0.ss58_address))],
            offchain={"validator:0": "state"},
        )
    assert (ledger.block, ledger.totals(), ledger.payouts(), ledger.extrinsics()) == snapshot
    assert ledger.offchain("validator:0") is None
    monkeypatch.undo()
    run(ledger, 1)
    assert ledger.block == snapshot[0] + 1
    ledger.audit()


def test_offchain_state_is_committed_with_the_block(ledger: Ledger) -> None:
    chain.apply_block(ledger, (), offchain={"validator:1": "[0.5, 0.25]"})
    assert ledger.offchain("validator:1") == "[0.5, 0.25]"
