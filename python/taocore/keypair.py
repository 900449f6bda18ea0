"""``Keypair``: Bittensor-compatible sr25519 and ed25519 keys (a drop-in for bittensor-wallet's).

Secret material lives in the instance only: ``repr`` shows the address, pickling a keypair that
holds a secret is refused, and error messages never quote phrases, seeds or passwords.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NoReturn

from taocore import _signing, crypto
from taocore._bip39 import generate_mnemonic as _generate_mnemonic
from taocore._bip39 import mini_secret_from_mnemonic
from taocore._checks import byte_string, text
from taocore._signing import CryptoType
from taocore._signing import crypto_type as _crypto_type
from taocore._suri import parse_suri
from taocore.ss58 import BITTENSOR_SS58_FORMAT, ss58_decode, ss58_encode

if TYPE_CHECKING:
    from typing_extensions import Buffer

__all__ = ["CryptoType", "Keypair"]


def _buffer(name: str, value: Any) -> bytes:
    # Bytes-like objects, and lists or tuples of byte values, as bittensor-wallet takes them.
    if isinstance(value, (list, tuple)):
        try:
            return bytes(value)
        except (TypeError, ValueError):
            raise ValueError(f"{name} as a list must hold byte values (0..255)") from None
    return byte_string(name, value)


def _as_message(data: Buffer | str) -> bytes:
    # bittensor-wallet's rule: a str starting with "0x" is hex, any other str is UTF-8.
    if isinstance(data, str):
        if data[:2] == "0x":
            try:
                return bytes.fromhex(data[2:])
            except ValueError:
                raise ValueError("data starts with '0x' but is not valid hex") from None
        return data.encode("utf-8")
    return _buffer("data", data)


def _as_bytes(name: str, value: Buffer | str, size: int) -> bytes:
    if isinstance(value, str):
        text = value[2:] if value[:2].lower() == "0x" else value
        try:
            raw = bytes.fromhex(text)
        except ValueError:
            raise ValueError(f"{name} is a str but not valid hex") from None
    else:
        raw = _buffer(name, value)
    if len(raw) != size:
        raise ValueError(f"{name} must be {size} bytes, got {len(raw)}")
    return raw


class Keypair:
    """An sr25519 (default) or ed25519 key pair, or a verify-only public key.

    Build one with the ``create_from_*`` class methods, or ``Keypair(ss58_address=...)`` /
    ``Keypair(public_key=...)`` for a key that can only verify.
    """

    __slots__ = ("_crypto_type", "_mini_secret", "_mnemonic", "_public_key", "_secret",
                 "_ss58_format")

    def __init__(
        self,
        ss58_address: str | None = None,
        public_key: Buffer | str | None = None,
        crypto_type: int | str = CryptoType.SR25519,
        ss58_format: int = BITTENSOR_SS58_FORMAT,
    ) -> None:
        """A verify-only keypair from an SS58 address or a 32-byte public key (bytes or hex)."""
        if ss58_address is None and public_key is None:
            raise ValueError("give ss58_address or public_key (or use a create_from_* method)")
        self._crypto_type = _crypto_type(crypto_type)
        self._ss58_format = ss58_format
        if public_key is not None:
            self._public_key = _as_bytes("public_key", public_key, 32)
            if ss58_address is not None and ss58_decode(ss58_address) != self._public_key:
                raise ValueError("ss58_address and public_key are different keys")
        else:
            assert ss58_address is not None
            self._public_key = ss58_decode(ss58_address)
        ss58_encode(self._public_key, ss58_format)  # validates the format once
        self._secret: bytes | None = None
        self._mini_secret: bytes | None = None
        self._mnemonic: str | None = None

    @classmethod
    def _with_secret(
        cls,
        crypto_type: CryptoType,
        secret: bytes,
        public_key: bytes,
        ss58_format: int,
        mini_secret: bytes | None = None,
        mnemonic: str | None = None,
    ) -> Keypair:
        kp = cls(public_key=public_key, crypto_type=crypto_type, ss58_format=ss58_format)
        kp._secret = secret
        kp._mini_secret = mini_secret
        kp._mnemonic = mnemonic
        return kp

    # ---- constructors ----------------------------------------------------------------------

    @staticmethod
    def generate_mnemonic(n_words: int = 12) -> str:
        """A new random BIP39 English mnemonic (12, 15, 18, 21 or 24 words)."""
        return _generate_mnemonic(n_words)

    @classmethod
    def create_from_seed(
        cls,
        seed: Buffer | str,
        crypto_type: int | str = CryptoType.SR25519,
        ss58_format: int = BITTENSOR_SS58_FORMAT,
    ) -> Keypair:
        """From a 32-byte mini secret (bytes or hex): sr25519 expands it as Substrate does, ed25519
        uses it as the RFC 8032 seed."""
        kind = _crypto_type(crypto_type)
        mini = _as_bytes("seed", seed, 32)
        secret, public = _signing.keypair_from_mini_secret(kind, mini)
        return cls._with_secret(kind, secret, public, ss58_format, mini_secret=mini)

    @classmethod
    def create_from_mnemonic(
        cls,
        mnemonic: str,
        crypto_type: int | str = CryptoType.SR25519,
        ss58_format: int = BITTENSOR_SS58_FORMAT,
        password: str = "",
    ) -> Keypair:
        """From a BIP39 English mnemonic, Substrate style (PBKDF2 over the entropy)."""
        mini = mini_secret_from_mnemonic(mnemonic, password)
        kp = cls.create_from_seed(mini, crypto_type, ss58_format)
        kp._mnemonic = " ".join(mnemonic.split())
        return kp

    @classmethod
    def create_from_uri(
        cls,
        suri: str,
        crypto_type: int | str = CryptoType.SR25519,
        ss58_format: int = BITTENSOR_SS58_FORMAT,
        password: str | None = None,
    ) -> Keypair:
        """From a secret URI, exactly as sp-core (and so bittensor-wallet) reads it.

        ``phrase//hard/soft///password``: the phrase is a mnemonic or ``0x`` + 32-byte hex seed
        (empty means Substrate's development phrase, so ``//Alice`` works). A ``password``
        argument overrides the SURI's. ed25519 allows hard junctions only.
        """
        kind = _crypto_type(crypto_type)
        parts = parse_suri(suri)
        pw = text("password", password) if password is not None else (parts.password or "")
        if parts.phrase.startswith("0x"):
            try:
                mini = bytes.fromhex(parts.phrase[2:])
            except ValueError:
                raise ValueError("invalid secret URI: InvalidSeed (not hex)") from None
            if len(mini) != 32:
                raise ValueError(f"invalid secret URI: InvalidSeed ({len(mini)} bytes, not 32)")
            mnemonic = None
        else:
            mini = mini_secret_from_mnemonic(parts.phrase, pw)
            mnemonic = parts.phrase
        secret, public = _signing.keypair_from_mini_secret(kind, mini)
        seed: bytes | None = mini
        soft_seen = False
        for junction in parts.junctions:
            if kind is CryptoType.ED25519:
                if not junction.hard:
                    raise ValueError("invalid secret URI: SoftKeyInPath (ed25519 has no soft keys)")
                seed = crypto.blake2b(b"\x2cEd25519HDKD" + secret + junction.chain_code, 32)
                secret, public = _signing.keypair_from_mini_secret(kind, seed)
            elif junction.hard:
                seed = _signing.sr25519_hard_derive(secret, junction.chain_code)
                secret, public = _signing.keypair_from_mini_secret(kind, seed)
            else:
                secret, public = _signing.sr25519_soft_derive(secret, junction.chain_code)
                soft_seen = True
        # sp-core returns the seed only while every junction has been hard.
        kp = cls._with_secret(kind, secret, public, ss58_format,
                              mini_secret=None if soft_seen else seed)
        kp._mnemonic = mnemonic if not parts.junctions else None
        return kp

    @classmethod
    def create_from_private_key(
        cls,
        private_key: Buffer | str,
        crypto_type: int | str = CryptoType.SR25519,
        ss58_format: int = BITTENSOR_SS58_FORMAT,
    ) -> Keypair:
        """From the private key bittensor keyfiles store: for sr25519 the 64-byte secret key
        (canonical scalar || nonce), for ed25519 the 32-byte seed."""
        kind = _crypto_type(crypto_type)
        if kind is CryptoType.ED25519:
            return cls.create_from_seed(private_key, kind, ss58_format)
        secret = _as_bytes("private_key", private_key, 64)
        public = _signing.sr25519_public_from_secret(secret)
        return cls._with_secret(kind, secret, public, ss58_format)

    # ---- attributes ------------------------------------------------------------------------

    @property
    def public_key(self) -> bytes:
        """The 32-byte public key."""
        return self._public_key

    @property
    def ss58_address(self) -> str:
        """The SS58 address of the public key (prefix 42 unless another ss58_format was given)."""
        return ss58_encode(self._public_key, self._ss58_format)

    @property
    def ss58_format(self) -> int:
        """The SS58 prefix used for :attr:`ss58_address`."""
        return self._ss58_format

    @property
    def crypto_type(self) -> int:
        """1 for sr25519, 0 for ed25519 (bittensor-wallet's numbering)."""
        return int(self._crypto_type)

    @property
    def private_key(self) -> bytes | None:
        """The secret as keyfiles store it (sr25519: 64-byte secret key; ed25519: 32-byte seed),
        or None for a verify-only keypair."""
        return self._secret

    @property
    def seed_hex(self) -> str | None:
        """``0x``-hex of the 32-byte mini secret, when known (keyfiles call it ``secretSeed``)."""
        return None if self._mini_secret is None else "0x" + self._mini_secret.hex()

    @property
    def mnemonic(self) -> str | None:
        """The mnemonic this key was made from, when known (keyfiles call it ``secretPhrase``)."""
        return self._mnemonic

    # ---- signing ---------------------------------------------------------------------------

    def sign(self, data: Buffer | str) -> bytes:
        """Sign ``data`` (bytes, or str: ``0x``-hex is decoded, other text is UTF-8).

        sr25519 signatures use the "substrate" signing context and fresh OS randomness, so two
        signatures of the same message differ; ed25519 signatures are deterministic.
        """
        if self._secret is None:
            raise ValueError("this keypair has no secret key: it can verify but not sign")
        return _signing.sign(self._crypto_type, self._secret, self._public_key, _as_message(data))

    def verify(self, data: Buffer | str, signature: Buffer | str) -> bool:
        """Check a signature; never raises for a malformed signature (wrong length, bad hex,
        not bytes at all), it returns False. ``data`` of a type that is not bytes-like, a list
        of byte values or a str raises TypeError.

        Like bittensor-wallet, a signature over ``b"<Bytes>" + data + b"</Bytes>"`` (the
        polkadot-js extension's wrapping) is also accepted.
        """
        if type(data) is bytes and type(signature) is bytes and len(signature) == 64:
            message, sig = data, signature  # the common case needs no conversion (~1 us saved)
        else:
            try:
                message = _as_message(data)
            except ValueError:
                return False
            try:
                sig = _as_bytes("signature", signature, 64)
            except (ValueError, TypeError):
                return False
        if _signing.verify(self._crypto_type, self._public_key, message, sig):
            return True
        wrapped = b"<Bytes>" + message + b"</Bytes>"
        return _signing.verify(self._crypto_type, self._public_key, wrapped, sig)

    # ---- hygiene ---------------------------------------------------------------------------

    def __repr__(self) -> str:
        kind = self._crypto_type.name.lower()
        role = "" if self._secret is not None else ", verify-only"
        return f"<Keypair {self.ss58_address} ({kind}{role})>"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Keypair):
            return NotImplemented
        return (self._crypto_type, self._public_key) == (other._crypto_type, other._public_key)

    def __hash__(self) -> int:
        return hash((self._crypto_type, self._public_key))

    def __reduce__(self) -> tuple[Any, ...]:
        if self._secret is not None:
            self._refuse_pickle()
        return (Keypair, (None, self._public_key, int(self._crypto_type), self._ss58_format))

    @staticmethod
    def _refuse_pickle() -> NoReturn:
        raise TypeError(
            "refusing to pickle a Keypair that holds a secret key; store it with "
            "taocore.wallet.save_keypair (optionally encrypted) instead"
        )
