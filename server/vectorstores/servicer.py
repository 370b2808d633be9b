"""The gRPC servicer for vector stores: a thin adapter over VectorStoreService.
Validation of REQUIRED fields and the mapping of domain errors to status codes happen
in the generic RPC layer (server/rpc/)."""
from __future__ import annotations

from llamastack.vectorstore.v0 import vectorstore_pb2_grpc
from server.vectorstores.service import VectorStoreService


class VectorStoreServicer(vectorstore_pb2_grpc.VectorStoreServiceServicer):
    def __init__(self, service: VectorStoreService):
        self._service = service

    async def ListVectorStores(self, request, context):
        return await self._service.list()

    async def CreateVectorStore(self, request, context):
        return await self._service.create(request)

    async def GetVectorStore(self, request, context):
        return await self._service.get(request.vector_store_id)

    async def DropVectorStore(self, request, context):
        return await self._service.drop(request.vector_store_id)

    async def UpdateVectorStore(self, request, context):
        return await self._service.update(request)

    async def QueryVectorStore(self, request, context):
        return await self._service.query(request)

    async def SubmitVectorStoreInsertJob(self, request, context):
        return await self._service.inserts.submit(request)

    async def GetVectorStoreInsertJobStatus(self, request, context):
        return await self._service.inserts.status(request.job_id)

    async def CancelVectorStoreInsertJob(self, request, context):
        return await self._service.inserts.cancel(request.job_id)

    async def SubmitVectorStoreDeleteJob(self, request, context):
        return await self._service.deletes.submit(request)

    async def GetVectorStoreDeleteJobStatus(self, request, context):
        return await self._service.deletes.status(request.job_id)

    async def CancelVectorStoreDeleteJob(self, request, context):
        return await self._service.deletes.cancel(request.job_id)
