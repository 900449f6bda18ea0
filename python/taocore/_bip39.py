"""BIP39 mnemonics the way Substrate (and so every Bittensor wallet) turns them into keys.

Substrate does not use the standard BIP39 seed: it runs PBKDF2 over the mnemonic's *entropy*
bytes, not over the phrase text, and keeps the first 32 bytes as the sr25519/ed25519 mini
secret. The word list is the BIP39 English list (bip39_english.txt, SHA-256
2f5eed53a4727b4bf8880d8f3f199efc90e58503646d9ff8eff3a2ed3b24dbda, copied from the `mnemonic`
package 0.21). Error messages never quote the phrase or its words: a mnemonic is a secret.
"""

from __future__ import annotations

import hashlib
import secrets
from functools import cache
from importlib import resources

from taocore._checks import integer, text

__all__ = ["generate_mnemonic", "mini_secret_from_mnemonic", "mnemonic_to_entropy"]

_WORD_COUNTS = (12, 15, 18, 21, 24)


@cache
def _words() -> tuple[tuple[str, ...], dict[str, int]]:
    text = resources.files("taocore").joinpath("bip39_english.txt").read_text(encoding="utf-8")
    words = tuple(text.split())
    if len(words) != 2048:  # pragma: no cover - a broken install
        raise RuntimeError("taocore's BIP39 word list is damaged")
    return words, {w: i for i, w in enumerate(words)}


def mnemonic_to_entropy(phrase: str) -> bytes:
    """Decode a BIP39 English mnemonic to its entropy, checking the checksum.

    Words are separated by any whitespace (leading, trailing and repeated whitespace are
    accepted, as the bittensor wallet accepts them); words must be lower case.
    """
    if not isinstance(phrase, str):
        raise TypeError(f"mnemonic must be a str, got {type(phrase).__name__}")
    words = phrase.split()
    if len(words) not in _WORD_COUNTS:
        raise ValueError(f"a mnemonic has 12, 15, 18, 21 or 24 words, this one has {len(words)}")
    _, index = _words()
    value = 0
    for position, word in enumerate(words, start=1):
        i = index.get(word)
        if i is None:
            raise ValueError(f"mnemonic word {position} is not in the BIP39 English word list")
        value = (value << 11) | i
    checksum_bits = len(words) // 3
    entropy = (value >> checksum_bits).to_bytes(len(words) * 4 // 3, "big")
    checksum = value & ((1 << checksum_bits) - 1)
    if hashlib.sha256(entropy).digest()[0] >> (8 - checksum_bits) != checksum:
        raise ValueError("mnemonic checksum is wrong (a word is mistyped or out of order)")
    return entropy


def mini_secret_from_mnemonic(phrase: str, password: str = "") -> bytes:
    """Return Substrate's 32-byte mini secret for a mnemonic and optional password."""
    salt = b"mnemonic" + text("password", password).encode("utf-8")
    entropy = mnemonic_to_entropy(phrase)
    seed = hashlib.pbkdf2_hmac("sha512", entropy, salt, 2048)
    return seed[:32]


def generate_mnemonic(n_words: int = 12) -> str:
    """Return a new random BIP39 English mnemonic of 12, 15, 18, 21 or 24 words."""
    n_words = integer("n_words", n_words)
    if n_words not in _WORD_COUNTS:
        raise ValueError(f"n_words must be 12, 15, 18, 21 or 24, got {n_words!r}")
    entropy = secrets.token_bytes(n_words * 4 // 3)
    checksum_bits = n_words // 3
    value = (int.from_bytes(entropy, "big") << checksum_bits) | (
        hashlib.sha256(entropy).digest()[0] >> (8 - checksum_bits)
    )
    words, _ = _words()
    return " ".join(words[(value >> (11 * k)) & 0x7FF] for k in reversed(range(n_words)))
