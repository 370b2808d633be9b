"""Eval jobs (`run_eval`) on the job framework: the benchmark's dataset rows through the
candidate and scorers, each scored row stored as it finishes (output stream `results`,
by row index, with the progress that counts it). A job resumed after a restart reads
which rows are stored and evaluates only the others; none is generated or scored twice.
The job's result holds the aggregates; the rows stay in the stream."""
from __future__ import annotations

import base64
import contextlib
import uuid
from collections.abc import Callable

from llamastack.eval.v1alpha import eval_pb2 as pb
from llamastack_grpc import struct_to_dict
from server.datasets.service import DatasetService
from server.errors import FailedPrecondition, NotFound
from server.eval.benchmarks import BenchmarkRegistry
from server.eval.candidates import AgentCandidate
from server.eval.evaluation import Plan, RowResult, aggregated, evaluate, response
from server.eval.rows import EvalRow
from server.jobs import JobContext, JobRecord, JobRunner, JobState
from server.jobs.helpers import until_cancelled

KIND = "eval"
RESULTS = "results"
CONCURRENCY = 2  # eval jobs running at once; more wait scheduled

STATUS = {
    JobState.VALIDATING: pb.JOB_STATUS_SCHEDULED,
    JobState.QUEUED: pb.JOB_STATUS_SCHEDULED,
    JobState.RUNNING: pb.JOB_STATUS_IN_PROGRESS,
    JobState.COMPLETED: pb.JOB_STATUS_COMPLETED,
    JobState.FAILED: pb.JOB_STATUS_FAILED,
    JobState.CANCELLED: pb.JOB_STATUS_CANCELLED,
}

Planner = Callable[..., Plan]  # (function_ids, config, field, label, background) -> Plan


def status_name(record: JobRecord) -> str:
    return pb.JobStatus.Name(STATUS[record.state]).removeprefix("JOB_STATUS_").lower()


def new_job_id() -> str:
    return f"{KIND}-{uuid.uuid4().hex}"


def label(job_id: str) -> str:
    """What an agent candidate's sessions are named after."""
    return f"eval job {job_id}"


class EvalJobs:
    def __init__(self, runner: JobRunner, benchmarks: BenchmarkRegistry, datasets: DatasetService,
                 planner: Planner):
        self._runner = runner
        self._benchmarks = benchmarks
        self._datasets = datasets
        self._planner = planner
        runner.register(KIND, self._work, concurrency=CONCURRENCY, resumable=True)

    async def submit(self, job_id: str, benchmark: pb.Benchmark, config: pb.BenchmarkConfig,
                     agent_id: str) -> JobRecord:
        params = {"benchmark_id": benchmark.identifier, "dataset_id": benchmark.dataset_id,
                  "scoring_functions": list(benchmark.scoring_functions), "agent_id": agent_id,
                  "num_examples": config.num_examples if config.HasField("num_examples") else None,
                  "config": base64.b64encode(config.SerializeToString()).decode()}
        return await self._runner.submit(KIND, params, job_id=job_id)

    def of_benchmark(self, benchmark_id: str) -> list[JobRecord]:
        return [r for r in self._runner.list(KIND) if r.params["benchmark_id"] == benchmark_id]

    def get(self, benchmark_id: str, job_id: str) -> JobRecord:
        try:
            record = self._runner.get(job_id)
        except NotFound:
            record = None
        if record is None or record.kind != KIND or record.params["benchmark_id"] != benchmark_id:
            raise NotFound(f"Job '{job_id}' of benchmark '{benchmark_id}' not found")
        return record

    async def cancel(self, record: JobRecord) -> JobRecord:
        return await self._runner.cancel(record.id)

    async def delete(self, record: JobRecord) -> None:
        await self._runner.delete(record.id)

    def result(self, record: JobRecord) -> pb.EvaluateResponse:
        if record.state != JobState.COMPLETED:
            why = f": {record.error}" if record.error else ""
            raise FailedPrecondition(f"Job '{record.id}' is {status_name(record)}{why}; its result is available "
                                     f"once it is completed")
        results = [RowResult.from_bytes(value) for _, value in self._runner.rows(record.id, RESULTS)]
        return response(record.params["scoring_functions"], results, record.result["aggregated_results"])

    # ---------------------------------------------------------------- the work

    async def _work(self, ctx: JobContext) -> dict:
        params = ctx.params
        await self._benchmarks.get(params["benchmark_id"])  # unregistered meanwhile: the job fails, saying so
        config = pb.BenchmarkConfig.FromString(base64.b64decode(params["config"]))
        plan = self._planner(params["scoring_functions"], config, "scoring_functions", label(ctx.job_id),
                             background=True)
        if isinstance(plan.candidate, AgentCandidate):
            plan.candidate.use_agent(params["agent_id"])
        # The rows are fixed at the first start: a dataset that grows later does not change the job.
        total = ctx.progress.get("rows_total")
        page = await self._datasets.iterrows(params["dataset_id"], 0, total or params["num_examples"])
        total = len(page.data) if total is None else total
        done = ctx.row_indices(RESULTS)
        if ctx.resumed:
            ctx.log(f"resumed: {len(done)} of {total} rows were already scored")
        ctx.report(rows_total=total, rows_done=len(done))
        pending = [EvalRow(i, struct_to_dict(row)) for i, row in enumerate(page.data[:total]) if i not in done]

        async def score_all() -> None:
            scored, written = len(done), None
            async with contextlib.aclosing(evaluate(plan, pending)) as results:
                async for result in results:
                    scored += 1
                    written = ctx.put_rows(RESULTS, {result.index: result.to_bytes()}, rows_done=scored)
            if written is not None:
                await written  # every row is stored before the aggregates read them back

        await until_cancelled(ctx, score_all())
        stored = [RowResult.from_bytes(value) for _, value in ctx.rows(RESULTS)]
        return {"aggregated_results": aggregated(plan.scorers, stored)}
