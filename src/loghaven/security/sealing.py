"""Secrets the node must read back (SigV4 secrets: the signature check needs the secret
itself), sealed at rest with AES-256-GCM under a node key.

The key is ``security/credentials.key`` in the data folder, created on first use with mode
0600 (never readable by others, not even for a moment). It keeps the secrets out of the
metastore's file, its backups and anything exported from it; whoever reads the whole data
folder reads the key too (docs/decisions/0008-protocol-credentials.md).
"""

from __future__ import annotations

import base64
import os
import secrets
import stat
import threading
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

KEY_FILE = Path("security") / "credentials.key"
_KEY_BYTES = 32


class SealingError(Exception):
    """The node key is unreadable, or a sealed value does not open with it."""


class NodeKey:
    """The data folder's sealing key, loaded (or created) on first use."""

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / KEY_FILE
        self._aead: AESGCM | None = None
        self._lock = threading.Lock()

    def seal(self, plaintext: str, context: str) -> str:
        """``plaintext`` encrypted, bound to ``context`` (the record's id): base64 of nonce
        and ciphertext."""
        nonce = secrets.token_bytes(12)
        sealed = self._cipher().encrypt(nonce, plaintext.encode(), context.encode())
        return base64.b64encode(nonce + sealed).decode()

    def unseal(self, sealed: str, context: str) -> str:
        data = base64.b64decode(sealed)
        try:
            return self._cipher().decrypt(data[:12], data[12:], context.encode()).decode()
        except Exception as exc:  # InvalidTag: another node key, or a changed record
            raise SealingError(f"a sealed secret does not open with [{self.path}]") from exc

    def _cipher(self) -> AESGCM:
        with self._lock:
            if self._aead is None:
                self._aead = AESGCM(self._load())
            return self._aead

    def _load(self) -> bytes:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            descriptor = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            mode = stat.S_IMODE(self.path.stat().st_mode)
            if mode & 0o077:
                raise SealingError(f"[{self.path}] is readable by others (mode "
                                   f"{mode:o}); run `chmod 600` on it") from None
            key = self.path.read_bytes()
            if len(key) != _KEY_BYTES:
                raise SealingError(f"[{self.path}] is not a node key") from None
            return key
        key = secrets.token_bytes(_KEY_BYTES)
        with os.fdopen(descriptor, "wb") as file:
            file.write(key)
        return key
