"""The local subnet's durable ledger: one SQLite file (WAL), one transaction per block.

The ledger is the chain of the local subnet. It holds accounts, registered neurons (hotkey, uid,
coldkey, model hash), stake, weights and bonds in storage order, hyperparameters, a block clock,
per-epoch results and payouts, and an append-only log of every submitted extrinsic with its
verdict. A block is applied atomically: either all of its effects (extrinsic verdicts, weights,
emission, an epoch and its payouts, the block number) are committed, or none are, so a process
killed at any moment resumes from the last whole block and never applies a block twice.

Weight submissions are accepted only when every check passes: a valid sr25519 signature by the
registered hotkey over the exact payload (batch-verified when several arrive in one block), the
expected account nonce (so a replayed extrinsic is refused), a validator permit, the subnet's
version key, the rate limit, known and distinct uids, ``min_allowed_weights`` and
``max_weight_limit``. A refused extrinsic is logged with its reason and changes nothing else.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import MISSING, asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from taocore import consensus
from taocore._checks import U16_MAX, byte_string, integer, integers, text
from taocore._native import _core

__all__ = [
    "Hyperparameters",
    "Ledger",
    "LedgerError",
    "WeightSubmission",
    "weights_signing_payload",
]

SCHEMA_VERSION = 2


class LedgerError(RuntimeError):
    """The ledger file is missing, from another version, or inconsistent."""



# The epoch parameters' chain defaults, read off SubnetState so that they are written down once.
_CHAIN_DEFAULTS: dict[str, Any] = {
    f.name: f.default for f in fields(consensus.SubnetState) if f.default is not MISSING
}

@dataclass(frozen=True)
class Hyperparameters:
    """Subnet hyperparameters, named and scaled as subtensor stores them.

    The epoch's own parameters default to the chain's defaults as :class:`SubnetState` holds
    them, except a short tempo and Yuma3 for the local subnet."""

    tempo: int = 20
    kappa: int = _CHAIN_DEFAULTS["kappa"]
    bonds_penalty: int = _CHAIN_DEFAULTS["bonds_penalty"]
    bonds_moving_average: int = _CHAIN_DEFAULTS["bonds_moving_average"]
    yuma3: bool = True
    liquid_alpha: bool = _CHAIN_DEFAULTS["liquid_alpha"]
    alpha_low: int = _CHAIN_DEFAULTS["alpha_low"]
    alpha_high: int = _CHAIN_DEFAULTS["alpha_high"]
    alpha_sigmoid_steepness: int = _CHAIN_DEFAULTS["alpha_sigmoid_steepness"]
    activity_cutoff_blocks: int = _CHAIN_DEFAULTS["activity_cutoff_blocks"]
    max_allowed_validators: int = _CHAIN_DEFAULTS["max_allowed_validators"]
    min_allowed_weights: int = 1
    max_weight_limit: int = U16_MAX
    weights_version_key: int = 0
    weights_rate_limit: int = 10
    stake_threshold: int = _CHAIN_DEFAULTS["stake_threshold"]
    tao_weight: int = 0  # u64 fraction of 2**64; the demo has no root stake
    subnet_owner_cut: int = 11_796  # u16 proportion

    def __post_init__(self) -> None:
        """Refuses a bad value now, naming it, rather than at the ledger's first epoch."""
        # The epoch's parameters go through the epoch's own checks, on a one-uid state.
        epoch = {name: getattr(self, name) for name in _EPOCH_PARAMETERS}
        consensus._fields(consensus.SubnetState(n=1, alpha_stake=[0], weights=[[]], **epoch))
        integer("min_allowed_weights", self.min_allowed_weights, 0, U16_MAX)
        integer("max_weight_limit", self.max_weight_limit, 0, U16_MAX)
        integer("weights_version_key", self.weights_version_key)
        integer("weights_rate_limit", self.weights_rate_limit)
        integer("subnet_owner_cut", self.subnet_owner_cut, 0, U16_MAX)


# The hyperparameters that are SubnetState fields.
_EPOCH_PARAMETERS = tuple(
    f.name
    for f in fields(Hyperparameters)
    if f.name in {g.name for g in fields(consensus.SubnetState)}
)


