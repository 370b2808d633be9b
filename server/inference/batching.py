"""Dynamic batching: a worker thread takes whatever requests are waiting, together."""
from __future__ import annotations

import queue
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def next_batch(waiting: queue.Queue, limit: int, size: Callable[[T], int] = lambda item: 1) -> list[T] | None:
    """Block for one request, then add those already waiting until `limit` (measured by
    `size`) is reached. None means shut down: a None in the queue is the stop signal,
    and it is left there for the next call."""
    first = waiting.get()
    if first is None:
        return None
    batch, total = [first], size(first)
    while total < limit:
        try:
            item = waiting.get_nowait()
        except queue.Empty:
            break
        if item is None:
            waiting.put(None)
            break
        batch.append(item)
        total += size(item)
    return batch
