"""Secret URIs (``phrase//hard/soft///password``) and derivation junctions, as sp-core parses them.

sp-core is what the bittensor wallet uses, so these rules are the ones that decide which key a
user gets for a given string. Error messages name the sp-core error kind and never quote the
secret text.
"""

from __future__ import annotations

from dataclasses import dataclass

from taocore import crypto

__all__ = ["DEV_PHRASE", "Junction", "SecretUri", "junction_chain_code", "parse_suri"]

#: The phrase Substrate uses when a SURI has none (``//Alice`` is DEV_PHRASE + ``//Alice``).
DEV_PHRASE = "bottom drive obey lake curtain smoke basket hold race lonely fit walk"

_U64_MAX = (1 << 64) - 1
_PHRASE_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ")


@dataclass(frozen=True)
class Junction:
    """One derivation step: hard (``//``) or soft (``/``), with its 32-byte chain code."""

    hard: bool
    chain_code: bytes

    @classmethod
    def from_text(cls, text: str, hard: bool) -> Junction:
        """Build a junction from its text (without the slashes)."""
        return cls(hard=hard, chain_code=junction_chain_code(text))


@dataclass(frozen=True)
class SecretUri:
    """A parsed SURI. ``repr`` hides the phrase and password."""

    phrase: str
    junctions: tuple[Junction, ...]
    password: str | None

    def __repr__(self) -> str:
        path = "".join("//…" if j.hard else "/…" for j in self.junctions)
        return f"SecretUri(phrase=<hidden>, junctions={path!r}, password=<hidden>)"


def _scale_compact(n: int) -> bytes:
    if n < 1 << 6:
        return bytes([n << 2])
    if n < 1 << 14:
        return ((n << 2) | 1).to_bytes(2, "little")
    if n < 1 << 30:
        return ((n << 2) | 2).to_bytes(4, "little")
    body = n.to_bytes(max(4, (n.bit_length() + 7) // 8), "little")
    return bytes([((len(body) - 4) << 2) | 3]) + body


def _rust_u64(text: str) -> int | None:
    # Rust's u64::from_str: an optional single '+', then ASCII digits only, no overflow.
    digits = text[1:] if text.startswith("+") else text
    if not digits or not all("0" <= c <= "9" for c in digits):
        return None
    value = int(digits)
    return value if value <= _U64_MAX else None


def junction_chain_code(text: str) -> bytes:
    """The 32-byte chain code sp-core derives from a junction's text.

    A text that Rust parses as a u64 is its 8 little-endian bytes; anything else is the SCALE
    encoding of the string. Encodings longer than 32 bytes are hashed with BLAKE2b-256, shorter
    ones are zero padded.
    """
    number = _rust_u64(text)
    if number is not None:
        encoded = number.to_bytes(8, "little")
    else:
        raw = text.encode("utf-8")
        encoded = _scale_compact(len(raw)) + raw
    if len(encoded) > 32:
        return crypto.blake2b(encoded, 32)
    return encoded.ljust(32, b"\0")


def parse_suri(suri: str) -> SecretUri:
    """Split a SURI into phrase, junctions and password exactly as sp-core does.

    An empty phrase means :data:`DEV_PHRASE`. Raises ``ValueError`` naming sp-core's error kind
    (InvalidCharacterInPhrase, InvalidCharacterInHardPath, InvalidCharacterInSoftPath,
    InvalidCharacterInPass).
    """
    if not isinstance(suri, str):
        raise TypeError(f"suri must be a str, got {type(suri).__name__}")
    pos = 0
    while pos < len(suri) and suri[pos] in _PHRASE_CHARS:
        pos += 1
    phrase = suri[:pos] or DEV_PHRASE
    junctions: list[Junction] = []
    password: str | None = None
    while pos < len(suri):
        if suri.startswith("///", pos):
            rest = suri[pos + 3 :]
            password, newline, _ = rest.partition("\n")
            if newline:
                raise ValueError("invalid secret URI: InvalidCharacterInPass (a newline)")
            break
        hard = suri.startswith("//", pos)
        start = pos + (2 if hard else 1)
        if not hard and not suri.startswith("/", pos):
            raise ValueError(
                f"invalid secret URI: InvalidCharacterInPhrase (character {pos + 1} is not a "
                "letter, digit, space or '/')"
            )
        end = suri.find("/", start)
        end = len(suri) if end < 0 else end
        if end == start:
            kind = "InvalidCharacterInHardPath" if hard else "InvalidCharacterInSoftPath"
            raise ValueError(f"invalid secret URI: {kind} (empty junction at character {pos + 1})")
        junctions.append(Junction.from_text(suri[start:end], hard))
        pos = end
    return SecretUri(phrase=phrase, junctions=tuple(junctions), password=password)
