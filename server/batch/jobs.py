"""What the draft's three batch job APIs share: a job kind on the job runner whose input
lines are parsed at submission and stored with the job, run by server/batch/lines.py
(resumable: a restart goes on where it stopped), answered as the API's job message, and
whose output lines can be read back a page at a time."""
from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from typing import Any

from google.protobuf.message import Message

from llamastack.common.v0 import common_pb2 as v0
from llamastack_grpc.jsonmap import from_json, type_for
from server.batch import lines
from server.batch.inputs import InputLine
from server.errors import FailedPrecondition, InvalidArgument, NotFound
from server.inference.service import InferenceService
from server.jobs import JobContext, JobRecord, JobRunner
from server.jobs.helpers import BATCH_JOB_STATUS, job_of_kind, timestamp
from server.uris import FileAccess

MAX_GENERATIONS = 128
JOBS_AT_ONCE = 2  # per kind; their lines share the engines' background budget


class BatchJobs(ABC):
    kind: str
    noun: str  # "Batch inference job": how errors name a job of this kind
    outputs_type: type[Message]  # the List...OutputsResponse: its first field holds the success lines

    def __init__(self, runner: JobRunner, inference: InferenceService, files: FileAccess):
        self._runner = runner
        self._inference = inference
        self._files = files
        runner.register(self.kind, self._work, concurrency=JOBS_AT_ONCE, resumable=True)

    # ---------------------------------------------------------------- what each kind says

    @abstractmethod
    def job(self, record: JobRecord) -> Message:
        """The API's job message."""

    @abstractmethod
    def models(self, params: dict[str, Any]) -> list[str]:
        """The models the job's lines need."""

    @abstractmethod
    def line_processor(self, ctx: JobContext) -> tuple[Callable[[InputLine], Awaitable[list[dict]]], int]:
        """(process(line) -> the line's success lines, how many lines to keep in flight)."""

    # ---------------------------------------------------------------- shared

    async def _submit(self, params: dict[str, Any], parsed: list[InputLine]) -> JobRecord:
        return await self._runner.submit(self.kind, params, rows={lines.INPUT: [line.to_bytes() for line in parsed]})

    def record(self, job_id: str) -> JobRecord:
        return job_of_kind(self._runner, job_id, self.kind, self.noun)

    async def status(self, job_id: str):
        return self.job(self.record(job_id))

    async def cancel(self, job_id: str):
        self.record(job_id)
        return self.job(await self._runner.cancel(job_id))

    async def list_outputs(self, request):
        """A page of the job's success lines (or error lines, with file=error)."""
        self.record(request.job_id)
        errors = request.file == v0.BATCH_OUTPUT_FILE_ERROR
        found, following = lines.page(self._runner, request.job_id, lines.ERROR if errors else lines.SUCCESS,
                                      request.page_size if request.HasField("page_size") else None,
                                      request.page_token if request.HasField("page_token") else None)
        response = self.outputs_type()
        if errors:
            response.errors.extend(from_json(line, v0.BatchLineError) for line in found)
        else:
            field = self.outputs_type.DESCRIPTOR.fields[0]
            getattr(response, field.name).extend(from_json(line, type_for(field.message_type)) for line in found)
        if following is not None:
            response.next_page_token = following
        return response

    def fill_job(self, job, record: JobRecord):
        """What every batch job message takes from its record: id, times, status, error,
        line counts."""
        job.job_id = record.id
        job.status = BATCH_JOB_STATUS[record.state]
        job.created.CopyFrom(timestamp(record.created_at))
        if record.finished_at is not None:
            job.finished_at.CopyFrom(timestamp(record.finished_at))
        if record.error:
            job.error = record.error
        for counter in ("lines_total", "lines_done", "lines_failed"):
            if counter in record.progress:
                setattr(job, counter, record.progress[counter])
        return job

    def output_file(self, record: JobRecord, stream: str) -> str:
        return str(lines.output_path(self._runner, record.id, stream))

    def file_paths(self, record: JobRecord) -> dict[str, v0.Path]:
        """The job's input, success and error files as the draft's Paths."""
        return {"input_file_path": from_json(record.params["input_file_path"], v0.Path),
                "success_file_path": v0.Path(type=v0.PATH_TYPE_FILEPATH, value=self.output_file(record, lines.SUCCESS)),
                "error_file_path": v0.Path(type=v0.PATH_TYPE_FILEPATH, value=self.output_file(record, lines.ERROR))}

    def llm(self, model_id: str | None, field: str) -> str:
        """A registered LLM (the first one when none is named), else 400 naming field."""
        model_id = model_id or self._inference.default_llm()
        self._inference.registry.require(model_id, field)
        self._inference.registry.get(model_id, ("llm",), field)
        return model_id

    def scoring(self, model_id: str | None, function: str | None) -> tuple[str, str]:
        if model_id:
            self._inference.registry.require(model_id, "reward_model")
        return self._inference.check_scoring(model_id, function, "reward_model")

    @staticmethod
    def generations(request) -> int:
        count = request.num_generations if request.HasField("num_generations") else 1
        if not 1 <= count <= MAX_GENERATIONS:
            raise InvalidArgument("num_generations", f"must be between 1 and {MAX_GENERATIONS}, got {count}")
        return count

    def in_flight(self, model_id: str, per_line: int) -> int:
        """Lines in flight for a model: enough engine requests to fill its batch twice over,
        so that a slot freed in the background budget is taken at once."""
        return max(2, 2 * self._inference.registry.spec(model_id).max_batch // per_line)

    async def _work(self, ctx: JobContext) -> dict:
        registry = self._inference.registry
        for model_id in self.models(ctx.params):
            try:
                registry.spec(model_id)
            except NotFound:
                raise FailedPrecondition(f"model '{model_id}' is no longer served, so the job cannot go on; "
                                         "serve it again and submit the job again") from None
            if registry.problem(model_id) is not None:
                raise FailedPrecondition(f"model '{model_id}' is unavailable: {registry.problem(model_id)}")
        process, width = self.line_processor(ctx)
        return await lines.run_lines(ctx, process, width)
