"""Batch reward scoring (the draft's /batch_reward_scoring/jobs/...): every line's last
message (the response) scored after the others, exactly as /reward_scoring scores it,
with the job's metadata carried into every output line."""
from __future__ import annotations

import asyncio
from typing import Any

from llamastack.batchrewardscoring.v0 import batchrewardscoring_pb2 as pb
from llamastack_grpc import struct_to_dict
from llamastack_grpc.jsonmap import to_json
from server.batch.inference import echo_path
from server.batch.inputs import InputLine, parse, read_path
from server.batch.jobs import BatchJobs
from server.errors import InvalidArgument
from server.jobs import JobContext, JobRecord

KIND = "batch_reward_scoring"
# A reward model scores one sequence at a time, in a worker thread: a few lines in
# flight keep it busy without taking every thread of the pool.
SCORING_IN_FLIGHT = 2


class BatchRewardScoring(BatchJobs):
    kind = KIND
    noun = "Batch reward scoring job"
    outputs_type = pb.ListBatchRewardScoringJobOutputsResponse

    async def submit(self, request: pb.SubmitBatchRewardScoringJobRequest) -> pb.BatchRewardScoringJob:
        function = request.scoring_function.name if request.scoring_function.HasField("name") else None
        model, function = self.scoring(request.reward_model if request.HasField("reward_model") else None, function)
        if not request.HasField("prompt_with_response_path"):
            raise InvalidArgument("prompt_with_response_path", "is required")
        data = await asyncio.to_thread(read_path, request.prompt_with_response_path, "prompt_with_response_path",
                                       self._files)
        parsed = await asyncio.to_thread(parse, data, "prompt_with_response_path", True)
        params = {"reward_model": model, "scoring_function": function,
                  "metadata": struct_to_dict(request.metadata) if request.HasField("metadata") else {},
                  "input_file_path": echo_path(request.prompt_with_response_path)}
        return self.job(await self._submit(params, parsed))

    def job(self, record: JobRecord) -> pb.BatchRewardScoringJob:
        params = record.params
        job = pb.BatchRewardScoringJob(**self.file_paths(record))
        job.metadata.update(params["metadata"])
        return self.fill_job(job, record)

    # ---------------------------------------------------------------- the work

    def models(self, params: dict[str, Any]) -> list[str]:
        return [params["reward_model"]]

    def line_processor(self, ctx: JobContext):
        params = ctx.params

        async def score(line: InputLine) -> list[dict]:
            messages = line.chat_messages()
            result = await self._inference.score_reward(params["reward_model"], messages[:-1],
                                                        messages[-1]["content"], params["scoring_function"],
                                                        background=True)
            scored = pb.BatchRewardScoringResult(custom_id=line.custom_id, index=line.index, score=result.score)
            if result.logprob is not None:
                scored.logprob = result.logprob
            scored.metadata.update(params["metadata"])
            return [to_json(scored)]

        return score, SCORING_IN_FLIGHT