@dataclass(frozen=True)
class WeightSubmission:
    """A signed ``set_weights`` extrinsic as a validator submits it.

    ``uids`` and ``weights`` are in the order the validator chose (the chain stores that order);
    ``weights`` are u16 as ``convert_weights_and_uids_for_emit`` produces them. ``signature`` is
    the hotkey's sr25519 signature of :func:`weights_signing_payload`.
    """

    hotkey: str
    uids: tuple[int, ...]
    weights: tuple[int, ...]
    version_key: int
    nonce: int
    signature: bytes = field(repr=False)

    def __post_init__(self) -> None:
        # Plain Python values, or ValueError/TypeError now: numpy integers went into SQLite as
        # 8-byte blobs (a ledger no epoch could read again), and float uids were stored as reals
        # while the payload had signed them truncated. Ranges are the ledger's to judge: a
        # uid or weight out of range is a refusal it logs, not a malformed extrinsic.
        text("hotkey", self.hotkey)
        object.__setattr__(self, "uids", _submitted_ints("uids", self.uids))
        object.__setattr__(self, "weights", _submitted_ints("weights", self.weights))
        object.__setattr__(self, "version_key", integer("version_key", self.version_key))
        object.__setattr__(self, "nonce", integer("nonce", self.nonce))
        object.__setattr__(self, "signature", byte_string("signature", self.signature))

    def payload(self) -> bytes:
        """The exact bytes the hotkey signs."""
        return weights_signing_payload(
            self.hotkey, self.uids, self.weights, self.version_key, self.nonce
        )


def _submitted_ints(name: str, values: Sequence[int]) -> tuple[int, ...]:
    """A submission's uids or weights as Python ints (numpy integers taken, floats refused)."""
    return tuple(int(v) for v in integers(name, values).tolist())


def weights_signing_payload(
    hotkey: str, uids: Sequence[int], weights: Sequence[int], version_key: int, nonce: int
) -> bytes:
    """Canonical bytes of a weight submission (what the hotkey signs).

    A domain prefix keeps these signatures from being valid for anything else. Non-integer
    uids, weights, nonce or version key are refused (never truncated into what is signed).
    """
    body = {
        "hotkey": hotkey,
        "nonce": integer("nonce", nonce),
        "uids": list(_submitted_ints("uids", uids)),
        "version_key": integer("version_key", version_key),
        "weights": list(_submitted_ints("weights", weights)),
    }
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"))
    return b"taocore-set-weights:" + canonical.encode()


