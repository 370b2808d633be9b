"""The stores (LMDB and PostgreSQL, each test on both): transactions, ordered prefix scans,
LMDB's map that grows by itself, and writers racing from two store instances."""
from __future__ import annotations

import os
import threading

import pytest

from server.storage import LmdbStore


@pytest.fixture
def store(open_store):
    return open_store("t", "other")


def key(prefix: bytes, i: int) -> bytes:
    return prefix + b"\0" + i.to_bytes(8, "big")


def test_writes_past_the_map_size_grow_it_and_keep_every_value(open_store, tmp_path):
    store = open_store("t")
    if isinstance(store, LmdbStore):
        store.close()
        store = LmdbStore(tmp_path / "db", map_size=1 << 20)  # 1 MiB: small enough to outgrow
        store.open_tables("t")
    values = {key(b"a", i): os.urandom(2000) for i in range(2000)}  # ~4 MiB in one transaction
    store.write(lambda txn: [txn.put("t", k, v) for k, v in values.items()])
    for i in range(50):  # and in many small ones
        store.put("t", key(b"b", i), os.urandom(50_000))
    with store.read() as txn:
        assert dict(txn.scan("t", b"a\0")) == values
        assert len(list(txn.scan("t", b"b\0"))) == 50
    path = getattr(store, "path", None)
    store.close()
    reopened = LmdbStore(path, map_size=1 << 20) if path else open_store()
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


def test_contains_sees_the_key_in_its_own_table_and_transaction(store):
    store.put("t", b"k", b"")  # an empty value is still there
    store.put("other", b"only-here", b"v")
    with store.read() as txn:
        assert txn.contains("t", b"k")
        assert not txn.contains("t", b"only-here") and txn.contains("other", b"only-here")
        assert not txn.contains("t", b"k\0")

    def work(txn):
        txn.delete("t", b"k")
        txn.put("t", b"new", b"x")
        return txn.contains("t", b"k"), txn.contains("t", b"new")

    assert store.write(work) == (False, True)


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


def test_read_modify_write_from_two_store_instances_loses_no_update(open_store):
    """Two instances (two replicas on PostgreSQL) increment one counter and append to one
    list concurrently: every increment and every append survives, in a dense sequence."""
    first = open_store("t")
    stores = [first, open_store.replica(first)]
    stores[1].open_tables("t")
    per_thread = 25

    def bump(txn):
        count = int(txn.get("t", b"count") or b"0")
        txn.put("t", b"count", str(count + 1).encode())
        txn.put("t", key(b"row", count), b"x")

    def run(store):
        for _ in range(per_thread):
            store.write(bump)

    threads = [threading.Thread(target=run, args=(store,)) for store in stores for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    total = per_thread * len(threads)
    with stores[1].read() as txn:
        assert txn.get("t", b"count") == str(total).encode()
        assert [k for k, _ in txn.scan("t", b"row\0")] == [key(b"row", i) for i in range(total)]


def test_a_read_is_a_snapshot(store):
    store.put("t", b"k", b"old")
    with store.read() as txn:
        store.put("t", b"k", b"new")
        store.put("t", b"k2", b"new")
        assert txn.get("t", b"k") == b"old" and txn.get("t", b"k2") is None
    assert store.get("t", b"k") == b"new"


def test_delete_prefix_and_scans_across_pages(store):
    store.write(lambda txn: [txn.put("t", key(b"p", i), b"v") for i in range(700)])
    store.put("t", key(b"q", 0), b"v")
    with store.read() as txn:
        assert len(list(txn.scan("t", b"p\0", reverse=True))) == 700
    assert store.write(lambda txn: txn.delete_prefix("t", b"p\0")) == 700
    with store.read() as txn:
        assert [k for k, _ in txn.scan("t")] == [key(b"q", 0)]
