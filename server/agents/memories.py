"""The 2024 draft's FetchMemories: memory nuggets from memory banks, where a bank is a
vector store. With a query, the top nuggets nearest to it over all the banks; without
one, the banks' first nuggets in stored order."""
from __future__ import annotations

from llamastack.agents.v0 import agents_pb2 as v0
from server.errors import InvalidArgument
from server.vectorstores.service import VectorStoreService

MEMORY_TOP_K = 10


class DraftMemories:
    def __init__(self, vector_stores: VectorStoreService):
        self._vector_stores = vector_stores

    async def fetch(self, request: v0.FetchMemoriesRequest) -> v0.FetchMemoriesResponse:
        if not request.bank_ids:
            raise InvalidArgument("bankIds", "name at least one memory bank (vector store id)")
        banks = list(dict.fromkeys(request.bank_ids))
        for bank in banks:
            await self._vector_stores.get(bank)
        query = request.query if request.HasField("query") and request.query.strip() else None
        if query is not None:
            nuggets = [hit for bank in banks for hit in await self._vector_stores.search(bank, query, MEMORY_TOP_K)]
            nuggets.sort(key=lambda hit: hit.score, reverse=True)
        else:
            nuggets = await self._vector_stores.first_chunks(banks, MEMORY_TOP_K)
        response = v0.FetchMemoriesResponse()
        for hit in nuggets[:MEMORY_TOP_K]:
            nugget = response.nuggets.add(id=f"{hit.document_id}#{hit.chunk_index}", bank_id=hit.vector_store_id,
                                          content=hit.content)
            if query is not None:
                nugget.score = hit.score
        return response
