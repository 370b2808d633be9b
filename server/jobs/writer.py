"""Group commit for the job tables: writes handed in from the event loop, from worker
threads or on behalf of a subprocess are queued, and one writer thread commits what has
gathered in one transaction. A thousand lines finishing together cost one sync, not a
thousand; each caller still learns when its own write is durable."""
from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Generic, TypeVar

from server.storage.kv import KeyValueStore, Transaction

log = logging.getLogger(__name__)
T = TypeVar("T")
_MAX_GROUP = 512


class Written(Generic[T]):
    """A queued write. `await` it on the event loop, or call `result()` from a thread, to
    wait until it is durable; or drop it (the write still happens, in order)."""

    def __init__(self, future: Future):
        self._future = future

    def __await__(self):
        # One way only: a waiter that goes away (cancelled) does not cancel the write.
        loop = asyncio.get_running_loop()
        waiter = loop.create_future()

        def done(future: Future) -> None:
            with contextlib.suppress(RuntimeError):  # the waiter's event loop is closed
                loop.call_soon_threadsafe(_settle, waiter, future)

        self._future.add_done_callback(done)
        return waiter.__await__()

    def result(self, timeout: float | None = None) -> T:
        return self._future.result(timeout)

    def add_done_callback(self, callback: Callable[[Future], None]) -> None:
        self._future.add_done_callback(callback)


class GroupWriter:
    def __init__(self, store: KeyValueStore, name: str = "job-writer"):
        self._store = store
        self._queue: queue.Queue = queue.Queue()
        self._closing = threading.Lock()
        self._closed = False
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def submit(self, work: Callable[[Transaction], T]) -> Written[T]:
        """Queue work(txn); it runs in order with the other writes, maybe in one transaction
        with them, so it must only touch the store (it may be replayed)."""
        future: Future = Future()
        with self._closing:
            if self._closed:  # nothing would ever commit it: say so rather than leave it waiting
                future.set_exception(RuntimeError("the store's writer is closed"))
            else:
                self._queue.put((work, future))
        return Written(future)

    def close(self) -> None:
        """Commit what is queued, then stop."""
        with self._closing:
            self._closed = True
            self._queue.put(None)
        self._thread.join()

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            group = [first]
            while len(group) < _MAX_GROUP:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    self._queue.put(None)
                    break
                group.append(item)
            self._commit(group)

    def _commit(self, group: list) -> None:
        try:
            results = self._store.write(lambda txn: [work(txn) for work, _ in group])
        except Exception as exc:  # noqa: BLE001 - whatever failed, its callers hear of it
            if len(group) == 1:
                group[0][1].set_exception(exc)
                return
            # One bad write must not sink the others: commit them one by one.
            for item in group:
                self._commit([item])
            return
        for (_, future), result in zip(group, results, strict=True):
            future.set_result(result)


def _settle(waiter: asyncio.Future, future: Future) -> None:
    if waiter.done():
        return
    if future.exception() is not None:
        waiter.set_exception(future.exception())
    else:
        waiter.set_result(future.result())
