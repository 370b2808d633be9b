"""Storage used by the domain services: one small key-value interface, LMDB underneath."""
from server.storage.kv import KeyValueStore, Transaction
from server.storage.lmdb_store import LmdbStore

__all__ = ["KeyValueStore", "Transaction", "LmdbStore"]
