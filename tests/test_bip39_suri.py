"""BIP39 (Substrate flavour), SURI parsing and junction chain codes: vectors and oracles."""

from __future__ import annotations

import bip39  # py-bip39-bindings: tiny-bip39, the crate Substrate uses
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import load_vectors
from taocore._bip39 import generate_mnemonic, mini_secret_from_mnemonic, mnemonic_to_entropy
from taocore._suri import DEV_PHRASE, junction_chain_code, parse_suri

VEC = load_vectors("crypto-vectors.json")


@pytest.mark.parametrize("case", VEC["bip39"]["cases"], ids=lambda c: c["phrase"][:24])
def test_bip39_vectors(case: dict[str, str]) -> None:
    assert mnemonic_to_entropy(case["phrase"]).hex() == case["entropy"]
    assert mini_secret_from_mnemonic(case["phrase"], case["password"]).hex() == case["mini_secret"]


REJECT_REASON = {
    "bad checksum": "checksum",
    "unknown word": "not in the BIP39 English word list",
    "11 words": "12, 15, 18, 21 or 24 words",
    "upper case word": "not in the BIP39 English word list",
}


@pytest.mark.parametrize("case", VEC["bip39"]["negative_and_edge"], ids=lambda c: c["case"])
def test_bip39_negative_and_whitespace(case: dict[str, str]) -> None:
    phrase = case["phrase"]
    if case["case"] in REJECT_REASON:
        with pytest.raises(ValueError, match=REJECT_REASON[case["case"]]) as exc:
            mnemonic_to_entropy(phrase)
        # The message must not quote the secret words.
        assert not any(word in str(exc.value) for word in phrase.split() if len(word) > 3)
    else:
        # bittensor-wallet accepts whitespace variants and gets the canonical phrase's key.
        canonical = " ".join(phrase.split())
        assert mnemonic_to_entropy(phrase) == mnemonic_to_entropy(canonical)


@settings(max_examples=60, deadline=None)
@given(n_words=st.sampled_from([12, 15, 18, 21, 24]), password=st.text(max_size=20))
def test_generated_mnemonics_match_tiny_bip39(n_words: int, password: str) -> None:
    phrase = generate_mnemonic(n_words)
    assert len(phrase.split()) == n_words
    assert bip39.bip39_validate(phrase)
    assert mini_secret_from_mnemonic(phrase, password) == bytes(
        bip39.bip39_to_mini_secret(phrase, password)
    )


@settings(max_examples=40, deadline=None)
@given(n_words=st.sampled_from([12, 24]))
def test_oracle_generated_mnemonics_decode(n_words: int) -> None:
    phrase = bip39.bip39_generate(n_words)
    assert mini_secret_from_mnemonic(phrase) == bytes(bip39.bip39_to_mini_secret(phrase, ""))


def test_generate_mnemonic_rejects_bad_sizes() -> None:
    for bad in (0, 11, 13, 25, True):
        with pytest.raises(ValueError, match="n_words"):
            generate_mnemonic(bad)


@pytest.mark.parametrize(
    "case", VEC["derivation"]["junction_chain_codes"]["cases"], ids=lambda c: c["junction_text"]
)
def test_junction_chain_codes(case: dict[str, str]) -> None:
    assert junction_chain_code(case["junction_text"]).hex() == case["chain_code"]


@pytest.mark.parametrize("case", VEC["derivation"]["suri_parse"]["cases"], ids=lambda c: c["suri"])
def test_suri_parse_vectors(case: dict[str, object]) -> None:
    suri = str(case["suri"])
    if not case["ok"]:
        with pytest.raises(ValueError, match=str(case["error"])):
            parse_suri(suri)
        return
    parsed = parse_suri(suri)
    assert parsed.phrase == case["phrase"]
    assert (parsed.phrase == DEV_PHRASE) == case["phrase_is_dev_default"]
    assert parsed.password == case["password"]
    want = [
        (text.startswith("//"), junction_chain_code(text.lstrip("/")))
        for text in case["junctions"]  # type: ignore[attr-defined]
    ]
    assert [(j.hard, j.chain_code) for j in parsed.junctions] == want


def test_suri_repr_hides_secrets() -> None:
    parsed = parse_suri("legal winner thank year//hot/1///hunter2")
    assert "legal" not in repr(parsed) and "hunter2" not in repr(parsed)
    assert "'//…/…'" in repr(parsed)
