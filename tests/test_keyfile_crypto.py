"""Keyfile encryption formats: NaCl (argon2i + secretbox), Ansible Vault, legacy Fernet."""

from __future__ import annotations

import base64
import os
from pathlib import Path

import pytest
from nacl import secret

from conftest import load_vectors
from taocore import wallet

KEYFILE = load_vectors("crypto-vectors.json")["keyfile"]


def test_nacl_format_with_known_key() -> None:
    # The secretbox layer alone, with the vector's argon2i output: fast, and exact bytes.
    v = KEYFILE["nacl"]
    file_bytes = bytes.fromhex(v["file_bytes"])
    assert file_bytes.startswith(b"$NACL" + bytes.fromhex(v["nonce"]))
    box = secret.SecretBox(bytes.fromhex(v["derived_key"]))
    assert box.decrypt(file_bytes[5:]) == v["plaintext"].encode()
    assert b"$NACL" + bytes(box.encrypt(v["plaintext"].encode(), bytes.fromhex(v["nonce"]))) == (
        file_bytes
    )
    assert wallet.keyfile_data_encryption_method(file_bytes) == "NaCl"


@pytest.mark.slow
def test_nacl_full_decrypt_and_wrong_password() -> None:
    v = KEYFILE["nacl"]
    data = bytes.fromhex(v["file_bytes"])
    assert wallet.decrypt_keyfile_data(data, v["password"]) == v["plaintext"].encode()
    with pytest.raises(wallet.WrongPasswordError):
        wallet.decrypt_keyfile_data(data, v["password"] + "x")


def test_ansible_vault() -> None:
    v = KEYFILE["ansible_vault_1_1"]
    data = v["file_text"].encode()
    assert wallet.keyfile_data_encryption_method(data) == "Ansible Vault"
    assert wallet.decrypt_keyfile_data(data, v["password"]) == v["plaintext"].encode()
    with pytest.raises(wallet.WrongPasswordError):
        wallet.decrypt_keyfile_data(data, "nope")


@pytest.mark.slow
def test_legacy_fernet() -> None:
    v = KEYFILE["legacy_fernet"]
    data = v["file_text"].encode()
    assert wallet.keyfile_data_encryption_method(data) == "legacy"
    assert wallet.decrypt_keyfile_data(data, v["password"]) == v["plaintext"].encode()


def test_plain_data_is_not_encrypted() -> None:
    with pytest.raises(wallet.KeyfileError, match="not encrypted"):
        wallet.decrypt_keyfile_data(b'{"publicKey": "0x00"}', "pw")


def test_password_env_obfuscation() -> None:
    v = KEYFILE["password_env_obfuscation"]
    name = wallet.keyfile_password_env_var(v["example_path"])
    assert name == v["example_env_name"]
    assert wallet.encode_password_for_env(v["example_path"], v["example_password"]) == (
        name,
        v["example_value"],
    )
    assert base64.b64decode(v["example_value"])  # a real base64 value


def test_env_var_is_absolute_path_based(tmp_path: Path) -> None:
    rel = os.path.relpath(tmp_path / "coldkey")
    assert wallet.keyfile_password_env_var(rel) == wallet.keyfile_password_env_var(
        tmp_path / "coldkey"
    )
