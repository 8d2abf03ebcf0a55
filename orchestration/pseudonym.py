"""Keyed pseudonyms (HMAC-SHA256) computed set-at-a-time inside DuckDB.

HMAC(K, m) = SHA256((K' xor opad) || SHA256((K' xor ipad) || m)), where K' is the key
padded to the 64-byte block. The two padded keys are computed once here, in Python, and
bound as parameters; DuckDB then hashes every row in one pass.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

BLOCK_SIZE = 64


@dataclass(frozen=True)
class HmacPads:
    inner_hex: str
    outer_hex: str


def hmac_pads(key: bytes) -> HmacPads:
    """The inner and outer padded keys of HMAC-SHA256, as hex for binding."""
    if len(key) > BLOCK_SIZE:
        key = hashlib.sha256(key).digest()
    block = key.ljust(BLOCK_SIZE, b"\0")
    inner = bytes(byte ^ 0x36 for byte in block)
    outer = bytes(byte ^ 0x5C for byte in block)
    return HmacPads(inner.hex(), outer.hex())


def hmac_sql(value_sql: str) -> str:
    """A DuckDB expression: the hex HMAC-SHA256 of ``value_sql``.

    The statement binds the pads as ``$inner_pad`` and ``$outer_pad`` (see hmac_pads).
    """
    return f"sha256(unhex($outer_pad) || unhex(sha256(unhex($inner_pad) || encode({value_sql}))))"


def pseudonymize(key: bytes, value: str) -> str:
    """The same pseudonym in plain Python (for `chatwh forget` and for tests)."""
    return hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest()
