"""Tracking codes and PINs.

A tracking code is read aloud over the phone and typed from an SMS, so its alphabet leaves out the characters people
confuse (0/O, 1/I/L) and its last character is a Luhn mod-N check character (python-stdnum), which catches every
single-character typo and most swaps of neighbours before we spend a database read on it.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

from stdnum import luhn

ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
"""30 symbols: digits 2-9 and the letters without I, L, O and U (U and V are confused in handwriting). An even count
matters: Luhn mod N catches every single-symbol error only when N is even (for odd N the doubling step is not a
permutation)."""

BODY_LENGTH = 8
CODE_LENGTH = BODY_LENGTH + 1
PIN_LENGTH = 6

_SEPARATORS = re.compile(r"[\s\-_.]")


def new_tracking_code(randbelow=secrets.randbelow) -> str:  # type: ignore[no-untyped-def]
    """A random code of BODY_LENGTH symbols plus its check character."""
    body = "".join(ALPHABET[randbelow(len(ALPHABET))] for _ in range(BODY_LENGTH))
    return body + luhn.calc_check_digit(body, alphabet=ALPHABET)


def normalize_tracking_code(raw: str) -> str | None:
    """The canonical code for what a person typed, or None when it cannot be one of ours.

    Case, spaces and dashes are forgiven; a wrong check character is not.
    """
    code = _SEPARATORS.sub("", raw).upper()
    if len(code) != CODE_LENGTH or any(ch not in ALPHABET for ch in code):
        return None
    if not luhn.is_valid(code, alphabet=ALPHABET):
        return None
    return code


def format_tracking_code(code: str) -> str:
    """Grouped for reading aloud: 4 + 5 symbols."""
    return f"{code[:4]}-{code[4:]}"


def new_pin(randbelow=secrets.randbelow) -> str:  # type: ignore[no-untyped-def]
    return "".join(str(randbelow(10)) for _ in range(PIN_LENGTH))


def derived_pin(secret: bytes, *parts: str) -> str:
    """A PIN computed from a server secret and the request's idempotency key.

    Replaying an idempotent request must return the same PIN, but the PIN may only be stored as a salted hash; so
    when the client sent a key, the PIN is HMAC(secret, key, code) and can be computed again from the key alone.
    """
    digest = hmac.new(secret, "\x1f".join(parts).encode(), hashlib.sha256).digest()
    number = int.from_bytes(digest[:8], "big") % (10**PIN_LENGTH)
    return f"{number:0{PIN_LENGTH}d}"


def hash_pin(pin: str, salt: bytes, pepper: bytes) -> str:
    """Salted and peppered: a leaked database alone does not allow a 10^6 brute force."""
    return hmac.new(pepper, salt + pin.encode(), hashlib.sha256).hexdigest()


def check_pin(pin: str, salt: bytes, pepper: bytes, expected_hash: str) -> bool:
    return hmac.compare_digest(hash_pin(pin, salt, pepper), expected_hash)


def keyed_digest(secret: bytes, *parts: str) -> str:
    """Opaque, stable id for a marker document (duplicate NIK, idempotency key, rate-limit bucket).

    Keyed, because NIKs and phone numbers are enumerable: a plain hash of them would be reversible.
    """
    return hmac.new(secret, "\x1f".join(parts).encode(), hashlib.sha256).hexdigest()
