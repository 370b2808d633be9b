"""The eval domain service: benchmarks, row evaluations and eval jobs. Plain Python."""
from __future__ import annotations

import asyncio
import dataclasses

from llamastack.eval.v1alpha import eval_pb2 as pb
from llamastack_grpc import struct_to_dict
from server.agents.service import AgentService
from server.datasets.service import DatasetService
from server.errors import FailedPrecondition, InvalidArgument, NotFound
from server.eval import jobs
from server.eval.benchmarks import BenchmarkRegistry
from server.eval.candidates import AgentCandidate, candidate_of
from server.eval.evaluation import Plan, aggregated, evaluate, response, scorers_of
from server.eval.rows import EvalRow
from server.eval.scoring import ScoringContext
from server.inference.service import InferenceService
from server.jobs import JobRunner


def num_examples(config: pb.BenchmarkConfig) -> int | None:
    if not config.HasField("num_examples"):
        return None
    if config.num_examples < 1:
        raise InvalidArgument("benchmark_config.num_examples", "must be at least 1")
    return config.num_examples


class EvalService:
    def __init__(self, benchmarks: BenchmarkRegistry, datasets: DatasetService, inference: InferenceService,
                 agents: AgentService, runner: JobRunner, judge_max_tokens: int):
        self.benchmarks = benchmarks
        self._datasets = datasets
        self._inference = inference
        self._agents = agents
        self._scoring = ScoringContext(inference, judge_max_tokens)
        self._jobs = jobs.EvalJobs(runner, benchmarks, datasets, self.plan)

    # ---------------------------------------------------------------- benchmarks

    async def unregister_benchmark(self, benchmark_id: str) -> None:
        """Refused while one of the benchmark's jobs is scheduled or running; otherwise its
        ended jobs (and their results) go with it."""
        await self.benchmarks.get(benchmark_id)
        owned = self._jobs.of_benchmark(benchmark_id)
        active = [r.id for r in owned if not r.state.terminal]
        if active:
            raise FailedPrecondition(f"Benchmark '{benchmark_id}' has eval jobs that have not ended "
                                     f"({', '.join(active)}); cancel them first")
        for record in owned:
            await self._jobs.delete(record)
        await self.benchmarks.delete(benchmark_id)

    # ---------------------------------------------------------------- evaluations

    def plan(self, function_ids, config: pb.BenchmarkConfig, field: str, label: str,
             background: bool = False) -> Plan:
        """The candidate and scorers of a benchmark config (400 naming the field if it is wrong)."""
        scorers = scorers_of(function_ids, config, dataclasses.replace(self._scoring, background=background), field)
        return Plan(candidate_of(config, self._inference, self._agents, label, background), scorers)

    async def evaluate_rows(self, request: pb.EvaluateRowsRequest) -> pb.EvaluateResponse:
        await self.benchmarks.get(request.benchmark_id)
        config = request.benchmark_config
        limit = num_examples(config)
        if not request.input_rows:
            raise InvalidArgument("input_rows", "must hold at least one row")
        plan = self.plan(request.scoring_functions, config, "scoring_functions", f"eval {request.benchmark_id}")
        if isinstance(plan.candidate, AgentCandidate):
            await plan.candidate.create_agent()
        rows = [EvalRow(i, struct_to_dict(row)) for i, row in enumerate(request.input_rows[:limit])]
        results = sorted([result async for result in evaluate(plan, rows)], key=lambda r: r.index)
        return response(list(plan.scorers), results, aggregated(plan.scorers, results))

    # ---------------------------------------------------------------- jobs

    async def run_eval(self, request: pb.RunEvalRequest) -> pb.Job:
        benchmark = await self.benchmarks.get(request.benchmark_id)
        config = request.benchmark_config
        num_examples(config)
        try:
            await self._datasets.get(benchmark.dataset_id)
        except NotFound:
            raise FailedPrecondition(f"the benchmark's dataset '{benchmark.dataset_id}' is no longer "
                                     f"registered") from None
        job_id = jobs.new_job_id()
        plan = self.plan(benchmark.scoring_functions, config, "scoring_functions", jobs.label(job_id))
        agent_id = await plan.candidate.create_agent() if isinstance(plan.candidate, AgentCandidate) else ""
        record = await self._jobs.submit(job_id, benchmark, config, agent_id)
        return pb.Job(job_id=record.id, status=jobs.STATUS[record.state])

    async def job_status(self, benchmark_id: str, job_id: str) -> pb.Job:
        await self.benchmarks.get(benchmark_id)
        record = self._jobs.get(benchmark_id, job_id)
        return pb.Job(job_id=record.id, status=jobs.STATUS[record.state])

    async def cancel_job(self, benchmark_id: str, job_id: str) -> None:
        await self.benchmarks.get(benchmark_id)
        await self._jobs.cancel(self._jobs.get(benchmark_id, job_id))

    async def job_result(self, benchmark_id: str, job_id: str) -> pb.EvaluateResponse:
        await self.benchmarks.get(benchmark_id)
        record = self._jobs.get(benchmark_id, job_id)
        return await asyncio.to_thread(self._jobs.result, record)  # thousands of rows: off the event loop
