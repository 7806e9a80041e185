"""Encryption of secrets at rest and the data key file."""

import base64
import stat
from pathlib import Path

import pytest

from desktop.domain.errors import EncryptionKeyError
from desktop.security.encryption import (
    KEY_BYTES,
    SecretBox,
    generate_key,
    read_key_file,
    write_key_file,
)

CONTEXT = "api-secret:sd_0123456789abcdef01234567"


def test_secret_box_roundtrip() -> None:
    box = SecretBox(generate_key())

    sealed = box.encrypt("s3cret-välue", CONTEXT)

    assert box.decrypt(sealed, CONTEXT) == "s3cret-välue"


def test_secret_box_hides_plaintext() -> None:
    box = SecretBox(generate_key())

    sealed = box.encrypt("plain-text-marker", CONTEXT)

    assert b"plain-text-marker" not in sealed


def test_secret_box_fresh_nonce() -> None:
    box = SecretBox(generate_key())

    assert box.encrypt("same", CONTEXT) != box.encrypt("same", CONTEXT)


def test_secret_box_wrong_context_fails() -> None:
    box = SecretBox(generate_key())
    sealed = box.encrypt("secret", CONTEXT)

    with pytest.raises(EncryptionKeyError, match="totp-secret:7"):
        box.decrypt(sealed, "totp-secret:7")


def test_secret_box_wrong_key_fails() -> None:
    sealed = SecretBox(generate_key()).encrypt("secret", CONTEXT)
    other = SecretBox(generate_key())

    with pytest.raises(EncryptionKeyError, match="cannot be decrypted"):
        other.decrypt(sealed, CONTEXT)


def test_secret_box_tampered_fails() -> None:
    box = SecretBox(generate_key())
    sealed = bytearray(box.encrypt("secret", CONTEXT))
    sealed[-1] ^= 0x01

    with pytest.raises(EncryptionKeyError):
        box.decrypt(bytes(sealed), CONTEXT)


@pytest.mark.parametrize("stored", [b"", b"\x01short", b"\x02" + bytes(40)])
def test_secret_box_unknown_format_fails(stored: bytes) -> None:
    box = SecretBox(generate_key())

    with pytest.raises(EncryptionKeyError, match="not in a known format"):
        box.decrypt(stored, CONTEXT)


@pytest.mark.parametrize("length", [0, 16, KEY_BYTES - 1, KEY_BYTES + 1])
def test_secret_box_rejects_key_length(length: int) -> None:
    with pytest.raises(EncryptionKeyError, match=str(length)):
        SecretBox(bytes(length))


def test_verifier_matches_own_key() -> None:
    box = SecretBox(generate_key())

    assert box.matches(box.make_verifier())


def test_verifier_rejects_other_key() -> None:
    verifier = SecretBox(generate_key()).make_verifier()

    assert not SecretBox(generate_key()).matches(verifier)


def test_key_id_differs_per_key() -> None:
    assert SecretBox(generate_key()).key_id != SecretBox(generate_key()).key_id


def test_key_file_roundtrip(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "stepdesk.key"
    key = generate_key()

    write_key_file(path, key)

    assert read_key_file(path) == key


def test_key_file_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "stepdesk.key"

    write_key_file(path, generate_key())

    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_key_file_never_replaced(tmp_path: Path) -> None:
    path = tmp_path / "stepdesk.key"
    key = generate_key()
    write_key_file(path, key)

    with pytest.raises(FileExistsError):
        write_key_file(path, generate_key())
    assert read_key_file(path) == key


def test_key_file_missing_names_path(tmp_path: Path) -> None:
    path = tmp_path / "absent.key"

    with pytest.raises(EncryptionKeyError, match="does not exist") as raised:
        read_key_file(path)

    assert str(path) in str(raised.value)


@pytest.mark.parametrize(
    "content",
    [
        b"this is not a key\n",
        b"\xff\xfe\x00garbage",
        base64.urlsafe_b64encode(bytes(16)) + b"\n",
        b"",
    ],
)
def test_key_file_corrupt_names_path(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "corrupt.key"
    path.write_bytes(content)

    with pytest.raises(EncryptionKeyError) as raised:
        read_key_file(path)

    assert str(path) in str(raised.value)


def test_key_file_folder_names_path(tmp_path: Path) -> None:
    path = tmp_path / "a-folder.key"
    path.mkdir()

    with pytest.raises(EncryptionKeyError) as raised:
        read_key_file(path)

    assert str(path) in str(raised.value)
