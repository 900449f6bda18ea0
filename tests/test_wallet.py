"""Wallet files: JSON keyfiles and NaCl encryption interoperate with bittensor-wallet both ways;
writes are atomic with 0600 permissions; wrong passwords leave files untouched."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from bittensor_wallet import Keypair as BtKeypair
from bittensor_wallet import Wallet as BtWallet
from bittensor_wallet import keyfile as bt_keyfile

from conftest import load_vectors
from taocore import Keypair, wallet

JSON_EXAMPLES = load_vectors("crypto-vectors.json")["keyfile"]["json_examples"]
PHRASE = "legal winner thank year wave sausage worth useful legal winner thank yellow"


@pytest.mark.parametrize("name", ["hotkey_or_unencrypted_coldkey_from_mnemonic", "from_uri_//Alice",
                                  "coldkeypub.txt"])
def test_reads_bittensor_wallet_json(name: str) -> None:
    fields = JSON_EXAMPLES[name]
    # Key order, missing cryptoType and nulls must not matter.
    for variant in (fields, dict(reversed(list(fields.items()))),
                    {k: v for k, v in fields.items() if k != "cryptoType"},
                    {**fields, "secretSeed": fields.get("secretSeed"), "extra": 1}):
        kp = wallet.keypair_from_keyfile_data(json.dumps(variant).encode())
        assert kp.ss58_address == fields["ss58Address"]
        if "privateKey" in fields:
            assert kp.private_key is not None
            assert "0x" + kp.private_key.hex() == fields["privateKey"]
        else:
            assert kp.private_key is None


@pytest.mark.parametrize("make", [
    lambda: Keypair.create_from_mnemonic(PHRASE),
    lambda: Keypair.create_from_uri("//Alice"),
    lambda: Keypair.create_from_uri("//Alice", crypto_type="ed25519"),
    lambda: Keypair.create_from_uri("//Alice/soft"),
    lambda: Keypair(ss58_address="5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY"),
])
def test_json_round_trip_with_bittensor_wallet(make: object) -> None:
    ours = make()  # type: ignore[operator]
    data = wallet.keypair_to_keyfile_data(ours)
    theirs = bt_keyfile.deserialize_keypair_from_keyfile_data(data)
    assert theirs.ss58_address == ours.ss58_address
    if ours.private_key is not None:
        rewritten = bytes(bt_keyfile.serialized_keypair_to_keyfile_data(theirs))
        assert json.loads(rewritten)["privateKey"] == "0x" + ours.private_key.hex()
        back = wallet.keypair_from_keyfile_data(rewritten)
        assert back.private_key == ours.private_key and back.crypto_type == ours.crypto_type


@pytest.mark.slow
def test_nacl_interoperates_both_ways() -> None:
    data = wallet.keypair_to_keyfile_data(Keypair.create_from_mnemonic(PHRASE))
    ours = wallet.encrypt_keyfile_data(data, "pässword")
    assert bytes(bt_keyfile.decrypt_keyfile_data(ours, "pässword")) == data
    theirs = bytes(bt_keyfile.encrypt_keyfile_data(data, "pässword"))
    assert wallet.decrypt_keyfile_data(theirs, "pässword") == data


@pytest.mark.slow
def test_encrypted_wallet_directory_with_bittensor_wallet(tmp_path: Path) -> None:
    w = wallet.Wallet("alice", "hk1", tmp_path)
    phrase = w.create_new_coldkey(password="cold-pw")
    w.create_new_hotkey()
    # bittensor-wallet reads what taocore wrote.
    bt = BtWallet(name="alice", hotkey="hk1", path=str(tmp_path))
    assert bt.coldkeypub.ss58_address == w.coldkeypub.ss58_address
    assert bt.hotkey.ss58_address == w.hotkey.ss58_address
    # Mode 0600 on every key file.
    for f in (w.coldkey_file, w.coldkeypub_file, w.hotkey_file, w.hotkeypub_file):
        assert stat.S_IMODE(f.stat().st_mode) == 0o600, f
    # Wrong password: a clear error, the file byte-identical afterwards.
    before = w.coldkey_file.read_bytes()
    with pytest.raises(wallet.WrongPasswordError):
        wallet.load_keypair(w.coldkey_file, "nope")
    assert w.coldkey_file.read_bytes() == before
    # The right password, and the environment variable bittensor-wallet uses.
    expected = Keypair.create_from_mnemonic(phrase).ss58_address
    assert w.unlock_coldkey("cold-pw").ss58_address == expected
    name, value = wallet.encode_password_for_env(w.coldkey_file, "cold-pw")
    os.environ[name] = value
    try:
        assert wallet.Wallet("alice", "hk1", tmp_path).coldkey.private_key is not None
    finally:
        del os.environ[name]


def test_reads_a_wallet_bittensor_wallet_wrote(tmp_path: Path) -> None:
    bt = BtWallet(name="bob", hotkey="default", path=str(tmp_path))
    bt.create_coldkey_from_uri("//Bob", use_password=False, overwrite=True, suppress=True)
    bt.create_hotkey_from_uri("//Bob//hot", use_password=False, overwrite=True, suppress=True)
    w = wallet.Wallet("bob", "default", tmp_path)
    assert w.coldkey.ss58_address == BtKeypair.create_from_uri("//Bob").ss58_address
    assert w.coldkeypub.ss58_address == w.coldkey.ss58_address
    assert w.hotkey.ss58_address == BtKeypair.create_from_uri("//Bob//hot").ss58_address


def test_save_refuses_to_overwrite_and_leaves_no_temp_files(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "hotkey"
    kp = Keypair.create_from_uri("//Eve")
    wallet.save_keypair(path, kp)
    with pytest.raises(wallet.KeyfileError, match="exists"):
        wallet.save_keypair(path, Keypair.create_from_uri("//Ferdie"))
    assert wallet.load_keypair(path) == kp
    wallet.save_keypair(path, Keypair.create_from_uri("//Ferdie"), overwrite=True)
    ferdie = BtKeypair.create_from_uri("//Ferdie").ss58_address
    assert wallet.load_keypair(path).ss58_address == ferdie
    assert sorted(p.name for p in path.parent.iterdir()) == ["hotkey"]


def test_encrypted_keyfile_without_password_is_a_clear_error(tmp_path: Path) -> None:
    v = load_vectors("crypto-vectors.json")["keyfile"]["nacl"]
    path = tmp_path / "coldkey"
    path.write_bytes(bytes.fromhex(v["file_bytes"]))
    with pytest.raises(wallet.KeyfileError, match="encrypted: pass password= or set BT_PW_"):
        wallet.load_keypair(path)


def test_bad_keyfiles(tmp_path: Path) -> None:
    with pytest.raises(wallet.KeyfileError, match="does not exist"):
        wallet.load_keypair(tmp_path / "missing")
    for data, why in ((b"not json", "not valid JSON"), (b"[1, 2]", "must be an object"),
                      (b"{}", "has no key"), (b'{"privateKey": "0x1234"}', "invalid key")):
        with pytest.raises(wallet.KeyfileError, match=why):
            wallet.keypair_from_keyfile_data(data)


def test_a_key_and_its_public_file_are_written_together_or_not_at_all(tmp_path: Path) -> None:
    # A watch-only wallet holds coldkeypub.txt alone. Creating a coldkey there without overwrite
    # must write nothing: the coldkey file once landed before the public file was refused, so
    # a fresh secret sat on disk whose mnemonic was never returned.
    w = wallet.Wallet("watch", "hot", tmp_path)
    alice = BtKeypair.create_from_uri("//Alice").ss58_address
    w.regenerate_coldkeypub(alice)
    with pytest.raises(wallet.KeyfileError, match=r"coldkeypub\.txt exists"):
        w.create_new_coldkey()
    assert sorted(p.name for p in (tmp_path / "watch").iterdir()) == ["coldkeypub.txt"]
    assert w.coldkeypub.ss58_address == alice
    w.hotkeypub_file.parent.mkdir(parents=True)
    w.hotkeypub_file.write_bytes(b"{}")
    with pytest.raises(wallet.KeyfileError, match=r"hotpub\.txt exists"):
        w.regenerate_hotkey(Keypair.generate_mnemonic())
    assert not w.hotkey_file.exists()
    mnemonic = w.create_new_coldkey(overwrite=True)
    assert w.coldkeypub == Keypair.create_from_mnemonic(mnemonic)


def test_argument_types_are_checked(tmp_path: Path) -> None:
    kp = Keypair.create_from_uri("//Eve")
    with pytest.raises(ValueError, match="overwrite must be a bool"):
        wallet.save_keypair(tmp_path / "k", kp, overwrite="no")  # type: ignore[arg-type]
    assert not (tmp_path / "k").exists()
    with pytest.raises(TypeError, match="password must be a str, got int"):
        wallet.decrypt_keyfile_data(b"$NACL" + bytes(60), 5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="keyfile data must be bytes-like, got str"):
        wallet.encrypt_keyfile_data("{}", "pw")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="keyfile data must be bytes-like, got str"):
        wallet.keypair_from_keyfile_data("{}")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="name must be a str"):
        wallet.Wallet(name=5)  # type: ignore[arg-type]
    data = wallet.keypair_to_keyfile_data(kp)
    assert wallet.keypair_from_keyfile_data(bytearray(data)) == kp
