"""The embedding model of a vector store, through the inference service's registry: which
model a new store gets, whether a store's model is still served, and the chunking limits
its sequence length sets."""
from __future__ import annotations

from typing import Any

import numpy as np

from server.errors import FailedPrecondition, InvalidArgument
from server.inference.service import InferenceService
from server.vectorstores.chunking import Chunker

EMBEDDING = ("embedding",)


class StoreModels:
    def __init__(self, inference: InferenceService):
        self._inference = inference
        self._chunkers: dict[str, Chunker] = {}

    def resolve(self, model_id: str | None) -> str:
        """The embedding model a new store uses: the one named, else the first served."""
        known = self._inference.registry.ids("embedding")
        if model_id is None:
            if not known:
                raise InvalidArgument("embedding_model", "no embedding model is registered on this server")
            return known[0]
        if model_id not in known:
            raise InvalidArgument("embedding_model", f"'{model_id}' is not a registered embedding model "
                                                     f"(registered: {', '.join(known) or 'none'})")
        return model_id

    def served(self, model_id: str) -> Any:
        """The loaded embedding model of a store (FAILED_PRECONDITION if no longer served)."""
        model = self._inference.registry.served(model_id, EMBEDDING)
        if model is None:
            raise FailedPrecondition(f"the store's embedding model '{model_id}' is not served by this server")
        return model

    async def embed(self, model_id: str, texts: list[str]) -> np.ndarray:
        return await self._inference.embed(model_id, texts)

    async def rerank(self, model_id: str, query: str, items: list[str], top_k: int) -> list[tuple[int, float]]:
        return await self._inference.rerank(model_id, query, items, top_k)

    def can_rerank(self, model_id: str) -> bool:
        return self._inference.registry.served(model_id, ("rerank", "embedding")) is not None

    def chunker(self, model_id: str) -> Chunker:
        chunker = self._chunkers.get(model_id)
        if chunker is None:
            chunker = self._chunkers[model_id] = Chunker(self.served(model_id).model.tokenizer)
        return chunker

    def max_chunk(self, model_id: str) -> int:
        model = self._inference.registry.served(model_id, EMBEDDING)
        length = getattr(getattr(model, "model", None), "max_seq_length", None) or 512
        return max(1, int(length) - 2)  # the model adds [CLS] and [SEP]

    def check_chunking(self, model_id: str, size: int, overlap: int) -> None:
        limit = self.max_chunk(model_id)
        if not 1 <= size <= limit:
            raise InvalidArgument("chunk_size_tokens", f"must be between 1 and {limit} (the sequence length of "
                                                       f"'{model_id}' less 2), got {size}")
        if not 0 <= overlap < size:
            raise InvalidArgument("chunk_overlap_tokens", f"must be at least 0 and less than chunk_size_tokens "
                                                          f"({size}), got {overlap}")
