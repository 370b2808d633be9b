"""Storage used by the domain services: one small key-value interface, LMDB underneath
(embedded, the default) or PostgreSQL (several replicas on one database)."""
from __future__ import annotations

from pathlib import Path

from server.storage.kv import KeyValueStore, Transaction
from server.storage.lmdb_store import LmdbStore

__all__ = ["KeyValueStore", "Transaction", "LmdbStore", "open_store"]


def open_store(kind: str, data_dir: Path, postgres_dsn: str = "") -> KeyValueStore:
    if kind == "lmdb":
        return LmdbStore(data_dir / "store")
    if kind == "postgres":
        # psycopg is the optional `postgres` extra: imported only when this backend is chosen.
        from server.storage.postgres_store import PostgresStore
        return PostgresStore(postgres_dsn)
    raise ValueError(f"storage must be lmdb or postgres, got {kind!r}")
