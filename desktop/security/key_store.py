"""Locations of the data key: the OS credential store where one works, else a key file.

The credential store is Windows Credential Manager, macOS Keychain or the
Secret Service on Linux, reached through `keyring`. A shared deployment
names one key file instead, so every desk uses the same key.
"""

import base64
import binascii
import hashlib
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import keyring
import keyring.errors

from desktop import APP_NAME
from desktop.domain.errors import EncryptionKeyError
from desktop.security.encryption import KEY_BYTES, read_key_file, write_key_file

log = logging.getLogger(__name__)


class KeyLocation(Protocol):
    @property
    def description(self) -> str: ...

    def read(self) -> bytes | None:
        """Return the key, None when this location has none; raise if it is unusable."""
        ...

    def write_new(self, key: bytes) -> bool:
        """Store a new key here; False when this location cannot store one."""
        ...


@dataclass(frozen=True)
class FileKeyLocation:
    path: Path

    @property
    def description(self) -> str:
        return f"the key file {self.path}"

    def read(self) -> bytes | None:
        if not self.path.exists():
            return None
        return read_key_file(self.path)

    def write_new(self, key: bytes) -> bool:
        write_key_file(self.path, key)
        return True


@dataclass(frozen=True)
class CredentialStoreLocation:
    entry: str
    service: str = APP_NAME

    @property
    def description(self) -> str:
        return f"the system credential store ({self.service}, {self.entry})"

    def read(self) -> bytes | None:
        try:
            stored = keyring.get_password(self.service, self.entry)
        except keyring.errors.KeyringError as error:
            log.info("No usable credential store: %s", type(error).__name__)
            return None
        if stored is None:
            return None
        try:
            key = base64.urlsafe_b64decode(stored.encode("ascii"))
        except (binascii.Error, ValueError, UnicodeEncodeError) as error:
            raise EncryptionKeyError(
                f"The data key in {self.description} is damaged. Remove that entry and "
                "restore the key from your backup with --key-file."
            ) from error
        if len(key) != KEY_BYTES:
            raise EncryptionKeyError(f"The data key in {self.description} has the wrong length.")
        return key

    def write_new(self, key: bytes) -> bool:
        try:
            keyring.set_password(
                self.service, self.entry, base64.urlsafe_b64encode(key).decode("ascii")
            )
        except keyring.errors.KeyringError as error:
            log.info("Cannot store the data key in a credential store: %s", type(error).__name__)
            return False
        # Read it back: some stores accept a write and keep nothing.
        return self.read() == key


@dataclass
class DataKeySource:
    """The places to look for the data key, in order, and where a new one may go."""

    locations: list[KeyLocation]
    create_in: list[KeyLocation]
    created_at: KeyLocation | None = field(default=None)
    """Set when this source created a new key, so the user can be offered a backup."""
    new_key: bytes | None = field(default=None, repr=False)

    def describe(self) -> str:
        return " or ".join(location.description for location in self.locations)

    def load(self) -> bytes | None:
        for location in self.locations:
            key = location.read()
            if key is not None:
                log.debug("Data key loaded from %s", location.description)
                return key
        return None

    def create(self, key: bytes) -> None:
        for location in self.create_in:
            if location.write_new(key):
                self.created_at = location
                self.new_key = key
                log.info("Stored a new data key in %s", location.description)
                return
        raise EncryptionKeyError("A new data key could not be stored in " + self.describe() + ".")


def key_file_only(path: Path) -> DataKeySource:
    """Use one named key file, as shared deployments and --key-file require."""
    location = FileKeyLocation(path)
    return DataKeySource([location], [location])


def default_key_source(database_identity: str, key_file: Path) -> DataKeySource:
    """Look in the credential store, then the key file; create in the store where it works."""
    digest = hashlib.sha256(database_identity.encode("utf-8")).hexdigest()[:16]
    store = CredentialStoreLocation(f"data-key-{digest}")
    file = FileKeyLocation(key_file)
    return DataKeySource([store, file], [store, file])
