"""Single-use recovery codes, stored hashed.

Each code carries 80 random bits in 16 base32 characters, shown in groups
of four. They are hashed with Argon2id at a lower cost than passwords,
because checking a typed code may try all ten hashes.
"""

import base64
import re
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

CODE_COUNT = 10
CODE_BYTES = 10  # 80 bits
_GROUP = 4
_SEPARATORS = re.compile(r"[\s\-]")

# About 4 ms per hash on the 2-core development machine, so ten checks take well under a second.
_hasher = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)


def new_codes(count: int = CODE_COUNT) -> list[str]:
    return [
        _format(base64.b32encode(secrets.token_bytes(CODE_BYTES)).decode()) for _ in range(count)
    ]


def normalise(typed: str) -> str:
    """Drop spaces and dashes and upper-case; raise ValueError naming a malformed code."""
    code = _SEPARATORS.sub("", typed).upper()
    if len(code) != CODE_BYTES * 8 // 5 or not re.fullmatch(r"[A-Z2-7]+", code):
        raise ValueError(
            f"'{typed.strip()}' is not a recovery code: enter one of your 16-character "
            "codes, such as ABCD-EFGH-JKLM-NPQR."
        )
    return code


def hash_code(code: str) -> str:
    return _hasher.hash(normalise(code))


def matches(code_hash: str, normalised_code: str) -> bool:
    try:
        return _hasher.verify(code_hash, normalised_code)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def _format(code: str) -> str:
    return "-".join(code[i : i + _GROUP] for i in range(0, len(code), _GROUP))