_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS blocks (
    number INTEGER PRIMARY KEY,
    minted_rao INTEGER NOT NULL,
    epoch INTEGER
);
CREATE TABLE IF NOT EXISTS accounts (
    coldkey TEXT PRIMARY KEY,
    balance_rao INTEGER NOT NULL CHECK (balance_rao >= 0)
);
CREATE TABLE IF NOT EXISTS neurons (
    uid INTEGER PRIMARY KEY,
    hotkey TEXT NOT NULL UNIQUE,
    coldkey TEXT NOT NULL,
    role TEXT NOT NULL,
    registered_block INTEGER NOT NULL,
    model_sha256 TEXT,
    stake_rao INTEGER NOT NULL CHECK (stake_rao >= 0),
    initial_stake_rao INTEGER NOT NULL CHECK (initial_stake_rao >= 0),
    last_update INTEGER NOT NULL,
    validator_permit INTEGER NOT NULL DEFAULT 0,
    nonce INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS weights (
    uid INTEGER NOT NULL, position INTEGER NOT NULL, dest INTEGER NOT NULL,
    value INTEGER NOT NULL CHECK (value BETWEEN 0 AND 65535),
    PRIMARY KEY (uid, position)
);
CREATE TABLE IF NOT EXISTS bonds (
    uid INTEGER NOT NULL, position INTEGER NOT NULL, dest INTEGER NOT NULL,
    value INTEGER NOT NULL CHECK (value BETWEEN 0 AND 65535),
    PRIMARY KEY (uid, position)
);
CREATE TABLE IF NOT EXISTS extrinsics (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    block INTEGER NOT NULL,
    kind TEXT NOT NULL,
    hotkey TEXT NOT NULL,
    payload TEXT NOT NULL,
    signature TEXT NOT NULL,
    accepted INTEGER NOT NULL,
    reason TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS epochs (
    epoch INTEGER PRIMARY KEY,
    block INTEGER NOT NULL,
    emission_rao INTEGER NOT NULL,
    result TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS payouts (
    epoch INTEGER NOT NULL,
    uid INTEGER NOT NULL,
    hotkey TEXT NOT NULL,
    coldkey TEXT NOT NULL,
    kind TEXT NOT NULL,
    amount_rao INTEGER NOT NULL CHECK (amount_rao >= 0),
    PRIMARY KEY (epoch, uid, kind)
);
CREATE TABLE IF NOT EXISTS pending (
    name TEXT PRIMARY KEY,
    amount_rao INTEGER NOT NULL CHECK (amount_rao >= 0)
);
CREATE TABLE IF NOT EXISTS sinks (
    name TEXT PRIMARY KEY,
    amount_rao INTEGER NOT NULL CHECK (amount_rao >= 0)
);
CREATE TABLE IF NOT EXISTS offchain (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""


class Ledger:
    """A subnet ledger stored in one SQLite file.

    Open an existing file with ``Ledger(path)``; create one with :meth:`create`. Use it as a
    context manager (or call :meth:`close`).
    """

    def __init__(self, path: str | Path) -> None:
        """Open an existing ledger file."""
        self.path = Path(path)
        if not self.path.exists():
            raise LedgerError(f"no ledger at {self.path}")
        try:
            self._db = self._connect(self.path)
            try:
                version = self._meta("schema_version")
            except sqlite3.DatabaseError:
                self._db.close()
                raise
        except sqlite3.DatabaseError as exc:  # not SQLite, or SQLite without the ledger's tables
            raise LedgerError(f"{self.path} is not a taocore ledger ({exc})") from None
        if version != str(SCHEMA_VERSION):
            self._db.close()
            raise LedgerError(f"{self.path} is not a taocore ledger of schema {SCHEMA_VERSION}")
        self.hyperparameters = Hyperparameters(**json.loads(self._meta("hyperparameters") or "{}"))

    @staticmethod
    def _connect(path: Path) -> sqlite3.Connection:
        db = sqlite3.connect(path, isolation_level=None)  # transactions are explicit
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")  # a committed block survives power loss
        db.execute("PRAGMA foreign_keys=ON")
        return db

    @classmethod
    def create(cls, path: str | Path, hyperparameters: Hyperparameters,
               meta: dict[str, Any] | None = None) -> Ledger:
        """Create a new, empty ledger (block 0) at ``path``; refuses to overwrite a file."""
        path = Path(path)
        if path.exists():
            raise LedgerError(f"{path} exists; open it with Ledger(path) instead")
        db = cls._connect(path)
        try:
            db.execute("BEGIN")
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    db.execute(statement)
            rows = [("schema_version", str(SCHEMA_VERSION)),
                    ("hyperparameters", json.dumps(asdict(hyperparameters))),
                    ("user_meta", json.dumps(meta or {}))]
            db.executemany("INSERT INTO meta VALUES (?, ?)", rows)
            db.executemany("INSERT INTO pending VALUES (?, 0)",
                           [("server",), ("validator",), ("root",), ("owner",)])
            db.executemany("INSERT INTO sinks VALUES (?, 0)",
                           [("burned",), ("recycled",), ("uncredited",)])
            db.execute("INSERT INTO meta VALUES ('last_epoch_block', '0')")
            db.execute("INSERT INTO meta VALUES ('minted_at_epochs', '0')")
            db.execute("INSERT INTO blocks VALUES (0, 0, NULL)")
            db.execute("COMMIT")
        except BaseException:
            db.close()
            path.unlink(missing_ok=True)
            raise
        db.close()
        return cls(path)

    def close(self) -> None:
        """Close the database."""
        self._db.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    @property
    def user_meta(self) -> dict[str, Any]:
        """The metadata given at creation (e.g. the demo's configuration)."""
        value: dict[str, Any] = json.loads(self._meta("user_meta") or "{}")
        return value

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One atomic unit of work: committed on success, rolled back on any exception."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    # ---- reads -----------------------------------------------------------------------------

    @property
    def block(self) -> int:
        """The last applied block."""
        return int(self._db.execute("SELECT MAX(number) FROM blocks").fetchone()[0])

    @property
    def n(self) -> int:
        """Number of registered neurons (uids are 0..n-1)."""
        return int(self._db.execute("SELECT COUNT(*) FROM neurons").fetchone()[0])

    def neurons(self) -> list[dict[str, Any]]:
        """Every neuron as a dict of its columns, by uid."""
        cur = self._db.execute("SELECT * FROM neurons ORDER BY uid")
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]

    def uid_of(self, hotkey: str) -> int | None:
        """The uid registered to ``hotkey``, if any."""
        row = self._db.execute("SELECT uid FROM neurons WHERE hotkey = ?", (hotkey,)).fetchone()
        return None if row is None else int(row[0])

    def next_nonce(self, hotkey: str) -> int:
        """The nonce the hotkey's next extrinsic must carry."""
        row = self._db.execute("SELECT nonce FROM neurons WHERE hotkey = ?", (hotkey,)).fetchone()
        if row is None:
            raise KeyError(hotkey)
        return int(row[0])

    def sparse_rows(self, table: str) -> list[list[tuple[int, int]]]:
        """Weights or bonds as per-uid rows of (uid, value) in storage order."""
        if table not in ("weights", "bonds"):
            raise ValueError(f"table must be 'weights' or 'bonds', got {table!r}")
        rows: list[list[tuple[int, int]]] = [[] for _ in range(self.n)]
        for uid, dest, value in self._db.execute(
            f"SELECT uid, dest, value FROM {table} ORDER BY uid, position"
        ):
            rows[uid].append((int(dest), int(value)))
        return rows

    def extrinsics(self) -> list[dict[str, Any]]:
        """The extrinsic log, oldest first."""
        cur = self._db.execute("SELECT * FROM extrinsics ORDER BY id")
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]

    def _epoch_records(self, order: str, limit: int = -1) -> list[dict[str, Any]]:
        return [
            {"epoch": epoch, "block": block, "emission_rao": emission, "result": json.loads(result)}
            for epoch, block, emission, result in self._db.execute(
                f"SELECT epoch, block, emission_rao, result FROM epochs ORDER BY epoch {order} "
                "LIMIT ?", (limit,))
        ]

    def epochs(self) -> list[dict[str, Any]]:
        """Per-epoch records with their decoded results."""
        return self._epoch_records("ASC")

    def latest_epoch(self) -> dict[str, Any] | None:
        """The last epoch's record (as in :meth:`epochs`), or None before the first epoch."""
        records = self._epoch_records("DESC", 1)
        return records[0] if records else None

    def payouts(self) -> list[dict[str, Any]]:
        """Every payout, by epoch and uid."""
        cur = self._db.execute("SELECT * FROM payouts ORDER BY epoch, uid, kind")
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]

    def totals(self) -> dict[str, int]:
        """Where every minted rao is: credited stake, the owner's cut, the pending buckets, and the
        sinks (burned, recycled, minted-but-uncredited), plus the total minted (block emissions,
        and what epochs paid beyond the pending buckets, as the chain does).

        ``minted`` always equals the sum of the other entries; :meth:`audit` checks it.
        """
        q = self._db.execute

        def total(sql: str) -> int:
            return int(q(sql).fetchone()[0])

        out = {
            "minted": total("SELECT COALESCE(SUM(minted_rao), 0) FROM blocks")
            + int(self._meta("minted_at_epochs") or 0),
            "stake_credited": total("SELECT COALESCE(SUM(amount_rao), 0) FROM payouts "
                                    "WHERE kind IN ('incentive', 'take', 'nominator')"),
            "owner_cut": total("SELECT COALESCE(SUM(amount_rao), 0) FROM payouts "
                               "WHERE kind = 'owner_cut'"),
            "pending": total("SELECT COALESCE(SUM(amount_rao), 0) FROM pending"),
        }
        for name, amount in q("SELECT name, amount_rao FROM sinks ORDER BY name"):
            out[str(name)] = int(amount)
        return out

    def audit(self) -> dict[str, int]:
        """Check the emission invariant and stake bookkeeping; returns :meth:`totals`.

        Raises :class:`LedgerError` if any minted rao is unaccounted for, or if a neuron's stake
        differs from its initial stake plus everything credited to it.
        """
        t = self.totals()
        placed = sum(v for k, v in t.items() if k != "minted")
        if placed != t["minted"]:
            raise LedgerError(f"emission invariant broken: minted {t['minted']}, placed {placed}")
        credited = dict(self._db.execute(
            "SELECT uid, SUM(amount_rao) FROM payouts WHERE uid >= 0 AND kind IN "
            "('incentive', 'take', 'nominator') GROUP BY uid").fetchall())
        for uid, stake, initial in self._db.execute(
                "SELECT uid, stake_rao, initial_stake_rao FROM neurons"):
            if stake != initial + int(credited.get(uid, 0)):
                raise LedgerError(f"uid {uid}: stake {stake} != initial {initial} + credited")
        return t

    def offchain(self, key: str) -> str | None:
        """An off-chain value (e.g. a validator's scores) committed with the last block."""
        row = self._db.execute("SELECT value FROM offchain WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    # ---- writes (each call is, or runs inside, one transaction) ----------------------------

    def register(self, conn: sqlite3.Connection, hotkey: str, coldkey: str, role: str,
                 stake_rao: int = 0, model_sha256: str | None = None) -> int:
        """Register a hotkey at the next uid (inside a block transaction); returns the uid."""
        if role not in ("miner", "validator"):
            raise ValueError(f"role must be 'miner' or 'validator', got {role!r}")
        text("hotkey", hotkey)
        text("coldkey", coldkey)
        if model_sha256 is not None:
            text("model_sha256", model_sha256)
        stake_rao = integer("stake_rao", stake_rao)  # a plain int: SQLite stores numpy's as blobs
        if self.uid_of(hotkey) is not None:
            raise ValueError(f"hotkey {hotkey} is already registered")
        uid = self.n
        block = self.block
        conn.execute(
            "INSERT INTO neurons (uid, hotkey, coldkey, role, registered_block, model_sha256, "
            "stake_rao, initial_stake_rao, last_update) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (uid, hotkey, coldkey, role, block, model_sha256, stake_rao, stake_rao, block),
        )
        conn.execute("INSERT OR IGNORE INTO accounts VALUES (?, 0)", (coldkey,))
        return uid

    def check_submission(self, conn: sqlite3.Connection, block: int, sub: WeightSubmission,
                         signature_ok: bool) -> str | None:
        """Why ``sub`` must be refused at ``block`` (None if it is acceptable).

        The checks run in the chain's spirit and in a fixed order, so the recorded reason is the
        first rule broken.
        """
        hp = self.hyperparameters
        row = conn.execute(
            "SELECT uid, validator_permit, last_update, nonce FROM neurons WHERE hotkey = ?",
            (sub.hotkey,),
        ).fetchone()
        if row is None:
            return "hotkey is not registered"
        if not signature_ok:
            return "bad signature"
        uid, permit, last_update, nonce = (int(x) for x in row)
        if sub.nonce != nonce:
            return f"stale or replayed nonce {sub.nonce} (expected {nonce})"
        if not permit:
            return "hotkey has no validator permit"
        if sub.version_key < hp.weights_version_key:
            return f"version_key {sub.version_key} is below the subnet's {hp.weights_version_key}"
        if block - last_update < hp.weights_rate_limit and last_update > 0:
            return f"rate limit: last update at block {last_update}, limit {hp.weights_rate_limit}"
        if len(sub.uids) != len(sub.weights):
            return "uids and weights differ in length"
        n = conn.execute("SELECT COUNT(*) FROM neurons").fetchone()[0]
        if any(u < 0 or u >= n for u in sub.uids):
            return "a uid does not exist"
        if len(set(sub.uids)) != len(sub.uids):
            return "duplicate uids"
        if any(w < 0 or w > U16_MAX for w in sub.weights):
            return "a weight is outside 0..65535"
        self_only = list(sub.uids) == [uid]
        if len(sub.uids) < min(hp.min_allowed_weights, n) and not self_only:
            return f"fewer than min_allowed_weights ({hp.min_allowed_weights}) weights"
        total = sum(sub.weights)
        if total == 0:
            return "all weights are zero"
        # The largest normalised weight, on the u16 scale the limit is expressed in.
        limited = hp.max_weight_limit < U16_MAX and not self_only
        if limited and max(sub.weights) * U16_MAX // total > hp.max_weight_limit:
            return f"a weight exceeds max_weight_limit ({hp.max_weight_limit})"
        return None

    def record_submissions(self, conn: sqlite3.Connection, block: int,
                           submissions: Sequence[WeightSubmission],
                           signatures_ok: Sequence[bool]) -> list[str | None]:
        """Check, log and (when accepted) store each submission; returns the refusal reasons."""
        reasons: list[str | None] = []
        for sub, sig_ok in zip(submissions, signatures_ok, strict=True):
            reason = self.check_submission(conn, block, sub, sig_ok)
            conn.execute(
                "INSERT INTO extrinsics (block, kind, hotkey, payload, signature, accepted, reason)"
                " VALUES (?, 'set_weights', ?, ?, ?, ?, ?)",
                (block, sub.hotkey, sub.payload().decode(), sub.signature.hex(),
                 int(reason is None), reason or "ok"),
            )
            if reason is None:
                uid = int(conn.execute("SELECT uid FROM neurons WHERE hotkey = ?",
                                       (sub.hotkey,)).fetchone()[0])
                conn.execute("DELETE FROM weights WHERE uid = ?", (uid,))
                stored = _core.consensus.vec_u16_max_upscale_to_u16(list(sub.weights))
                conn.executemany(
                    "INSERT INTO weights VALUES (?, ?, ?, ?)",
                    [(uid, pos, dest, value)
                     for pos, (dest, value) in enumerate(zip(sub.uids, stored, strict=True))],
                )
                conn.execute("UPDATE neurons SET last_update = ?, nonce = nonce + 1 WHERE uid = ?",
                             (block, uid))
            reasons.append(reason)
        return reasons
