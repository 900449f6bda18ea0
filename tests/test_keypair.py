"""Keypair: vectors for every constructor, and differential tests against bittensor-wallet and
py-sr25519-bindings (sign with one, verify with the other), SURIs fuzzed against sp-core."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import sr25519  # py-sr25519-bindings (schnorrkel)
from bittensor_wallet import Keypair as BtKeypair
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import taocore
from conftest import load_vectors
from taocore import Keypair

VEC = load_vectors("crypto-vectors.json")


def oracle_verify(public: bytes, message: bytes, signature: bytes) -> bool:
    try:
        return bool(sr25519.verify(signature, message, public))
    except ValueError:  # the binding raises on malformed input; sp-core says False
        return False


SR_SURI = VEC["derivation"]["sr25519_suri"]["cases"]
ED_SURI = VEC["derivation"]["ed25519_suri"]["cases"]


@pytest.mark.parametrize("case", SR_SURI, ids=lambda c: c["suri"])
def test_sr25519_suri_vectors(case: dict[str, object]) -> None:
    kp = Keypair.create_from_uri(str(case["suri"]))
    assert kp.public_key.hex() == case["public_key"]
    assert kp.ss58_address == case["ss58_42"]
    assert kp.private_key is not None
    assert kp.private_key[:32].hex() == case["secret_scalar"]
    if case.get("nonce_deterministic"):
        assert kp.private_key.hex() == case["secret_key_if_deterministic"]
    mini = case.get("mini_secret_after_path")
    assert kp.seed_hex == (None if mini is None else "0x" + str(mini))


@pytest.mark.parametrize("case", ED_SURI, ids=lambda c: c["suri"])
def test_ed25519_suri_vectors(case: dict[str, str]) -> None:
    kp = Keypair.create_from_uri(case["suri"], crypto_type="ed25519")
    assert kp.public_key.hex() == case["public_key"]
    assert kp.ss58_address == case["ss58_42"]
    assert kp.crypto_type == 0
    assert kp.seed_hex == "0x" + case["seed_after_path"]


@pytest.mark.parametrize("case", VEC["bip39"]["cases"], ids=lambda c: c["phrase"][:24])
def test_mnemonic_keys(case: dict[str, str]) -> None:
    kp = Keypair.create_from_mnemonic(case["phrase"], password=case["password"])
    want = Keypair.create_from_seed(case["mini_secret"])
    assert kp.public_key == want.public_key
    for field, kind in (("sr25519_public_key", "sr25519"), ("ed25519_public_key", "ed25519")):
        if field in case:
            assert Keypair.create_from_mnemonic(
                case["phrase"], kind, password=case["password"]
            ).public_key.hex() == case[field]


@pytest.mark.parametrize(
    "case", VEC["sr25519"]["keypairs_from_mini_secret"], ids=lambda c: c["name"]
)
def test_seed_and_private_key_constructors(case: dict[str, str]) -> None:
    kp = Keypair.create_from_seed(bytes.fromhex(case["mini_secret"]))
    assert kp.private_key is not None and kp.private_key.hex() == case["secret_key"]
    assert kp.public_key.hex() == case["public_key"]
    assert kp.ss58_address == case["ss58_42"]
    again = Keypair.create_from_private_key("0x" + case["secret_key"])
    assert again.public_key == kp.public_key and again.private_key == kp.private_key
    assert Keypair(ss58_address=case["ss58_42"]).public_key == kp.public_key


def test_sign_and_verify_against_oracles() -> None:
    kp = Keypair.create_from_uri("//Alice")
    bt = BtKeypair.create_from_uri("//Alice")
    assert kp.ss58_address == bt.ss58_address
    for message in (b"", b"x", b"hello world" * 100, "text message", "0xdeadbeef"):
        sig = kp.sign(message)
        assert bt.verify(message, sig)
        assert kp.verify(message, bt.sign(message))
        raw = message if isinstance(message, bytes) else (
            bytes.fromhex(message[2:]) if message.startswith("0x") else message.encode()
        )
        assert oracle_verify(kp.public_key, raw, sig)
        assert kp.verify(message, "0x" + sig.hex())


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.binary(min_size=32, max_size=32), message=st.binary(max_size=300),
       flip=st.integers(0, 64 * 8 - 1))
def test_differential_sr25519(seed: bytes, message: bytes, flip: int) -> None:
    kp = Keypair.create_from_seed(seed)
    public, secret = sr25519.pair_from_seed(seed)
    assert kp.public_key == bytes(public)
    assert kp.private_key == bytes(secret)
    ours = kp.sign(message)
    theirs = bytes(sr25519.sign((public, secret), message))
    assert oracle_verify(kp.public_key, message, ours)
    assert kp.verify(message, theirs)
    bad = bytearray(ours)
    bad[flip // 8] ^= 1 << (flip % 8)
    assert kp.verify(message, bytes(bad)) == oracle_verify(kp.public_key, message, bytes(bad))
    assert not kp.verify(message + b"!", ours)


junction_text = st.one_of(
    st.integers(0, 2**70).map(str),
    st.sampled_from(["+1", "01", "-1", " 1", "Alice", "hot", "ü", "x" * 40]),
    st.text(alphabet=st.characters(blacklist_characters="/\n", blacklist_categories=("Cs",)),
            min_size=1, max_size=40),
)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    junctions=st.lists(st.tuples(st.booleans(), junction_text), max_size=3),
    password=st.one_of(st.none(), st.text(alphabet="abc xyz/", max_size=8)),
    ed25519=st.booleans(),
)
def test_suri_fuzz_against_bittensor_wallet(
    junctions: list[tuple[bool, str]], password: str | None, ed25519: bool
) -> None:
    if ed25519:
        junctions = [(True, text) for _, text in junctions]  # ed25519 has hard junctions only
    suri = "".join(("//" if hard else "/") + text for hard, text in junctions)
    if password is not None:
        suri += "///" + password
    kind = 0 if ed25519 else 1
    ours = Keypair.create_from_uri(suri, crypto_type=kind)
    theirs = BtKeypair.create_from_uri(suri, crypto_type=kind)
    assert ours.ss58_address == theirs.ss58_address, suri


def test_verify_never_raises_on_garbage() -> None:
    kp = Keypair.create_from_uri("//Bob")
    for sig in (b"", b"\x00" * 63, b"\xff" * 64, "0xzz", "nothex", 12345):
        assert kp.verify(b"m", sig) is False  # type: ignore[arg-type]
    watcher = Keypair(ss58_address=kp.ss58_address)
    assert watcher.verify(b"m", kp.sign(b"m"))
    with pytest.raises(ValueError, match="can verify but not sign"):
        watcher.sign(b"m")


def test_bytes_wrapping_is_accepted_like_bittensor_wallet() -> None:
    kp = Keypair.create_from_uri("//Alice")
    assert kp.verify(b"payload", kp.sign(b"<Bytes>payload</Bytes>"))


def test_secrets_stay_out_of_repr_and_pickle() -> None:
    phrase = Keypair.generate_mnemonic()
    kp = Keypair.create_from_mnemonic(phrase)
    assert kp.private_key is not None
    text = repr(kp)
    assert kp.ss58_address in text
    assert kp.private_key.hex() not in text and phrase.split()[0] not in text
    with pytest.raises(TypeError, match="refusing to pickle"):
        pickle.dumps(kp)
    watcher = pickle.loads(pickle.dumps(Keypair(public_key=kp.public_key)))
    assert watcher == kp and watcher.private_key is None


def test_crypto_type_is_read_by_one_rule() -> None:
    # Keys and the verify functions read crypto_type alike: names in any case and 1/0 as Python
    # or numpy ints; a bool or a float is a type error (verify once took True and 1.0 as sr25519).
    kp = Keypair.create_from_uri("//Alice", crypto_type="ed25519")
    sig = kp.sign(b"m")
    for kind in ("ed25519", "ED25519", 0, np.int64(0), np.uint8(0), taocore.CryptoType.ED25519):
        assert Keypair.create_from_uri("//Alice", crypto_type=kind) == kp
        assert taocore.crypto.verify(kp.public_key, b"m", sig, kind)
        assert taocore.crypto.verify_many([kp.public_key], [b"m"], [sig], kind).tolist() == [True]
    for bad, error in ((False, TypeError), (0.0, TypeError), (None, TypeError),
                       (np.int64(2), ValueError), ("ecdsa", ValueError)):
        with pytest.raises(error, match="crypto_type"):
            Keypair.create_from_uri("//Alice", crypto_type=bad)
        with pytest.raises(error, match="crypto_type"):
            taocore.crypto.verify(kp.public_key, b"m", sig, bad)
        with pytest.raises(error, match="crypto_type"):
            taocore.crypto.verify_batch([kp.public_key], [b"m"], [sig], bad)


def test_message_and_signature_types_are_bittensor_wallets() -> None:
    # Bytes-like objects and lists of byte values are taken, as bittensor-wallet takes them; an
    # int is refused (bytes(5) would have signed five zero bytes), and so are None and floats.
    kp = Keypair.create_from_uri("//Alice")
    bt = BtKeypair.create_from_uri("//Alice")
    for data in ([1, 2, 3], (1, 2, 3), bytearray(b"\x01\x02\x03"), np.array([1, 2, 3], np.uint8)):
        assert kp.verify(b"\x01\x02\x03", bt.sign(data))
        assert bt.verify(b"\x01\x02\x03", kp.sign(data))
        assert kp.verify(data, list(kp.sign(b"\x01\x02\x03")))
    for bad in (5, None, 1.5):
        with pytest.raises(TypeError, match="data must be bytes-like"):
            kp.sign(bad)  # type: ignore[arg-type]
        with pytest.raises(TypeError, match="data must be bytes-like"):
            kp.verify(bad, kp.sign(b"x"))  # type: ignore[arg-type]
        assert kp.verify(b"x", bad) is False  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="byte values"):
        kp.sign([1, 256])
    assert kp.verify(b"x", [1, 256]) is False  # a malformed signature is False, as documented


def test_a_password_that_is_not_a_str_is_refused() -> None:
    # create_from_mnemonic raised AttributeError ('int' object has no attribute 'encode'), and
    # a 0x-seed SURI ignored the argument altogether.
    phrase = Keypair.generate_mnemonic()
    with pytest.raises(TypeError, match="password must be a str, got int"):
        Keypair.create_from_mnemonic(phrase, password=5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="password must be a str, got bytes"):
        Keypair.create_from_uri("0x" + "00" * 32, password=b"pw")  # type: ignore[arg-type]
    ours = Keypair.create_from_uri("//Alice", password="pw").ss58_address
    assert ours == BtKeypair.create_from_uri("//Alice///pw").ss58_address


def test_bad_input_raises_value_error() -> None:
    with pytest.raises(ValueError, match="crypto_type"):
        Keypair.create_from_uri("//Alice", crypto_type="ecdsa")
    with pytest.raises(ValueError, match="seed must be 32 bytes"):
        Keypair.create_from_seed(b"short")
    with pytest.raises(ValueError, match="SoftKeyInPath"):
        Keypair.create_from_uri("//Alice/soft", crypto_type="ed25519")
    with pytest.raises(ValueError, match="InvalidSeed"):
        Keypair.create_from_uri("0x1234//Alice")
    with pytest.raises(ValueError, match="private_key must be 64 bytes"):
        Keypair.create_from_private_key(b"\x00" * 32)
    with pytest.raises(ValueError):
        Keypair.create_from_private_key(b"\xff" * 64)  # scalar not canonical
    with pytest.raises(ValueError, match="give ss58_address or public_key"):
        Keypair()
    with pytest.raises(ValueError, match="bad checksum"):
        Keypair(ss58_address="5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQZ")


def test_generate_mnemonic_round_trip() -> None:
    phrase = Keypair.generate_mnemonic(24)
    assert len(phrase.split()) == 24
    assert (Keypair.create_from_mnemonic(phrase).ss58_address
            == BtKeypair.create_from_mnemonic(phrase).ss58_address)
    assert taocore.is_valid_ss58_address(Keypair.create_from_mnemonic(phrase).ss58_address)


@settings(max_examples=40, deadline=None)
@given(seed=st.binary(min_size=32, max_size=32), message=st.binary(max_size=200))
def test_ed25519_keypair_signatures_equal_libsodium(seed: bytes, message: bytes) -> None:
    import nacl.signing

    kp = Keypair.create_from_seed(seed, crypto_type="ed25519")
    theirs = nacl.signing.SigningKey(seed)
    assert kp.public_key == bytes(theirs.verify_key)
    assert kp.sign(message) == theirs.sign(message).signature  # RFC 8032 is deterministic
