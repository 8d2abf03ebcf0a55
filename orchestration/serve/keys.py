"""API keys of ``chatwh serve``: one per client, each scoped to a list of assistants.

A key is ``cwk_`` and 32 random bytes (URL-safe base64); only its SHA-256 is stored (a key
is as random as a 256-bit secret, so an unsalted hash cannot be reversed by guessing), and
``chatwh keys create`` prints the key once. Every key has a ``key_id``, which the access log
and ``chatwh keys list`` show instead of the key.

The keys live in a small SQLite file of their own (``settings.keys_path``), not in the
warehouse: creating or revoking a key never waits for a nightly run (DuckDB's one writer),
and a running server sees a new or revoked key on the next request (it looks keys up in
the file every time; SQLite lets one process write while others read).
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import sqlite3
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from .sql import sql

KEY_PREFIX = "cwk_"
MAX_ASSISTANT_ID = 200


class KeysError(ValueError):
    """A key command that cannot be done (unknown key id, no assistant)."""


@dataclass(frozen=True)
class ApiKey:
    key_id: str
    assistants: tuple[str, ...]
    created_at: str
    revoked_at: str | None = None

    def covers(self, assistant_id: str) -> bool:
        return assistant_id in self.assistants

    def as_json(self) -> dict[str, object]:
        return {
            "key_id": self.key_id,
            "assistants": list(self.assistants),
            "created_at": self.created_at,
            "revoked_at": self.revoked_at,
        }


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _sha256(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogateescape")).hexdigest()


def _key(row: sqlite3.Row) -> ApiKey:
    return ApiKey(
        key_id=row["key_id"],
        assistants=tuple(json.loads(row["assistants"])),
        created_at=row["created_at"],
        revoked_at=row["revoked_at"],
    )


def checked_assistants(assistants: Sequence[str]) -> tuple[str, ...]:
    """The assistant ids of a new key: at least one, each non-empty, in order, once each."""
    ids = tuple(dict.fromkeys(assistant.strip() for assistant in assistants))
    if not ids:
        raise KeysError("a key needs at least one --assistant")
    for assistant in ids:
        if not assistant or len(assistant) > MAX_ASSISTANT_ID:
            raise KeysError(f"{assistant!r} is not an assistant id")
    return ids


class KeyStore:
    """The key file. Only ``create`` makes it (mode 600, in a folder that exists: a mistyped
    ``--warehouse`` makes nothing); reading a missing file finds no key."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()

    def _connection(self, create: bool = False) -> sqlite3.Connection | None:
        """This thread's connection (sqlite3 connections stay in the thread that made them);
        None while there is no key file and ``create`` is false."""
        connection = getattr(self._local, "connection", None)
        if connection is None:
            if not self.path.exists():
                if not create:
                    return None
                if not self.path.parent.is_dir():
                    raise KeysError(f"no folder {self.path.parent} for the key file")
                os.close(os.open(self.path, os.O_CREAT | os.O_WRONLY, 0o600))
            connection = sqlite3.connect(self.path, timeout=10, isolation_level=None)
            connection.row_factory = sqlite3.Row
            connection.execute(sql("keys_schema"))
            self._local.connection = connection
        return connection

    def create(self, assistants: Sequence[str]) -> tuple[ApiKey, str]:
        """A new key for ``assistants``: the stored record and the key itself (shown once)."""
        ids = checked_assistants(assistants)
        secret = KEY_PREFIX + secrets.token_urlsafe(32)
        key = ApiKey(key_id=f"k{secrets.token_hex(6)}", assistants=ids, created_at=_now())
        self._connection(create=True).execute(
            sql("keys_insert"),
            {
                "key_id": key.key_id,
                "key_sha256": _sha256(secret),
                "assistants": json.dumps(list(ids)),
                "created_at": key.created_at,
            },
        )
        return key, secret

    def all(self) -> list[ApiKey]:
        connection = self._connection()
        return [_key(row) for row in connection.execute(sql("keys_list"))] if connection else []

    def revoke(self, key_id: str) -> tuple[ApiKey, bool]:
        """Revoke ``key_id`` for good; the key and whether it was active until now."""
        connection = self._connection()
        row = None
        if connection is not None:
            stamp = {"key_id": key_id, "revoked_at": _now()}
            changed = connection.execute(sql("keys_revoke"), stamp).rowcount
            row = connection.execute(sql("keys_one"), {"key_id": key_id}).fetchone()
        if row is None:
            raise KeysError(f"no key {key_id!r}: `chatwh keys list` shows the key ids")
        return _key(row), bool(changed)

    def authenticate(self, secret: str) -> ApiKey | None:
        """The active key whose hash matches ``secret``; None for an unknown or revoked one."""
        connection = self._connection()
        if connection is None:
            return None
        row = connection.execute(sql("keys_lookup"), {"key_sha256": _sha256(secret)}).fetchone()
        return _key(row) if row else None
