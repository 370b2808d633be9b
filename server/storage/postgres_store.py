"""PostgreSQL implementation of the storage interface, for several replicas on one database.

Every table lives in one PostgreSQL table `kv (tbl, key, value)` whose primary key orders
keys bytewise, as LMDB does. A write runs its work in one SERIALIZABLE transaction: when
PostgreSQL finds it conflicting with a concurrent one (another thread, another replica)
it is rolled back and the work replayed, so read-modify-write paths (appending rows,
counters) serialize without locks in domain code. A write returns once PostgreSQL has
committed it (synchronous_commit stays on). Reads run on a REPEATABLE READ snapshot.
"""
from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

import psycopg
from psycopg import IsolationLevel
from psycopg_pool import ConnectionPool

from server.storage.kv import KeyValueStore, Transaction, prefix_end

T = TypeVar("T")
_SCAN_BATCH = 256
_RETRYABLE = (psycopg.errors.SerializationFailure, psycopg.errors.DeadlockDetected)
_SCHEMA = "CREATE TABLE IF NOT EXISTS kv (tbl text NOT NULL, key bytea NOT NULL, value bytea NOT NULL, " \
          "PRIMARY KEY (tbl, key))"


class _PostgresTransaction(Transaction):
    def __init__(self, conn: psycopg.Connection, check_table: Callable[[str], str]):
        self._conn = conn
        self._check = check_table

    def get(self, table: str, key: bytes) -> bytes | None:
        row = self._conn.execute("SELECT value FROM kv WHERE tbl = %s AND key = %s",
                                 (self._check(table), key)).fetchone()
        return None if row is None else bytes(row[0])

    def contains(self, table: str, key: bytes) -> bool:
        return self._conn.execute("SELECT 1 FROM kv WHERE tbl = %s AND key = %s",
                                  (self._check(table), key)).fetchone() is not None

    def put(self, table: str, key: bytes, value: bytes, *, overwrite: bool = True) -> bool:
        conflict = "DO UPDATE SET value = EXCLUDED.value" if overwrite else "DO NOTHING"
        cursor = self._conn.execute(f"INSERT INTO kv (tbl, key, value) VALUES (%s, %s, %s) "
                                    f"ON CONFLICT (tbl, key) {conflict}", (self._check(table), key, value))
        return cursor.rowcount == 1

    def delete(self, table: str, key: bytes) -> bool:
        cursor = self._conn.execute("DELETE FROM kv WHERE tbl = %s AND key = %s", (self._check(table), key))
        return cursor.rowcount == 1

    def delete_prefix(self, table: str, prefix: bytes) -> int:
        bound, params = _prefix_bounds(prefix)
        cursor = self._conn.execute(f"DELETE FROM kv WHERE tbl = %s{bound}", (self._check(table), *params))
        return cursor.rowcount

    def scan(self, table, prefix=b"", *, start=None, reverse=False) -> Iterator[tuple[bytes, bytes]]:
        # Keyset pages, so a long scan holds no server-side cursor and the work may write
        # between pages (its own writes are visible, as in LMDB).
        name = self._check(table)
        bound, params = _prefix_bounds(prefix)
        order = "DESC" if reverse else "ASC"
        after: bytes | None = None
        while True:
            condition, values = bound, list(params)
            if after is not None:
                condition += " AND key < %s" if reverse else " AND key > %s"
                values.append(after)
            elif start is not None:
                condition += " AND key <= %s" if reverse else " AND key >= %s"
                values.append(start)
            rows = self._conn.execute(f"SELECT key, value FROM kv WHERE tbl = %s{condition} "
                                      f"ORDER BY key {order} LIMIT {_SCAN_BATCH}", (name, *values)).fetchall()
            for key, value in rows:
                yield bytes(key), bytes(value)
            if len(rows) < _SCAN_BATCH:
                return
            after = bytes(rows[-1][0])


def _prefix_bounds(prefix: bytes) -> tuple[str, tuple[bytes, ...]]:
    """The SQL condition (and its parameters) selecting keys that start with prefix."""
    if not prefix:
        return "", ()
    end = prefix_end(prefix)
    if end is None:
        return " AND key >= %s", (prefix,)
    return " AND key >= %s AND key < %s", (prefix, end)


class PostgresStore(KeyValueStore):
    shared = True

    def __init__(self, dsn: str, *, min_connections: int = 1, max_connections: int = 8):
        self.dsn = dsn
        self._pool = ConnectionPool(dsn, min_size=min_connections, max_size=max_connections, open=True,
                                    kwargs={"autocommit": False})
        self._pool.wait(timeout=30)
        with self._pool.connection() as conn:  # replicas starting together create it once
            conn.execute("SELECT pg_advisory_xact_lock(hashtext('llama_stack_grpc.kv'))")
            conn.execute(_SCHEMA)
        self._tables: set[str] = set()

    def open_tables(self, *names: str) -> None:
        self._tables.update(names)

    def _check_table(self, name: str) -> str:
        if name not in self._tables:
            raise KeyError(f"table {name!r} was not opened with open_tables()")
        return name

    @contextmanager
    def read(self):
        with self._pool.connection() as conn:
            conn.isolation_level = IsolationLevel.REPEATABLE_READ
            conn.read_only = True
            with conn.transaction():
                conn.execute("SELECT 1")  # the snapshot is taken now, as LMDB's is, not at the first read
                yield _PostgresTransaction(conn, self._check_table)

    def write(self, work: Callable[[Transaction], T]) -> T:
        attempt = 0
        while True:
            try:
                with self._pool.connection() as conn:
                    conn.isolation_level = IsolationLevel.SERIALIZABLE
                    conn.read_only = False
                    with conn.transaction():
                        return work(_PostgresTransaction(conn, self._check_table))
            except _RETRYABLE:
                # Rolled back because a concurrent transaction won: replay the work.
                attempt += 1
                time.sleep(random.uniform(0, min(0.001 * 2 ** attempt, 0.1)))

    def close(self) -> None:
        self._pool.close()
