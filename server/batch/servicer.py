"""Thin gRPC servicers for the draft's three batch job APIs (validation and error
mapping happen in server/rpc/)."""
from __future__ import annotations

from server.batch.inference import BatchInference
from server.batch.reward import BatchRewardScoring
from server.batch.synthetic import SyntheticDataGen


class BatchInferenceServicer:
    def __init__(self, service: BatchInference):
        self._service = service

    async def SubmitBatchInferenceJob(self, request, context):
        return await self._service.submit(request)

    async def GetBatchInferenceJobStatus(self, request, context):
        return await self._service.status(request.job_id)

    async def CancelBatchInferenceJob(self, request, context):
        return await self._service.cancel(request.job_id)

    async def ListBatchInferenceJobOutputs(self, request, context):
        return await self._service.list_outputs(request)


class BatchRewardScoringServicer:
    def __init__(self, service: BatchRewardScoring):
        self._service = service

    async def SubmitBatchRewardScoringJob(self, request, context):
        return await self._service.submit(request)

    async def GetBatchRewardScoringJobStatus(self, request, context):
        return await self._service.status(request.job_id)

    async def CancelBatchRewardScoringJob(self, request, context):
        return await self._service.cancel(request.job_id)

    async def ListBatchRewardScoringJobOutputs(self, request, context):
        return await self._service.list_outputs(request)


class SyntheticDataGenServicer:
    def __init__(self, service: SyntheticDataGen):
        self._service = service

    async def SubmitSyntheticDataGenJob(self, request, context):
        return await self._service.submit(request)

    async def GetSyntheticDataGenJobStatus(self, request, context):
        return await self._service.status(request.job_id)

    async def CancelSyntheticDataGenJob(self, request, context):
        return await self._service.cancel(request.job_id)

    async def ListSyntheticDataGenJobOutputs(self, request, context):
        return await self._service.list_outputs(request)
