"""Keyed pseudonyms (HMAC-SHA256) computed set-at-a-time inside DuckDB.

HMAC(K, m) = SHA256((K' xor opad) || SHA256((K' xor ipad) || m)), where K' is the key
padded to the 64-byte block. The two padded keys are computed once here, in Python, and
bound as parameters; DuckDB then hashes every row in one pass.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass

BLOCK_SIZE = 64


@dataclass(frozen=True)
class HmacPads:
    inner_hex: str
    outer_hex: str

    def params(self, prefix: str = "") -> dict[str, str]:
        """The pads as the named parameters of hmac_sql(..., pads=prefix)."""
        return {f"{prefix}inner_pad": self.inner_hex, f"{prefix}outer_pad": self.outer_hex}


def hmac_pads(key: bytes) -> HmacPads:
    """The inner and outer padded keys of HMAC-SHA256, as hex for binding."""
    if len(key) > BLOCK_SIZE:
        key = hashlib.sha256(key).digest()
    block = key.ljust(BLOCK_SIZE, b"\0")
    inner = bytes(byte ^ 0x36 for byte in block)
    outer = bytes(byte ^ 0x5C for byte in block)
    return HmacPads(inner.hex(), outer.hex())


def hmac_sql(value_sql: str, pads: str = "") -> str:
    """A DuckDB expression: the hex HMAC-SHA256 of ``value_sql``.

    The statement binds the pads as ``$inner_pad`` and ``$outer_pad`` (see hmac_pads), or
    ``$<pads>inner_pad`` and ``$<pads>outer_pad`` for a second key.
    """
    inner, outer = f"${pads}inner_pad", f"${pads}outer_pad"
    return f"sha256(unhex({outer}) || unhex(sha256(unhex({inner}) || encode({value_sql}))))"


def pseudonymize(key: bytes, value: str) -> str:
    """The same pseudonym in plain Python (for `chatwh forget` and for tests)."""
    return hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest()


# What the fingerprint of a key is the HMAC of: a fixed label, so the fingerprint tells keys
# apart and says nothing of the key (nor of any wa_id).
FINGERPRINT_LABEL = "chatwh pseudonym key fingerprint v1"


def key_fingerprint(key: bytes) -> str:
    """The fingerprint of a pseudonym key that a warehouse keeps (never the key itself)."""
    return pseudonymize(key, FINGERPRINT_LABEL)


# A wa_id is a phone number in international form, as WhatsApp writes it in `from`: the
# country code first, digits only. E.164 numbers have at most 15 digits; the shortest in use
# have 7 (a 3-digit country code and a 4-digit number, as in Niue or Saint Helena), and no
# country code starts with 0. A user who set a username and has no phone number in the
# payloads is keyed by the business-scoped user id (`from_user_id`), e.g. US.13491208655302741918.
WA_ID_DIGITS = (7, 15)
_PHONE = re.compile(rf"[1-9][0-9]{{{WA_ID_DIGITS[0] - 1},{WA_ID_DIGITS[1] - 1}}}")
_BUSINESS_SCOPED_ID = re.compile(r"[A-Z]{2}\.[0-9]{1,40}")
_SEPARATORS = re.compile(r"[+\s-]")


def normalize_wa_id(text: str) -> str:
    """The wa_id as WhatsApp writes it in ``from`` (``+34 600-000 000`` -> ``34600000000``),
    or a business-scoped user id as it is; ValueError, saying what a wa_id is, otherwise
    (without repeating the text: it may be most of a phone number)."""
    text = text.strip()
    if _BUSINESS_SCOPED_ID.fullmatch(text):
        return text
    digits = _SEPARATORS.sub("", text)
    if not _PHONE.fullmatch(digits):
        raise ValueError(
            "that is not a WhatsApp id: give the phone number with its country code, "
            f"{WA_ID_DIGITS[0]} to {WA_ID_DIGITS[1]} digits (+, spaces and dashes are ignored), "
            "e.g. 34600000000, or a business-scoped user id such as US.13491208655302741918"
        )
    return digits
