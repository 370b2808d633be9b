"""gRPC servicers for Datasets and DatasetIO: thin adapters over DatasetService.

No validation and no error handling here: the generic RPC adapter checks REQUIRED fields
from the field_behavior annotations and maps server.errors.* to gRPC status codes.
"""
from __future__ import annotations

from google.protobuf import empty_pb2

from llamastack.datasetio.v1beta import datasetio_pb2_grpc
from llamastack.datasets.v1beta import datasets_pb2_grpc
from server.datasets.service import DatasetService


class DatasetsServicer(datasets_pb2_grpc.DatasetsServiceServicer):
    def __init__(self, service: DatasetService):
        self._service = service

    async def ListDatasets(self, request, context):
        return await self._service.list()

    async def RegisterDataset(self, request, context):
        return await self._service.register(request)

    async def GetDataset(self, request, context):
        return await self._service.get(request.dataset_id)

    async def UnregisterDataset(self, request, context):
        await self._service.unregister(request.dataset_id)
        return empty_pb2.Empty()


class DatasetIOServicer(datasetio_pb2_grpc.DatasetIOServiceServicer):
    def __init__(self, service: DatasetService):
        self._service = service

    async def IterRows(self, request, context):
        return await self._service.iterrows(
            request.dataset_id,
            request.start_index if request.HasField("start_index") else None,
            request.limit if request.HasField("limit") else None,
        )

    async def AppendRows(self, request, context):
        await self._service.append_rows(request.dataset_id, list(request.rows))
        return empty_pb2.Empty()
