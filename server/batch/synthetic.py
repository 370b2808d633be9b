"""Synthetic data generation (the draft's /synthetic_data_gen/jobs/...): each prompt line
answered num_generations times by the LLM, every answer scored by the reward model as
/reward_scoring scores it, and the filtering function's choice kept as SyntheticDataPoint
lines. The draft types its paths as plain strings: an absolute path, file:// or data:."""
from __future__ import annotations

import asyncio
from typing import Any

from llamastack.syntheticdatagen.v0 import syntheticdatagen_pb2 as pb
from llamastack_grpc import struct_to_dict
from llamastack_grpc.jsonmap import to_json
from server.batch import filters, lines
from server.batch.inference import chat_request
from server.batch.inputs import InputLine, parse, read_location
from server.batch.jobs import BatchJobs
from server.inference import draft_messages
from server.jobs import JobContext, JobRecord

KIND = "synthetic_data_gen"


class SyntheticDataGen(BatchJobs):
    kind = KIND
    noun = "Synthetic data generation job"
    outputs_type = pb.ListSyntheticDataGenJobOutputsResponse

    async def submit(self, request: pb.SubmitSyntheticDataGenJobRequest) -> pb.SyntheticDataGenJob:
        model = self.llm(request.model if request.HasField("model") else None, "model")
        params: dict[str, Any] = {"model": model, "num_generations": self.generations(request),
                                  "options": to_json(request.options)}
        self._inference.check_chat(chat_request(params, [{"role": "user", "content": ""}]))
        function = request.scoring_function.name if request.scoring_function.HasField("name") else None
        params["reward_model"], params["scoring_function"] = self.scoring(
            request.reward_model if request.HasField("reward_model") else None, function)
        wanted = request.filtering_function
        params["filtering_function"] = filters.check(
            wanted.name if wanted.HasField("name") else None,
            struct_to_dict(wanted.params) if wanted.HasField("params") else {})
        data = await asyncio.to_thread(read_location, request.prompt_file_path, "prompt_file_path",
                                       self._files)
        parsed = await asyncio.to_thread(parse, data, "prompt_file_path")
        params["input_file_path"] = request.prompt_file_path if not request.prompt_file_path.startswith(
            "data:") else "data:"
        params["metadata"] = struct_to_dict(request.metadata) if request.HasField("metadata") else {}
        return self.job(await self._submit(params, parsed))

    def job(self, record: JobRecord) -> pb.SyntheticDataGenJob:
        params = record.params
        job = pb.SyntheticDataGenJob(input_file_path=params["input_file_path"],
                                     success_file_path=self.output_file(record, lines.SUCCESS),
                                     error_file_path=self.output_file(record, lines.ERROR))
        job.metadata.update(params["metadata"])
        return self.fill_job(job, record)

    # ---------------------------------------------------------------- the work

    def models(self, params: dict[str, Any]) -> list[str]:
        return [params["model"], params["reward_model"]]

    def line_processor(self, ctx: JobContext):
        params = ctx.params

        async def generate(line: InputLine) -> list[dict]:
            messages = line.chat_messages()
            result = await self._inference.chat(chat_request(params, messages))
            scores = await asyncio.gather(*(
                self._inference.score_reward(params["reward_model"], messages, candidate.text,
                                             params["scoring_function"], background=True)
                for candidate in result.candidates))
            response_id = f"{ctx.job_id}-{line.index}"
            points = []
            for i in filters.kept(params["filtering_function"], [s.score for s in scores]):
                candidate = result.candidates[i]
                point = pb.SyntheticDataPoint(custom_id=line.custom_id, index=i, prompt=line.protos(),
                                              score=scores[i].score)
                point.response.output.CopyFrom(draft_messages.output_message(
                    response_id, i, candidate.text, candidate.tokens, candidate.logprobs, candidate.finish_reason,
                    candidate.tool_call))
                if scores[i].logprob is not None:
                    point.logprob = scores[i].logprob
                points.append(to_json(point))
            return points

        return generate, self.in_flight(params["model"], params["num_generations"])
