"""A stream run ahead of its reader: its work goes on in a task of its own while the
reader waits (for a write to become durable, or on its transport), and its items queue
up, in order, until read. A turn's model request thus starts while the turn's first
write syncs, instead of after it and after the first events are sent."""
from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import aclosing, asynccontextmanager
from typing import TypeVar

T = TypeVar("T")
_END = object()


class _Reader:
    def __init__(self, queue: asyncio.Queue):
        self._queue = queue

    def __aiter__(self):
        return self

    async def __anext__(self):
        item, error = await self._queue.get()
        if error is not None:
            raise error
        if item is _END:
            raise StopAsyncIteration
        return item


@asynccontextmanager
async def running_ahead(items: AsyncIterator[T]) -> AsyncIterator[AsyncIterator[T]]:
    """The items, produced from now on. Leaving the block (however) cancels the producer
    and waits until the stream is closed, so that nothing of it outlives the reader."""
    queue: asyncio.Queue = asyncio.Queue()

    async def produce():
        try:
            async with aclosing(items):
                async for item in items:
                    queue.put_nowait((item, None))
        except Exception as error:  # noqa: BLE001 - the reader raises it
            queue.put_nowait((None, error))
        else:
            queue.put_nowait((_END, None))

    # Created here, the task runs in a copy of this context: the reader's span is its parent.
    producer = asyncio.create_task(produce())
    try:
        yield _Reader(queue)
    finally:
        producer.cancel()
        await asyncio.wait({producer})
