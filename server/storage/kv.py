"""The storage interface that domain code depends on.

Values are bytes (serialized protobuf messages); keys are bytes laid out so that
related records share a prefix and come back in order from `scan`. A networked
backend implements the same two classes.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import TypeVar

T = TypeVar("T")


def prefix_end(prefix: bytes) -> bytes | None:
    """Smallest key greater than every key starting with prefix (None: no such key)."""
    stripped = prefix.rstrip(b"\xff")
    if not stripped:
        return None
    return stripped[:-1] + bytes([stripped[-1] + 1])


class Transaction(ABC):
    """Reads and writes that commit together, or not at all."""

    @abstractmethod
    def get(self, table: str, key: bytes) -> bytes | None: ...

    def contains(self, table: str, key: bytes) -> bool:
        """Whether key is there, without reading its value (a record may be megabytes)."""
        return self.get(table, key) is not None

    @abstractmethod
    def put(self, table: str, key: bytes, value: bytes, *, overwrite: bool = True) -> bool:
        """Store value; with overwrite=False, leave an existing key alone and return False."""

    @abstractmethod
    def delete(self, table: str, key: bytes) -> bool: ...

    @abstractmethod
    def scan(
        self, table: str, prefix: bytes = b"", *, start: bytes | None = None, reverse: bool = False
    ) -> Iterator[tuple[bytes, bytes]]:
        """Key/value pairs whose key starts with prefix, in key order (or reverse),
        beginning at `start` (inclusive) when given."""

    def delete_prefix(self, table: str, prefix: bytes) -> int:
        keys = [key for key, _ in self.scan(table, prefix)]
        for key in keys:
            self.delete(table, key)
        return len(keys)


class KeyValueStore(ABC):
    # True when other processes (replicas) write the same data: what one reads may change
    # under it without its own writes (jobs poll, and lease jobs, only then).
    shared: bool = False

    @abstractmethod
    def open_tables(self, *names: str) -> None:
        """Make tables usable (creating them if new); call before any transaction uses them."""

    @abstractmethod
    def read(self) -> AbstractContextManager[Transaction]:
        """A consistent read-only snapshot."""

    @abstractmethod
    def write(self, work: Callable[[Transaction], T]) -> T:
        """Run work in one write transaction and return its result. The writes are
        durable once this returns; if work raises, none of them happen. work may be
        run more than once (a store may replay it), so it must only touch the store."""

    @abstractmethod
    def close(self) -> None: ...

    # Conveniences for single-record access.
    def get(self, table: str, key: bytes) -> bytes | None:
        with self.read() as txn:
            return txn.get(table, key)

    def put(self, table: str, key: bytes, value: bytes) -> None:
        self.write(lambda txn: txn.put(table, key, value))
