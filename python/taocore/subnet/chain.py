"""What the local chain does inside a block: signature checks, emission and the epoch.

Kept apart from the storage code in :mod:`taocore.subnet.ledger` so each rule lives in one place.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from taocore import consensus, crypto, emission
from taocore.ss58 import ss58_decode
from taocore.subnet.ledger import Ledger, WeightSubmission

__all__ = ["BlockOutcome", "apply_block", "subnet_state", "verify_submissions"]


def verify_submissions(ledger: Ledger, submissions: Sequence[WeightSubmission]) -> list[bool]:
    """Check every submission's sr25519 signature, all of a block's in one batch.

    A hotkey that is not a valid address, or a signature of the wrong size, is simply invalid.
    """
    del ledger  # signatures are checked against the hotkey named in the extrinsic itself
    keys, messages, signatures, index = [], [], [], []
    results = [False] * len(submissions)
    for i, sub in enumerate(submissions):
        try:
            public_key = ss58_decode(sub.hotkey)
        except (ValueError, TypeError):
            continue
        keys.append(public_key)
        messages.append(sub.payload())
        signatures.append(bytes(sub.signature))
        index.append(i)
    if keys:
        for i, ok in zip(index, crypto.verify_many(keys, messages, signatures), strict=True):
            results[i] = bool(ok)
    return results


@dataclass(frozen=True)
class BlockOutcome:
    """What one applied block did.

    ``reasons`` has one entry per submitted extrinsic (None: accepted). ``epoch`` is the index
    of the epoch run in this block (None if none was due) and ``result`` its chain-exact output.
    """

    block: int
    minted_rao: int
    reasons: tuple[str | None, ...]
    epoch: int | None = None
    result: consensus.EpochResult | None = None


def subnet_state(
    ledger: Ledger, conn: sqlite3.Connection, block: int, rao_emission: int
) -> consensus.SubnetState:
    """The epoch's input, read from the ledger as the chain's storage would hold it."""
    hp = ledger.hyperparameters
    rows = conn.execute(
        "SELECT stake_rao, last_update, registered_block, validator_permit FROM neurons "
        "ORDER BY uid"
    ).fetchall()
    n = len(rows)
    weights: list[list[tuple[int, int]]] = [[] for _ in range(n)]
    bonds: list[list[tuple[int, int]]] = [[] for _ in range(n)]
    for table, target in (("weights", weights), ("bonds", bonds)):
        for uid, dest, value in conn.execute(
            f"SELECT uid, dest, value FROM {table} ORDER BY uid, position"
        ):
            target[uid].append((int(dest), int(value)))
    last_epoch = int(
        conn.execute("SELECT value FROM meta WHERE key = 'last_epoch_block'").fetchone()[0]
    )
    return consensus.SubnetState(
        n=n,
        current_block=block,
        tempo=hp.tempo,
        activity_cutoff_blocks=hp.activity_cutoff_blocks,
        last_update=[int(r[1]) for r in rows],
        block_at_registration=[int(r[2]) for r in rows],
        alpha_stake=[int(r[0]) for r in rows],
        tao_weight=hp.tao_weight,
        stake_threshold=hp.stake_threshold,
        validator_permit=[bool(r[3]) for r in rows],
        max_allowed_validators=hp.max_allowed_validators,
        weights=weights,
        bonds=bonds,
        kappa=hp.kappa,
        bonds_penalty=hp.bonds_penalty,
        bonds_moving_average=hp.bonds_moving_average,
        yuma3=hp.yuma3,
        liquid_alpha=hp.liquid_alpha,
        alpha_low=hp.alpha_low,
        alpha_high=hp.alpha_high,
        alpha_sigmoid_steepness=hp.alpha_sigmoid_steepness,
        last_mechanism_step_block=last_epoch,
        rao_emission=rao_emission,
    )


def _take_pending(conn: sqlite3.Connection) -> dict[str, int]:
    pending = {str(k): int(v) for k, v in conn.execute("SELECT name, amount_rao FROM pending")}
    conn.execute("UPDATE pending SET amount_rao = 0")
    return pending


def _sink(conn: sqlite3.Connection, name: str, amount: int) -> None:
    if amount:
        conn.execute("UPDATE sinks SET amount_rao = amount_rao + ? WHERE name = ?", (amount, name))


def _run_epoch(
    ledger: Ledger, conn: sqlite3.Connection, block: int
) -> tuple[int, consensus.EpochResult]:
    """Drain the pending buckets, run the chain-exact epoch and pay it out (spec §8.5)."""
    pending = _take_pending(conn)
    state = subnet_state(
        ledger, conn, block, pending["server"] + pending["validator"] + pending["root"]
    )
    result = consensus.epoch(state)
    # The stakes were read for the epoch's state; only the keys are needed besides.
    neurons = conn.execute("SELECT uid, hotkey, coldkey FROM neurons ORDER BY uid").fetchall()
    payout = emission.distribute_epoch(
        server_emission=result.server_emission,
        validator_emission=result.validator_emission,
        pending_server=pending["server"],
        pending_validator=pending["validator"],
        pending_root=pending["root"],
        pending_owner_cut=pending["owner"],
        alpha_stake=np.asarray(state.alpha_stake, dtype=np.uint64),
    )
    index = int(conn.execute("SELECT COUNT(*) FROM epochs").fetchone()[0])
    rows = []
    for uid, hotkey, coldkey in neurons:
        for kind in ("incentive", "take", "nominator"):
            amount = int(getattr(payout, kind)[uid])
            if amount:
                rows.append((index, uid, hotkey, coldkey, kind, amount))
        credited = sum(
            int(getattr(payout, kind)[uid]) for kind in ("incentive", "take", "nominator")
        )
        if credited:
            conn.execute(
                "UPDATE neurons SET stake_rao = stake_rao + ? WHERE uid = ?", (credited, uid)
            )
    if payout.owner_cut:
        rows.append((index, -1, "subnet-owner", "subnet-owner", "owner_cut", int(payout.owner_cut)))
    conn.executemany("INSERT INTO payouts VALUES (?, ?, ?, ?, ?, ?)", rows)
    _sink(conn, "burned", int(payout.burned))
    _sink(conn, "recycled", int(payout.recycled))
    # The chain pays miners the epoch's share of everything pending, so with rounding (or an
    # epoch without dividends) the payout can exceed what was pending: that excess is minted at
    # the epoch. Either way the gap is booked, so the ledger's invariant is exact.
    gap = int(payout.uncredited)
    if gap >= 0:
        _sink(conn, "uncredited", gap)
    else:
        conn.execute(
            "UPDATE meta SET value = CAST(value AS INTEGER) + ? WHERE key = 'minted_at_epochs'",
            (-gap,),
        )
    permits = [(int(p), uid) for uid, p in enumerate(result.new_validator_permit)]
    conn.executemany("UPDATE neurons SET validator_permit = ? WHERE uid = ?", permits)
    conn.execute("DELETE FROM bonds")
    conn.executemany(
        "INSERT INTO bonds VALUES (?, ?, ?, ?)",
        [
            (uid, pos, dest, value)
            for uid, row in enumerate(result.bonds_rows())
            for pos, (dest, value) in enumerate(row)
        ],
    )
    conn.execute(
        "INSERT INTO epochs VALUES (?, ?, ?, ?)",
        (index, block, state.rao_emission, json.dumps(result.to_dict(), separators=(",", ":"))),
    )
    conn.execute("UPDATE meta SET value = ? WHERE key = 'last_epoch_block'", (str(block),))
    return index, result


def apply_block(
    ledger: Ledger,
    submissions: Sequence[WeightSubmission] = (),
    offchain: Mapping[str, str] | None = None,
) -> BlockOutcome:
    """Apply the next block atomically, in the chain's order.

    Inside one SQLite transaction: check and record the block's weight submissions (signatures
    batch-verified), emit the subnet's alpha for the block and split it into the pending
    buckets (owner cut, server, validator), run the chain-exact epoch when ``tempo`` blocks have
    passed since the last one and pay it out, store ``offchain`` key/values (e.g. validators'
    moving averages, so a resumed run continues from the same state), and advance the block
    number. If anything fails, nothing of the block is kept.
    """
    hp = ledger.hyperparameters
    stored = list((offchain or {}).items())
    for key, value in stored:
        if not isinstance(key, str) or not isinstance(value, str):
            raise TypeError(
                f"offchain keys and values must be str, got {key!r}: {type(value).__name__}"
            )
    signatures_ok = verify_submissions(ledger, submissions)
    with ledger.transaction() as conn:
        block = int(conn.execute("SELECT MAX(number) FROM blocks").fetchone()[0]) + 1
        reasons = ledger.record_submissions(conn, block, submissions, signatures_ok)
        issued = int(conn.execute("SELECT COALESCE(SUM(minted_rao), 0) FROM blocks").fetchone()[0])
        minted = emission.block_emission(issued)
        split = emission.participant_split(minted, hp.subnet_owner_cut)
        for name, amount in (
            ("owner", split.owner_cut),
            ("server", split.server),
            ("validator", split.validator),
            ("root", split.root),
        ):
            conn.execute(
                "UPDATE pending SET amount_rao = amount_rao + ? WHERE name = ?", (int(amount), name)
            )
        _sink(conn, "recycled", int(split.recycled))
        _sink(conn, "uncredited", int(split.uncredited))
        epoch_index: int | None = None
        result: consensus.EpochResult | None = None
        last_epoch = int(
            conn.execute("SELECT value FROM meta WHERE key = 'last_epoch_block'").fetchone()[0]
        )
        if hp.tempo > 0 and block - last_epoch >= hp.tempo:
            epoch_index, result = _run_epoch(ledger, conn, block)
        for key, value in stored:
            conn.execute("INSERT OR REPLACE INTO offchain VALUES (?, ?)", (key, value))
        conn.execute("INSERT INTO blocks VALUES (?, ?, ?)", (block, minted, epoch_index))
    return BlockOutcome(block, minted, tuple(reasons), epoch_index, result)
