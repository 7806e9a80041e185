"""Time-based one-time passwords (RFC 6238) with the parameters every app reads.

Microsoft Authenticator ignores the algorithm, digits and period of an
otpauth URI and shows SHA-1, 6-digit, 30-second codes regardless, so the
product's own API offers no other parameters. `hotp_code` takes them only
so that the RFC test vectors can be checked against the same primitive.
"""

import base64
import hashlib
import hmac
import re
import secrets
import unicodedata
from datetime import datetime
from urllib.parse import quote

import pyotp

DIGITS = 6
PERIOD_SECONDS = 30
SECRET_BYTES = 20

_CODE_SEPARATORS = re.compile(r"[\s\-]")


def new_secret() -> str:
    """Return a fresh 20-byte secret as upper-case base32 without padding."""
    return base64.b32encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii").rstrip("=")


def time_step(at: datetime) -> int:
    return int(at.timestamp()) // PERIOD_SECONDS


def hotp_code(secret_b32: str, counter: int, *, digits: int = DIGITS, digest: str = "sha1") -> str:
    """Compute the HOTP value (RFC 4226) for `counter`; a string, so leading zeros stay."""
    hash_function = getattr(hashlib, digest)
    return str(pyotp.HOTP(secret_b32, digits=digits, digest=hash_function).at(counter))


def code_at_step(secret_b32: str, step: int) -> str:
    return hotp_code(secret_b32, step)


def normalise_code(typed: str) -> str:
    """Strip whitespace and dashes from a typed or pasted code.

    Raises ValueError naming the problem when the rest is not six digits.
    """
    # NFKC turns full-width digits from East Asian input methods into ASCII ones.
    code = _CODE_SEPARATORS.sub("", unicodedata.normalize("NFKC", typed))
    if not code:
        raise ValueError("Enter the 6-digit code from your authenticator app.")
    if not code.isascii() or not code.isdigit():
        raise ValueError(f"The code '{typed.strip()}' must contain digits only.")
    if len(code) != DIGITS:
        raise ValueError(
            f"The code '{typed.strip()}' has {len(code)} digits: enter all {DIGITS} digits."
        )
    return code


def matching_steps(secret_b32: str, code: str, steps: range) -> list[int]:
    """Return the steps in `steps` whose code equals `code`, compared in constant time."""
    return [step for step in steps if hmac.compare_digest(code_at_step(secret_b32, step), code)]


def provisioning_uri(secret_b32: str, issuer: str, account: str) -> str:
    """Build an otpauth URI in the Key URI format that authenticator apps read.

    Both label parts are percent-encoded (a space becomes %20, never '+'),
    a colon inside either is replaced by a space because it separates them,
    and `issuer=` repeats the label prefix.
    """
    clean_issuer = _label_part(issuer)
    clean_account = _label_part(account)
    label = f"{quote(clean_issuer, safe='')}:{quote(clean_account, safe='')}"
    # algorithm, digits and period are left out: their defaults are the only
    # values used, and a shorter URI gives a smaller QR code that scans more easily.
    query = f"secret={secret_b32.upper().rstrip('=')}&issuer={quote(clean_issuer, safe='')}"
    return f"otpauth://totp/{label}?{query}"


def format_setup_key(secret_b32: str) -> str:
    """Group the base32 secret in fours for typing by hand."""
    return " ".join(secret_b32[i : i + 4] for i in range(0, len(secret_b32), 4))


def _label_part(name: str) -> str:
    return " ".join(name.replace(":", " ").split())
