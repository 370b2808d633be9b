"""Batch inference (the draft's /batch_inference/jobs/...): every line of the prompt file
answered num_generations times by one model, as /inference answers."""
from __future__ import annotations

import asyncio
from typing import Any

from llamastack.batchinference.v0 import batchinference_pb2 as pb
from llamastack.common.v0 import common_pb2 as v0
from llamastack_grpc.jsonmap import from_json, to_json
from server.batch.inputs import InputLine, parse, read_path
from server.batch.jobs import BatchJobs
from server.errors import InvalidArgument
from server.inference import draft_messages
from server.inference.chat import ChatRequest
from server.jobs import JobContext, JobRecord

KIND = "batch_inference"


def echo_path(path: v0.Path) -> dict[str, Any]:
    """The input path as the job shows it: a raw_bytes input without its bytes."""
    shown = to_json(path)
    if path.type == v0.PATH_TYPE_RAW_BYTES:
        shown.pop("value", None)
    return shown


def chat_request(params: dict[str, Any], messages: list[dict]) -> ChatRequest:
    options = from_json(params["options"], v0.Options)
    return ChatRequest(model_id=params["model"], messages=messages, n=params["num_generations"], background=True,
                       **draft_messages.sampling(options, "options"))


class BatchInference(BatchJobs):
    kind = KIND
    noun = "Batch inference job"
    outputs_type = pb.ListBatchInferenceJobOutputsResponse

    async def submit(self, request: pb.SubmitBatchInferenceJobRequest) -> pb.BatchInferenceJob:
        model = self.llm(request.model if request.HasField("model") else None, "model")
        params = {"model": model, "num_generations": self.generations(request), "options": to_json(request.options)}
        # The options are checked as a chat request would be, before anything is read.
        self._inference.check_chat(chat_request(params, [{"role": "user", "content": ""}]))
        if not request.HasField("prompt_file_path"):
            raise InvalidArgument("prompt_file_path", "is required")
        data = await asyncio.to_thread(read_path, request.prompt_file_path, "prompt_file_path", self._files)
        parsed = await asyncio.to_thread(parse, data, "prompt_file_path")
        params["input_file_path"] = echo_path(request.prompt_file_path)
        return self.job(await self._submit(params, parsed))

    def job(self, record: JobRecord) -> pb.BatchInferenceJob:
        params = record.params
        job = pb.BatchInferenceJob(**self.file_paths(record))
        job.metadata.update({"model": params["model"], "num_generations": params["num_generations"]})
        return self.fill_job(job, record)

    # ---------------------------------------------------------------- the work

    def models(self, params: dict[str, Any]) -> list[str]:
        return [params["model"]]

    def line_processor(self, ctx: JobContext):
        params = ctx.params

        async def answer(line: InputLine) -> list[dict]:
            result = await self._inference.chat(chat_request(params, line.chat_messages()))
            response_id = f"{ctx.job_id}-{line.index}"
            return [to_json(pb.BatchInferenceResult(
                custom_id=line.custom_id, index=line.index, usage=draft_messages.usage(result),
                candidates=[draft_messages.output_message(response_id, i, c.text, c.tokens, c.logprobs,
                                                          c.finish_reason, c.tool_call)
                            for i, c in enumerate(result.candidates)]))]

        return answer, self.in_flight(params["model"], params["num_generations"])
