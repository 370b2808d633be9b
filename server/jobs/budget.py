"""A budget per engine (model) shared by every background job, so that batch, eval and
training work yield to interactive requests.

Interactive requests never wait here; they are counted. Background requests (each engine
request a job makes) take a slot first: at most `share` of the engine's batch, always
leaving at least one row free, less one more row for each interactive request in flight,
never fewer than one. An interactive request therefore finds room in the engine's running
batch at its next step instead of queueing behind a thousand batch lines.
Event loop only."""
from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator


class EngineBudget:
    def __init__(self, capacity: Callable[[str], int], share: float = 0.875):
        """capacity(model_id): how many requests the model's engine decodes together."""
        if not 0 < share <= 1:
            raise ValueError(f"the background share of an engine must be in (0, 1], got {share}")
        self._capacity = capacity
        self._share = share
        self._interactive: Counter[str] = Counter()
        self._background: Counter[str] = Counter()
        self._released: dict[str, asyncio.Event] = {}

    def limit(self, model_id: str) -> int:
        """How many background requests may run on the model right now."""
        capacity = self._capacity(model_id)
        kept_free = max(1, capacity - int(capacity * self._share))
        return max(1, capacity - kept_free - self._interactive[model_id])

    def in_use(self, model_id: str) -> tuple[int, int]:
        """(interactive, background) requests running on the model."""
        return self._interactive[model_id], self._background[model_id]

    @contextlib.contextmanager
    def interactive(self, model_id: str) -> Iterator[None]:
        self._interactive[model_id] += 1
        try:
            yield
        finally:
            self._interactive[model_id] -= 1
            self._wake(model_id)

    @contextlib.asynccontextmanager
    async def background(self, model_id: str) -> AsyncIterator[None]:
        while self._background[model_id] >= self.limit(model_id):
            await self._released.setdefault(model_id, asyncio.Event()).wait()
        self._background[model_id] += 1
        try:
            yield
        finally:
            self._background[model_id] -= 1
            self._wake(model_id)

    def _wake(self, model_id: str) -> None:
        event = self._released.pop(model_id, None)
        if event is not None:
            event.set()  # every waiter checks the limit again
