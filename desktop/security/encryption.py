"""Authenticated encryption of secrets at rest (AES-256-GCM).

Each ciphertext is bound to what it protects through associated data, so a
ciphertext copied into another row fails to decrypt. The database stores
the key id and a verifier, never the key.
"""

import base64
import binascii
import hashlib
import logging
import os
import secrets
import subprocess
import sys
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from desktop.domain.errors import EncryptionKeyError

log = logging.getLogger(__name__)

KEY_BYTES = 32
_NONCE_BYTES = 12
_FORMAT = b"\x01"
_VERIFIER_TEXT = b"StepDesk data key verifier"
_VERIFIER_CONTEXT = "stepdesk:key-verifier"


class SecretBox:
    def __init__(self, key: bytes) -> None:
        if len(key) != KEY_BYTES:
            raise EncryptionKeyError(f"The data key has {len(key)} bytes; expected {KEY_BYTES}.")
        self._aead = AESGCM(key)
        self.key_id = hashlib.sha256(b"stepdesk key id\x00" + key).hexdigest()[:16]

    def encrypt(self, plaintext: str, context: str) -> bytes:
        nonce = secrets.token_bytes(_NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, plaintext.encode("utf-8"), context.encode("utf-8"))
        return _FORMAT + nonce + sealed

    def decrypt(self, ciphertext: bytes, context: str) -> str:
        if ciphertext[:1] != _FORMAT or len(ciphertext) < 1 + _NONCE_BYTES + 16:
            raise EncryptionKeyError(f"A stored secret for {context} is not in a known format.")
        nonce = ciphertext[1 : 1 + _NONCE_BYTES]
        try:
            plain = self._aead.decrypt(nonce, ciphertext[1 + _NONCE_BYTES :], context.encode())
        except InvalidTag as error:
            raise EncryptionKeyError(
                f"A stored secret for {context} cannot be decrypted with this key."
            ) from error
        return plain.decode("utf-8")

    def make_verifier(self) -> bytes:
        return self.encrypt(_VERIFIER_TEXT.decode(), _VERIFIER_CONTEXT)

    def matches(self, verifier: bytes) -> bool:
        try:
            return self.decrypt(verifier, _VERIFIER_CONTEXT).encode() == _VERIFIER_TEXT
        except EncryptionKeyError:
            return False


def generate_key() -> bytes:
    return secrets.token_bytes(KEY_BYTES)


def read_key_file(path: Path) -> bytes:
    """Read a key file written by `write_key_file`; raise EncryptionKeyError if unusable."""
    try:
        text = path.read_text(encoding="ascii").strip()
    except FileNotFoundError as error:
        raise EncryptionKeyError(f"The key file {path} does not exist.") from error
    except (OSError, UnicodeDecodeError) as error:
        raise EncryptionKeyError(f"The key file {path} cannot be read: {error}.") from error
    try:
        key = base64.urlsafe_b64decode(text.encode("ascii"))
    except (binascii.Error, ValueError) as error:
        raise EncryptionKeyError(
            f"The key file {path} is not a StepDesk key: restore it from your backup."
        ) from error
    if len(key) != KEY_BYTES:
        raise EncryptionKeyError(
            f"The key file {path} is not a StepDesk key: restore it from your backup."
        )
    return key


def write_key_file(path: Path, key: bytes) -> None:
    """Create `path` readable by its owner only; never replace an existing file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="ascii") as handle:
        if sys.platform == "win32":
            _restrict_to_owner_on_windows(path)
        handle.write(base64.urlsafe_b64encode(key).decode("ascii") + "\n")
    log.info("Created a new data key file at %s", path)


def _restrict_to_owner_on_windows(path: Path) -> None:
    """Replace inherited permissions with full control for the current user only.

    Mode bits do not restrict other accounts on Windows, so an ACL does. This
    runs before the key is written, so a failure leaves no readable key behind.
    NOTE: written from the icacls documentation and not yet run on Windows.
    """
    user = os.environ.get("USERNAME", "")
    if not user:
        raise EncryptionKeyError(f"Cannot protect {path}: the USERNAME variable is not set.")
    result = subprocess.run(  # noqa: S603 - fixed program, arguments from this process
        ["icacls", str(path), "/inheritance:r", "/grant:r", f"{user}:F"],  # noqa: S607
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        path.unlink(missing_ok=True)
        raise EncryptionKeyError(
            f"Cannot restrict {path} to your account: {result.stderr.strip() or result.stdout}"
        )
