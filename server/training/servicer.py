"""The gRPC servicers of the two training APIs, thin adapters over their front doors
(validation of required fields and the mapping of domain errors happen in server/rpc/)."""
from __future__ import annotations

from server.training.finetuning import FineTuning
from server.training.posttraining import PostTraining


class PostTrainingServicer:
    def __init__(self, api: PostTraining):
        self._api = api

    async def SupervisedFineTune(self, request, context):
        return await self._api.supervised_fine_tune(request)

    async def PreferenceOptimize(self, request, context):
        return await self._api.preference_optimize(request)

    async def GetTrainingJobs(self, request, context):
        return self._api.jobs()

    async def GetTrainingJobStatus(self, request, context):
        return self._api.status(request.job_uuid)

    async def CancelTrainingJob(self, request, context):
        return await self._api.cancel(request.job_uuid)

    async def GetTrainingJobArtifacts(self, request, context):
        return self._api.artifacts(request.job_uuid)


class FineTuningServicer:
    def __init__(self, api: FineTuning):
        self._api = api

    async def SubmitFineTuningJob(self, request, context):
        return await self._api.submit(request)

    async def GetFineTuningJobStatus(self, request, context):
        return self._api.status(request.job_id)

    async def CancelFineTuningJob(self, request, context):
        return await self._api.cancel(request.job_id)

    async def TailFineTuningJobLogs(self, request, context):
        async for message in self._api.tail(request.job_id):
            yield message
