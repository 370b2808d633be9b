"""The eval domain service: benchmarks, and row evaluations. Plain Python."""
from __future__ import annotations

import asyncio

from llamastack.eval.v1alpha import eval_pb2 as pb
from llamastack_grpc import struct_to_dict

from server.agents.service import AgentService
from server.errors import InvalidArgument
from server.eval.benchmarks import BenchmarkRegistry, not_found
from server.eval.candidates import AgentCandidate, candidate_of
from server.eval.evaluation import Plan, aggregated, evaluate, response, scorers_of
from server.eval.rows import EvalRow
from server.eval.scoring import ScoringContext
from server.inference.service import InferenceService
from server.storage import KeyValueStore


def num_examples(config: pb.BenchmarkConfig) -> int | None:
    if not config.HasField("num_examples"):
        return None
    if config.num_examples < 1:
        raise InvalidArgument("benchmark_config.num_examples", "must be at least 1")
    return config.num_examples


class EvalService:
    def __init__(self, store: KeyValueStore, benchmarks: BenchmarkRegistry, inference: InferenceService,
                 agents: AgentService, judge_max_tokens: int):
        self._store = store
        self.benchmarks = benchmarks
        self._inference = inference
        self._agents = agents
        self._scoring = ScoringContext(inference, judge_max_tokens)

    # ---------------------------------------------------------------- benchmarks

    async def unregister_benchmark(self, benchmark_id: str) -> None:
        if not await asyncio.to_thread(self._store.write, lambda txn: self.benchmarks.delete(txn, benchmark_id)):
            raise not_found(benchmark_id)

    # ---------------------------------------------------------------- evaluations

    def plan(self, function_ids, config: pb.BenchmarkConfig, field: str, label: str) -> Plan:
        """The candidate and scorers of a benchmark config (400 naming the field if it is wrong)."""
        scorers = scorers_of(function_ids, config, self._scoring, field)
        return Plan(candidate_of(config, self._inference, self._agents, label), scorers)

    async def evaluate_rows(self, request: pb.EvaluateRowsRequest) -> pb.EvaluateResponse:
        await self.benchmarks.get(request.benchmark_id)
        config = request.benchmark_config
        limit = num_examples(config)
        if not request.input_rows:
            raise InvalidArgument("input_rows", "must hold at least one row")
        plan = self.plan(request.scoring_functions, config, "scoring_functions", f"eval {request.benchmark_id}")
        if isinstance(plan.candidate, AgentCandidate):
            plan.candidate.create_agent()
        rows = [EvalRow(i, struct_to_dict(row)) for i, row in enumerate(request.input_rows[:limit])]
        results = sorted([result async for result in evaluate(plan, rows)], key=lambda r: r.index)
        return response(list(plan.scorers), results, aggregated(plan.scorers, results))
