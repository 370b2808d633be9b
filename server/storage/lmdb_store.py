"""LMDB implementation of the storage interface.

One environment under the data directory, one named sub-database per table. Every
write transaction is synced to disk before it returns (LMDB's default), so an
acknowledged write survives kill -9. When the memory map is full the map is doubled
and the transaction replayed, so callers never see MapFullError.
"""
from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import lmdb

from server.storage.kv import KeyValueStore, Transaction, prefix_end

T = TypeVar("T")
_INITIAL_MAP_SIZE = 64 << 20
_MAX_TABLES = 128


class _LmdbTransaction(Transaction):
    def __init__(self, txn: lmdb.Transaction, table: Callable[[str], object]):
        self._txn = txn
        self._table = table

    def get(self, table: str, key: bytes) -> bytes | None:
        return self._txn.get(key, db=self._table(table))

    def contains(self, table: str, key: bytes) -> bool:
        return self._txn.cursor(db=self._table(table)).set_key(key)  # positions; copies no value

    def put(self, table: str, key: bytes, value: bytes, *, overwrite: bool = True) -> bool:
        return self._txn.put(key, value, db=self._table(table), overwrite=overwrite)

    def delete(self, table: str, key: bytes) -> bool:
        return self._txn.delete(key, db=self._table(table))

    def scan(self, table, prefix=b"", *, start=None, reverse=False) -> Iterator[tuple[bytes, bytes]]:
        cursor = self._txn.cursor(db=self._table(table))
        if reverse:
            positioned = _seek_reverse(cursor, start, inclusive=True) if start is not None else _seek_reverse(
                cursor, prefix_end(prefix), inclusive=False
            )
            step = cursor.prev
        else:
            positioned = cursor.set_range(max(prefix, start) if start is not None else prefix)
            step = cursor.next
        while positioned and cursor.key().startswith(prefix):
            yield cursor.key(), cursor.value()
            positioned = step()


def _seek_reverse(cursor: lmdb.Cursor, bound: bytes | None, inclusive: bool) -> bool:
    """Put the cursor on the greatest key below bound (or equal to it, if inclusive)."""
    if bound is None or not cursor.set_range(bound):
        return cursor.last()
    if inclusive and cursor.key() == bound:
        return True
    return cursor.prev()


class LmdbStore(KeyValueStore):
    def __init__(self, path: Path | str, map_size: int = _INITIAL_MAP_SIZE):
        self.path = Path(path)
        self.path.mkdir(parents=True, exist_ok=True)
        self._env = lmdb.open(str(self.path), map_size=map_size, max_dbs=_MAX_TABLES, subdir=True, sync=True)
        self._tables: dict[str, object] = {}
        self._tables_lock = threading.Lock()
        # LMDB allows one writer at a time; holding this lock also keeps a resize from
        # running while a write transaction is open.
        self._write_lock = threading.Lock()
        self._readers = threading.Condition()
        self._active_readers = 0
        self._resizing = False

    def open_tables(self, *names: str) -> None:
        with self._tables_lock:
            for name in names:
                if name not in self._tables:
                    self._tables[name] = self._env.open_db(name.encode())

    def _table(self, name: str):
        try:
            return self._tables[name]
        except KeyError:
            raise KeyError(f"table {name!r} was not opened with open_tables()") from None

    @contextmanager
    def read(self):
        with self._readers:
            self._readers.wait_for(lambda: not self._resizing)
            self._active_readers += 1
        try:
            with self._env.begin(write=False) as txn:
                yield _LmdbTransaction(txn, self._table)
        finally:
            with self._readers:
                self._active_readers -= 1
                self._readers.notify_all()

    def write(self, work: Callable[[Transaction], T]) -> T:
        while True:
            try:
                with self._write_lock, self._env.begin(write=True) as txn:
                    return work(_LmdbTransaction(txn, self._table))
            except lmdb.MapFullError:
                # The transaction was aborted: grow the map and replay it.
                self._grow()

    def _grow(self):
        # LMDB may only be resized while this process has no transaction open.
        with self._write_lock, self._readers:
            self._resizing = True
            self._readers.wait_for(lambda: self._active_readers == 0)
            try:
                self._env.set_mapsize(self._env.info()["map_size"] * 2)
            finally:
                self._resizing = False
                self._readers.notify_all()

    def close(self):
        with self._write_lock:  # a write still running in a worker thread commits first
            self._env.close()
