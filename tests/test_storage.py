"""The LMDB store: transactions, ordered prefix scans, and a map that grows by itself."""
from __future__ import annotations

import os
import threading

import pytest

from server.storage import LmdbStore


@pytest.fixture
def store(tmp_path):
    opened = LmdbStore(tmp_path / "db", map_size=1 << 20)  # 1 MiB: small enough to outgrow
    opened.open_tables("t", "other")
    yield opened
    opened.close()


def key(prefix: bytes, i: int) -> bytes:
    return prefix + b"\0" + i.to_bytes(8, "big")


def test_writes_past_the_map_size_grow_it_and_keep_every_value(store, tmp_path):
    values = {key(b"a", i): os.urandom(2000) for i in range(2000)}  # ~4 MiB in one transaction
    store.write(lambda txn: [txn.put("t", k, v) for k, v in values.items()])
    for i in range(50):  # and in many small ones
        store.put("t", key(b"b", i), os.urandom(50_000))
    with store.read() as txn:
        assert dict(txn.scan("t", b"a\0")) == values
        assert len(list(txn.scan("t", b"b\0"))) == 50
    store.close()
    reopened = LmdbStore(tmp_path / "db", map_size=1 << 20)
    reopened.open_tables("t")
    assert reopened.get("t", key(b"a", 1999)) == values[key(b"a", 1999)]
    reopened.close()


def test_a_failing_transaction_writes_nothing(store):
    store.put("t", b"kept", b"1")

    def work(txn):
        txn.put("t", b"kept", b"2")
        txn.put("t", b"new", b"x")
        raise ValueError("stop")

    with pytest.raises(ValueError):
        store.write(work)
    assert store.get("t", b"kept") == b"1" and store.get("t", b"new") is None


def test_scans_are_ordered_bounded_by_prefix_and_reversible(store):
    store.write(lambda txn: [txn.put("t", key(p, i), bytes([i])) for p in (b"a", b"ab", b"b") for i in range(5)])
    with store.read() as txn:
        assert [v[0] for _, v in txn.scan("t", b"a\0")] == [0, 1, 2, 3, 4]
        assert [v[0] for _, v in txn.scan("t", b"a\0", reverse=True)] == [4, 3, 2, 1, 0]
        assert [v[0] for _, v in txn.scan("t", b"a\0", start=key(b"a", 2))] == [2, 3, 4]
        assert [v[0] for _, v in txn.scan("t", b"a\0", start=key(b"a", 2), reverse=True)] == [2, 1, 0]
        assert list(txn.scan("other")) == []


def test_put_without_overwrite_keeps_the_first_value(store):
    assert store.write(lambda txn: txn.put("t", b"k", b"1", overwrite=False)) is True
    assert store.write(lambda txn: txn.put("t", b"k", b"2", overwrite=False)) is False
    assert store.get("t", b"k") == b"1"


def test_an_unopened_table_is_a_clear_error(store):
    with pytest.raises(KeyError, match="open_tables"):
        store.get("never-opened", b"k")


def test_readers_and_a_growing_writer_run_together(store):
    store.put("t", b"seed", b"v")
    errors = []

    def read_many():
        try:
            for _ in range(300):
                with store.read() as txn:
                    assert txn.get("t", b"seed") == b"v"
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    readers = [threading.Thread(target=read_many) for _ in range(3)]
    for reader in readers:
        reader.start()
    for i in range(40):
        store.put("t", key(b"w", i), os.urandom(100_000))
    for reader in readers:
        reader.join()
    assert errors == []
