"""Sentence-transformers models: embeddings (batched across concurrent callers) and
cross-encoder rerankers."""
from __future__ import annotations

import asyncio
import queue
import threading
from dataclasses import dataclass

import numpy as np

from server.inference.batching import next_batch


@dataclass
class _Job:
    texts: list[str]
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future


class EmbeddingModel:
    """Concurrent `embed` calls are merged into one encode batch by a worker thread."""

    def __init__(self, checkpoint: str, device: str = "cpu", max_batch: int = 256):
        from sentence_transformers import SentenceTransformer

        self.model = SentenceTransformer(checkpoint, device=device, local_files_only=True)
        self.dimension = self.model.get_embedding_dimension() if hasattr(
            self.model, "get_embedding_dimension") else self.model.get_sentence_embedding_dimension()
        self.max_batch = max_batch
        self._jobs: queue.Queue = queue.Queue()
        self._worker = threading.Thread(target=self._run, name="embeddings", daemon=True)
        self._worker.start()

    @property
    def alive(self) -> bool:
        return self._worker.is_alive()

    async def embed(self, texts: list[str]) -> np.ndarray:
        """Unit-length embeddings, one row per text."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        loop = asyncio.get_running_loop()
        job = _Job(list(texts), loop, loop.create_future())
        self._jobs.put(job)
        return await job.future

    def encode(self, texts: list[str]) -> np.ndarray:
        return self.model.encode(texts, batch_size=64, normalize_embeddings=True, convert_to_numpy=True,
                                 show_progress_bar=False)

    def _run(self):
        while (jobs := next_batch(self._jobs, self.max_batch, lambda job: len(job.texts))) is not None:
            try:
                vectors = self.encode([t for job in jobs for t in job.texts])
                start = 0
                for job in jobs:
                    part = vectors[start:start + len(job.texts)]
                    start += len(job.texts)
                    job.loop.call_soon_threadsafe(_resolve, job.future, part, None)
            except Exception as exc:
                for job in jobs:
                    job.loop.call_soon_threadsafe(_resolve, job.future, None, exc)

    def close(self):
        self._jobs.put(None)


def _resolve(future: asyncio.Future, value, error):
    if future.done():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(value)


class CrossEncoderModel:
    def __init__(self, checkpoint: str, device: str = "cpu"):
        from sentence_transformers import CrossEncoder

        self.model = CrossEncoder(checkpoint, device=device, local_files_only=True)

    async def score(self, query: str, items: list[str]) -> list[float]:
        pairs = [(query, item) for item in items]
        scores = await asyncio.to_thread(self.model.predict, pairs, convert_to_numpy=True, show_progress_bar=False)
        return [float(s) for s in np.asarray(scores).reshape(len(items), -1)[:, 0]]
