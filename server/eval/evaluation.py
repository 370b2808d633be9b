"""How rows are evaluated: the candidate answers each row, then every scoring function
scores it. Rows run concurrently (as many as the candidate's engine batches), so they
share the engine's continuous batching; results come back as rows finish. A row that
cannot be answered or scored carries its error and a null score: it never fails the
evaluation."""
from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Iterable
from dataclasses import asdict, dataclass

from google.protobuf import struct_pb2

from llamastack.eval.v1alpha import eval_pb2 as pb
from server.errors import InvalidArgument, ServiceError
from server.eval.candidates import Candidate
from server.eval.rows import EvalRow, RowError
from server.eval.scoring import FUNCTIONS, Scorer, ScoringContext
from server.eval.scoring.aggregation import ScoredRow, aggregate

log = logging.getLogger(__name__)


@dataclass
class RowResult:
    index: int
    generation: dict
    scores: dict[str, dict]  # scoring function id -> the row's score row
    weight: float | None = 1.0

    def to_bytes(self) -> bytes:
        return json.dumps(asdict(self)).encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> RowResult:
        return cls(**json.loads(data))


@dataclass
class Plan:
    candidate: Candidate
    scorers: dict[str, Scorer]  # in the order of the scoring functions asked for


def scorers_of(function_ids: Iterable[str], config: pb.BenchmarkConfig, context: ScoringContext,
               field: str) -> dict[str, Scorer]:
    """The scoring functions, each configured with its scoring_params (400 naming the field)."""
    function_ids = list(function_ids)
    if not function_ids:
        raise InvalidArgument(field, "must name at least one scoring function")
    for key in config.scoring_params:
        if key not in function_ids:
            raise InvalidArgument(f"benchmark_config.scoring_params.{key}",
                                  f"is not one of the scoring functions evaluated ({', '.join(function_ids)})")
    scorers = {}
    for i, function_id in enumerate(function_ids):
        function = FUNCTIONS.get(function_id)
        if function is None:
            raise InvalidArgument(f"{field}[{i}]", f"unknown scoring function {function_id!r}; known: "
                                                   f"{', '.join(FUNCTIONS)}")
        if function_id in scorers:
            raise InvalidArgument(f"{field}[{i}]", f"{function_id!r} is named twice")
        params = config.scoring_params.get(function_id)
        scorers[function_id] = function.configure(params, f"benchmark_config.scoring_params.{function_id}",
                                                  context)
    return scorers


def _error_message(error: Exception) -> str:
    return error.message if isinstance(error, ServiceError) else str(error)


async def _score(scorer: Scorer, row: EvalRow, generated: str) -> dict:
    try:
        return await scorer.score(row, generated)
    except (RowError, ServiceError) as error:
        return {"score": None, "error": _error_message(error)}


async def evaluate_row(plan: Plan, row: EvalRow) -> RowResult:
    try:
        generation = await plan.candidate.generate(row)
    except (RowError, ServiceError) as error:
        message = _error_message(error)
        return RowResult(row.index, {"generated_answer": None, "error": message},
                         {function_id: {"score": None, "error": message} for function_id in plan.scorers},
                         row.weight())
    generated = generation["generated_answer"]
    scores = await asyncio.gather(*(_score(scorer, row, generated) for scorer in plan.scorers.values()))
    return RowResult(row.index, generation, dict(zip(plan.scorers, scores, strict=True)), row.weight())


async def evaluate(plan: Plan, rows: Iterable[EvalRow]) -> AsyncIterator[RowResult]:
    """Each row's result as soon as it is ready (not in row order); at most
    `plan.candidate.concurrency` rows in flight. Closing the iterator cancels the rest."""
    pending = iter(rows)
    running: set[asyncio.Task] = set()
    try:
        while True:
            while len(running) < plan.candidate.concurrency:
                row = next(pending, None)
                if row is None:
                    break
                running.add(asyncio.create_task(evaluate_row(plan, row)))
            if not running:
                return
            done, running = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                yield task.result()
    finally:
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)


def aggregated(plan_scorers: dict[str, Scorer], results: list[RowResult]) -> dict[str, dict]:
    return {function_id: aggregate([ScoredRow(r.scores[function_id]["score"], r.weight) for r in results],
                                   scorer.aggregations)
            for function_id, scorer in plan_scorers.items()}


def _struct(values: dict) -> struct_pb2.Struct:
    struct = struct_pb2.Struct()
    struct.update(values)
    return struct


def response(function_ids: list[str], results: list[RowResult], aggregates: dict[str, dict]) -> pb.EvaluateResponse:
    """The EvaluateResponse of results given in row order."""
    answer = pb.EvaluateResponse(generations=[_struct(r.generation) for r in results])
    for function_id in function_ids:
        scoring = answer.scores[function_id]
        scoring.score_rows.extend(_struct(r.scores[function_id]) for r in results)
        scoring.aggregated_results.CopyFrom(_struct(aggregates[function_id]))
    return answer
