"""Where a device or the hub keeps its own private keys.

`KeyStore` is the one interface; `MappingKeyStore` keeps the two key texts in any
string-to-string store (the workspace's local, never-synced settings). A later step wraps
the values with the login key inside the getter and setter, so nothing here asks for a
passphrase or knows how the values are protected.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from wushan_desk.domain.errors import UserError
from wushan_desk.sync.crypto import CryptoError, PrivateKeys, Suite

SIGN_KEY = "sign_private_key"
ENCRYPT_KEY = "encrypt_identity"


class KeyStoreError(UserError):
    """The stored keys are incomplete or unreadable; `message` is for the user."""

    code = "bad-keys"


class KeyStore(Protocol):
    """Loads and saves this party's private keys."""

    def load(self) -> PrivateKeys | None:
        """The saved keys, or None if none were ever saved."""
        ...

    def save(self, keys: PrivateKeys) -> None:
        """Keep `keys`, replacing any saved before."""
        ...


class MappingKeyStore:
    """Keys kept as two text values under `SIGN_KEY` and `ENCRYPT_KEY`."""

    def __init__(self, get: Callable[[str], str | None], set: Callable[[str, str], None]) -> None:
        self._get = get
        self._set = set

    def load(self) -> PrivateKeys | None:
        """Both values, checked to form valid keys; None if neither is there."""
        sign, encrypt = self._get(SIGN_KEY), self._get(ENCRYPT_KEY)
        if sign is None and encrypt is None:
            return None
        if not sign or not encrypt:
            raise KeyStoreError("本机密钥不完整，无法签名或解密同步包。请联系县中心重新登记本机。")
        keys = PrivateKeys(sign=sign, encrypt=encrypt)
        try:
            keys.public()
        except CryptoError as exc:
            raise KeyStoreError("本机密钥已损坏，无法使用。请联系县中心重新登记本机。") from exc
        return keys

    def save(self, keys: PrivateKeys) -> None:
        """Write both values (the caller's transaction makes the pair atomic)."""
        self._set(SIGN_KEY, keys.sign)
        self._set(ENCRYPT_KEY, keys.encrypt)


def load_or_create(store: KeyStore, suite: Suite) -> PrivateKeys:
    """This party's keys, generating and saving new ones the first time."""
    keys = store.load()
    if keys is None:
        keys = suite.generate()
        store.save(keys)
    return keys
