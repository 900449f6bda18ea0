"""Bittensor wallets on disk: keyfiles in the formats bittensor-wallet reads and writes.

Layout (bittensor-wallet's): ``<path>/<name>/coldkey`` (usually encrypted),
``<path>/<name>/coldkeypub.txt``, ``<path>/<name>/hotkeys/<hotkey>`` and
``<path>/<name>/hotkeys/<hotkey>pub.txt``. Keyfiles are JSON; encrypted ones use NaCl
(argon2i + XSalsa20-Poly1305 secretbox, through PyNaCl, exactly bittensor-wallet's parameters).
Legacy Ansible Vault and Fernet files can be read (with the optional ``cryptography`` package:
``pip install "taocore[legacy]"``). Writes are atomic (temporary file, fsync, rename) with mode
0600; a wrong password raises :class:`WrongPasswordError` and never touches the file.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import getpass
import hashlib
import hmac
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from taocore._checks import byte_string, flag, text
from taocore.keypair import CryptoType, Keypair

__all__ = [
    "KeyfileError",
    "Wallet",
    "WrongPasswordError",
    "decrypt_keyfile_data",
    "encode_password_for_env",
    "encrypt_keyfile_data",
    "keyfile_data_encryption_method",
    "keyfile_password_env_var",
    "keypair_from_keyfile_data",
    "keypair_to_keyfile_data",
    "load_keypair",
    "save_keypair",
]

DEFAULT_WALLET_PATH = "~/.bittensor/wallets/"

# bittensor-wallet's NaCl parameters: libsodium crypto_pwhash_argon2i with the SENSITIVE limits
# and this fixed salt.
_NACL_PREFIX = b"$NACL"
_NACL_SALT = bytes.fromhex("137183dff15a09bc9c90b5518739e9b1")
_NACL_OPSLIMIT = 8
_NACL_MEMLIMIT = 536_870_912
_ANSIBLE_PREFIX = b"$ANSIBLE_VAULT"
_FERNET_PREFIX = b"gAAAAA"
_FERNET_SALT = b"Iguesscyborgslikemyselfhaveatendencytobeparanoidaboutourorigins"


class KeyfileError(ValueError):
    """A keyfile that cannot be read or written (bad format, missing, or refused)."""


class WrongPasswordError(KeyfileError):
    """The password does not decrypt the keyfile."""


# ---- keyfile JSON ---------------------------------------------------------------------------


def keypair_to_keyfile_data(keypair: Keypair, public_only: bool = False) -> bytes:
    """Serialise a keypair to keyfile JSON as bittensor-wallet writes it.

    With ``public_only`` (or a verify-only keypair) only the public fields are written, as in
    ``coldkeypub.txt``.
    """
    data: dict[str, Any] = {
        "accountId": "0x" + keypair.public_key.hex(),
        "publicKey": "0x" + keypair.public_key.hex(),
        "ss58Address": keypair.ss58_address,
        "cryptoType": keypair.crypto_type,
    }
    if not public_only and keypair.private_key is not None:
        data["privateKey"] = "0x" + keypair.private_key.hex()
        if keypair.seed_hex is not None:
            data["secretSeed"] = keypair.seed_hex
        if keypair.mnemonic is not None:
            data["secretPhrase"] = keypair.mnemonic
    return json.dumps(data).encode("utf-8")


def keypair_from_keyfile_data(data: bytes) -> Keypair:
    """Read keyfile JSON (any key order, extra keys, nulls, missing ``cryptoType`` = sr25519).

    Uses the first of ``secretPhrase``, ``secretSeed``, ``privateKey``, ``ss58Address`` /
    ``publicKey`` that is present, as bittensor-wallet does. Encrypted data must be decrypted
    first (:func:`decrypt_keyfile_data`).
    """
    data = byte_string("keyfile data", data)
    if keyfile_data_encryption_method(data) is not None:
        raise KeyfileError("keyfile data is encrypted: decrypt it first")
    try:
        fields = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise KeyfileError(f"keyfile is not valid JSON ({exc.__class__.__name__})") from None
    if not isinstance(fields, dict):
        raise KeyfileError("keyfile JSON must be an object")
    crypto_type = fields.get("cryptoType")
    kind = CryptoType.SR25519 if crypto_type is None else crypto_type
    try:
        if fields.get("secretPhrase"):
            return Keypair.create_from_mnemonic(fields["secretPhrase"], crypto_type=kind)
        if fields.get("secretSeed"):
            return Keypair.create_from_seed(fields["secretSeed"], crypto_type=kind)
        if fields.get("privateKey"):
            return Keypair.create_from_private_key(fields["privateKey"], crypto_type=kind)
        if fields.get("ss58Address"):
            return Keypair(ss58_address=fields["ss58Address"], crypto_type=kind)
        if fields.get("publicKey"):
            return Keypair(public_key=fields["publicKey"], crypto_type=kind)
    except (ValueError, TypeError) as exc:
        raise KeyfileError(f"keyfile holds an invalid key: {exc}") from None
    raise KeyfileError("keyfile has no key (none of secretPhrase, secretSeed, privateKey, "
                       "ss58Address, publicKey)")


# ---- encryption -----------------------------------------------------------------------------


def keyfile_data_encryption_method(data: bytes) -> str | None:
    """``"NaCl"``, ``"Ansible Vault"``, ``"legacy"`` (Fernet) or None for plain keyfile data."""
    data = byte_string("keyfile data", data)
    if data.startswith(_NACL_PREFIX):
        return "NaCl"
    if data.startswith(_ANSIBLE_PREFIX):
        return "Ansible Vault"
    if data.startswith(_FERNET_PREFIX):
        return "legacy"
    return None


def _nacl_key(password: str) -> bytes:
    from nacl import pwhash

    return bytes(
        pwhash.argon2i.kdf(
            32, password.encode("utf-8"), _NACL_SALT,
            opslimit=_NACL_OPSLIMIT, memlimit=_NACL_MEMLIMIT,
        )
    )


def encrypt_keyfile_data(data: bytes, password: str) -> bytes:
    """Encrypt keyfile data the way bittensor-wallet does (NaCl; ~3 s and 512 MiB for argon2i)."""
    from nacl import secret, utils

    plain = byte_string("keyfile data", data)
    if not text("password", password):
        raise ValueError("password must be a non-empty str")
    box = secret.SecretBox(_nacl_key(password))
    return _NACL_PREFIX + bytes(box.encrypt(plain, utils.random(secret.SecretBox.NONCE_SIZE)))


def decrypt_keyfile_data(data: bytes, password: str) -> bytes:
    """Decrypt NaCl, Ansible Vault 1.1 or legacy Fernet keyfile data.

    Raises :class:`WrongPasswordError` for a wrong password and :class:`KeyfileError` for data
    that is not encrypted or is damaged.
    """
    data = byte_string("keyfile data", data)
    text("password", password)
    method = keyfile_data_encryption_method(data)
    if method == "NaCl":
        from nacl import exceptions, secret

        try:
            return bytes(secret.SecretBox(_nacl_key(password)).decrypt(data[len(_NACL_PREFIX):]))
        except exceptions.CryptoError:
            raise WrongPasswordError("wrong password (or a damaged keyfile)") from None
    if method == "Ansible Vault":
        return _decrypt_ansible_vault(data, password)
    if method == "legacy":
        return _decrypt_legacy_fernet(data, password)
    raise KeyfileError("keyfile data is not encrypted")


def _legacy_cipher_module() -> Any:
    try:
        import cryptography.hazmat.primitives.ciphers as ciphers
    except ImportError:
        raise KeyfileError(
            "reading legacy (Ansible Vault or Fernet) keyfiles needs the cryptography package: "
            'pip install "taocore[legacy]"'
        ) from None
    return ciphers


def _decrypt_ansible_vault(data: bytes, password: str) -> bytes:
    ciphers = _legacy_cipher_module()
    try:
        lines = data.decode("ascii").splitlines()
        body = binascii.unhexlify("".join(line.strip() for line in lines[1:]))
        salt_hex, mac_hex, ct_hex = body.split(b"\n")
        salt, mac, ct = (binascii.unhexlify(x) for x in (salt_hex, mac_hex, ct_hex))
    except (UnicodeDecodeError, ValueError, binascii.Error):
        raise KeyfileError("damaged Ansible Vault keyfile") from None
    keys = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, 10_000, 80)
    if not hmac.compare_digest(hmac.new(keys[32:64], ct, hashlib.sha256).digest(), mac):
        raise WrongPasswordError("wrong password (or a damaged keyfile)")
    aes = ciphers.Cipher(ciphers.algorithms.AES(keys[:32]), ciphers.modes.CTR(keys[64:]))
    decryptor = aes.decryptor()
    padded = decryptor.update(ct) + decryptor.finalize()
    pad = padded[-1] if padded else 0
    if not 1 <= pad <= 16 or padded[-pad:] != bytes([pad]) * pad:
        raise KeyfileError("damaged Ansible Vault keyfile (bad padding)")
    return bytes(padded[:-pad])


def _decrypt_legacy_fernet(data: bytes, password: str) -> bytes:
    _legacy_cipher_module()
    from cryptography.fernet import Fernet, InvalidToken

    key = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), _FERNET_SALT, 10_000_000, 32)
    try:
        return bytes(Fernet(base64.urlsafe_b64encode(key)).decrypt(data))
    except InvalidToken:
        raise WrongPasswordError("wrong password (or a damaged keyfile)") from None


# ---- passwords from the environment ---------------------------------------------------------


def keyfile_password_env_var(path: str | os.PathLike[str]) -> str:
    """The environment variable bittensor-wallet reads a keyfile's password from.

    ``BT_PW_`` + the absolute path upper-cased with ``/`` and ``.`` replaced by ``_``; its
    value is base64 of the password XOR-ed with the variable's name (obfuscation, not secrecy).
    """
    full = os.path.abspath(os.path.expanduser(os.fspath(path)))
    return "BT_PW_" + full.replace(os.sep, "_").replace(".", "_").upper()


def _xor_with_name(data: bytes, name: str) -> bytes:
    key = name.encode("utf-8")
    return bytes(b ^ key[i % len(key)] for i, b in enumerate(data))


def encode_password_for_env(path: str | os.PathLike[str], password: str) -> tuple[str, str]:
    """Return ``(variable, value)`` that makes :func:`load_keypair` find ``password``."""
    name = keyfile_password_env_var(path)
    return name, base64.b64encode(_xor_with_name(password.encode("utf-8"), name)).decode("ascii")


def _password_from_env(path: Path) -> str | None:
    name = keyfile_password_env_var(path)
    value = os.environ.get(name)
    if value is None:
        return None
    try:
        return _xor_with_name(base64.b64decode(value), name).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise KeyfileError(f"environment variable {name} is not a valid encoded password") from None


# ---- files ----------------------------------------------------------------------------------


def load_keypair(path: str | os.PathLike[str], password: str | None = None) -> Keypair:
    """Read a keyfile; an encrypted one needs ``password``, or the environment variable
    :func:`keyfile_password_env_var` names, or (on a terminal) a prompt."""
    file = Path(path).expanduser()
    try:
        data = file.read_bytes()
    except FileNotFoundError:
        raise KeyfileError(f"keyfile {file} does not exist") from None
    if keyfile_data_encryption_method(data) is not None:
        if password is None:
            password = _password_from_env(file)
        if password is None and sys.stdin is not None and sys.stdin.isatty():
            password = getpass.getpass(f"Password for {file}: ")
        if password is None:
            env = keyfile_password_env_var(file)
            raise KeyfileError(f"keyfile {file} is encrypted: pass password= or set {env}")
        data = decrypt_keyfile_data(data, password)
    return keypair_from_keyfile_data(data)


def _atomic_write(file: Path, data: bytes) -> None:
    file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, tmp = tempfile.mkstemp(prefix=f".{file.name}.", dir=file.parent)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, file)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    dir_fd = os.open(file.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)  # the rename itself survives a crash
    finally:
        os.close(dir_fd)


def _refuse_existing(files: tuple[Path, ...], overwrite: bool) -> None:
    if not flag("overwrite", overwrite):
        for file in files:
            if file.exists():
                raise KeyfileError(f"keyfile {file} exists; pass overwrite=True to replace it")


def save_keypair(
    path: str | os.PathLike[str],
    keypair: Keypair,
    password: str | None = None,
    overwrite: bool = False,
    public_only: bool = False,
) -> Path:
    """Write a keyfile atomically with mode 0600, NaCl-encrypted if ``password`` is given.

    Refuses to replace an existing file unless ``overwrite``. Returns the path written.
    """
    file = Path(path).expanduser()
    _refuse_existing((file,), overwrite)
    data = keypair_to_keyfile_data(keypair, public_only=flag("public_only", public_only))
    if password is not None:
        data = encrypt_keyfile_data(data, password)
    _atomic_write(file, data)
    return file


class Wallet:
    """A bittensor wallet directory: one coldkey and named hotkeys.

    ``Wallet(name="default", hotkey="default", path="~/.bittensor/wallets/")`` reads the same
    files bittensor-wallet does; the ``BT_WALLET_NAME``, ``BT_WALLET_HOTKEY`` and
    ``BT_WALLET_PATH`` environment variables give the defaults.
    """

    def __init__(self, name: str | None = None, hotkey: str | None = None,
                 path: str | os.PathLike[str] | None = None) -> None:
        """Describe a wallet; nothing is read or written until a key is used or created."""
        for arg, value in (("name", name), ("hotkey", hotkey)):
            if value is not None:
                text(arg, value)
        self.name = name or os.environ.get("BT_WALLET_NAME", "default")
        self.hotkey_str = hotkey or os.environ.get("BT_WALLET_HOTKEY", "default")
        self.path = Path(path or os.environ.get("BT_WALLET_PATH", DEFAULT_WALLET_PATH)).expanduser()
        self._coldkey: Keypair | None = None

    def __repr__(self) -> str:
        return f"Wallet(name={self.name!r}, hotkey={self.hotkey_str!r}, path={str(self.path)!r})"

    @property
    def coldkey_file(self) -> Path:
        """Path of the (usually encrypted) coldkey keyfile."""
        return self.path / self.name / "coldkey"

    @property
    def coldkeypub_file(self) -> Path:
        """Path of the public coldkey file ``coldkeypub.txt``."""
        return self.path / self.name / "coldkeypub.txt"

    @property
    def hotkey_file(self) -> Path:
        """Path of this wallet's hotkey keyfile."""
        return self.path / self.name / "hotkeys" / self.hotkey_str

    @property
    def hotkeypub_file(self) -> Path:
        """Path of the hotkey's public file."""
        return self.path / self.name / "hotkeys" / f"{self.hotkey_str}pub.txt"

    @property
    def hotkey(self) -> Keypair:
        """The hotkey (read from disk each time, decrypted via env/prompt if needed)."""
        return load_keypair(self.hotkey_file)

    @property
    def coldkeypub(self) -> Keypair:
        """The coldkey's public half, from ``coldkeypub.txt`` (no password needed)."""
        return load_keypair(self.coldkeypub_file)

    @property
    def coldkey(self) -> Keypair:
        """The coldkey; unlocks it (password from the environment or a prompt) on first use."""
        if self._coldkey is None:
            self._coldkey = load_keypair(self.coldkey_file)
        return self._coldkey

    def unlock_coldkey(self, password: str | None = None) -> Keypair:
        """Decrypt and keep the coldkey for this object's lifetime."""
        self._coldkey = load_keypair(self.coldkey_file, password)
        return self._coldkey

    def set_coldkey(self, keypair: Keypair, password: str | None = None,
                    overwrite: bool = False) -> None:
        """Write the coldkey (encrypted if ``password``) and ``coldkeypub.txt``; neither is
        written unless both may be."""
        self._save_pair(self.coldkey_file, self.coldkeypub_file, keypair, password, overwrite)
        self._coldkey = keypair

    def set_hotkey(self, keypair: Keypair, password: str | None = None,
                   overwrite: bool = False) -> None:
        """Write the hotkey (plain unless ``password``) and its public file; neither is
        written unless both may be."""
        self._save_pair(self.hotkey_file, self.hotkeypub_file, keypair, password, overwrite)

    @staticmethod
    def _save_pair(key_file: Path, pub_file: Path, keypair: Keypair, password: str | None,
                   overwrite: bool) -> None:
        # Both checked first: a watch-only wallet has coldkeypub.txt, and create_new_coldkey
        # there once wrote a fresh coldkey, then failed on the public file, so the mnemonic of
        # the key now on disk was never shown.
        _refuse_existing((key_file, pub_file), overwrite)
        save_keypair(key_file, keypair, password, overwrite)
        save_keypair(pub_file, keypair, None, overwrite, public_only=True)

    def create_new_coldkey(self, n_words: int = 12, password: str | None = None,
                           overwrite: bool = False) -> str:
        """Make a new coldkey from a fresh mnemonic; returns the mnemonic (write it down)."""
        mnemonic = Keypair.generate_mnemonic(n_words)
        self.set_coldkey(Keypair.create_from_mnemonic(mnemonic), password, overwrite)
        return mnemonic

    def create_new_hotkey(self, n_words: int = 12, password: str | None = None,
                          overwrite: bool = False) -> str:
        """Make a new hotkey from a fresh mnemonic; returns the mnemonic."""
        mnemonic = Keypair.generate_mnemonic(n_words)
        self.set_hotkey(Keypair.create_from_mnemonic(mnemonic), password, overwrite)
        return mnemonic

    def regenerate_coldkey(self, mnemonic: str, password: str | None = None,
                           overwrite: bool = False) -> Keypair:
        """Recreate the coldkey from its mnemonic."""
        keypair = Keypair.create_from_mnemonic(mnemonic)
        self.set_coldkey(keypair, password, overwrite)
        return keypair

    def regenerate_hotkey(self, mnemonic: str, password: str | None = None,
                          overwrite: bool = False) -> Keypair:
        """Recreate the hotkey from its mnemonic."""
        keypair = Keypair.create_from_mnemonic(mnemonic)
        self.set_hotkey(keypair, password, overwrite)
        return keypair

    def regenerate_coldkeypub(self, ss58_address: str, overwrite: bool = False) -> Keypair:
        """Write ``coldkeypub.txt`` for an address (a watch-only wallet)."""
        keypair = Keypair(ss58_address=ss58_address)
        save_keypair(self.coldkeypub_file, keypair, None, overwrite, public_only=True)
        return keypair

    def create_if_non_existent(self, coldkey_password: str | None = None) -> Wallet:
        """Create a coldkey and hotkey if they are missing; returns self."""
        if not self.coldkey_file.exists():
            self.create_new_coldkey(password=coldkey_password)
        if not self.hotkey_file.exists():
            self.create_new_hotkey()
        return self
