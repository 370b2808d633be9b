"""Benchmarks: a registered dataset and the scoring functions to run on it. One table,
``eval_benchmarks``: ``<benchmark_id>`` -> serialized ``Benchmark``."""
from __future__ import annotations

import asyncio

from llamastack.common.v1 import common_pb2
from llamastack.eval.v1alpha import eval_pb2 as pb
from server.datasets.service import DatasetService
from server.errors import AlreadyExists, InvalidArgument, NotFound
from server.eval.scoring import FUNCTIONS
from server.ids import check_id
from server.storage import KeyValueStore

BENCHMARKS = "eval_benchmarks"
PROVIDER_ID = "meta-reference"  # the reference server's eval provider, the only one here


def not_found(benchmark_id: str) -> NotFound:
    return NotFound(f"Benchmark '{benchmark_id}' not found")


class BenchmarkRegistry:
    def __init__(self, store: KeyValueStore, datasets: DatasetService):
        self._store = store
        self._datasets = datasets
        store.open_tables(BENCHMARKS)

    async def register(self, req: pb.RegisterBenchmarkRequest) -> pb.Benchmark:
        check_id(req.benchmark_id, "benchmark_id", path_segment=True)
        try:
            await self._datasets.get(req.dataset_id)
        except NotFound:
            raise InvalidArgument("dataset_id", f"dataset '{req.dataset_id}' is not registered") from None
        if not req.scoring_functions:
            raise InvalidArgument("scoring_functions", "must name at least one scoring function")
        for i, function_id in enumerate(req.scoring_functions):
            if function_id not in FUNCTIONS:
                raise InvalidArgument(f"scoring_functions[{i}]", f"unknown scoring function {function_id!r}; "
                                                                 f"known: {', '.join(FUNCTIONS)}")
            if function_id in req.scoring_functions[:i]:
                raise InvalidArgument(f"scoring_functions[{i}]", f"{function_id!r} is named twice")
        if req.HasField("provider_id") and req.provider_id not in ("", PROVIDER_ID):
            raise InvalidArgument("provider_id", f"unknown provider {req.provider_id!r}; this server's eval "
                                                 f"provider is {PROVIDER_ID!r}")
        benchmark = pb.Benchmark(
            identifier=req.benchmark_id, provider_id=PROVIDER_ID, type=common_pb2.RESOURCE_TYPE_BENCHMARK,
            provider_resource_id=req.provider_benchmark_id if req.HasField("provider_benchmark_id")
            else req.benchmark_id,
            dataset_id=req.dataset_id, scoring_functions=req.scoring_functions)
        benchmark.metadata.CopyFrom(req.metadata)
        value = benchmark.SerializeToString()

        def write(txn) -> bool:
            return txn.put(BENCHMARKS, req.benchmark_id.encode(), value, overwrite=False)

        if not await asyncio.to_thread(self._store.write, write):
            raise AlreadyExists(f"Benchmark '{req.benchmark_id}' already exists")
        return benchmark

    async def list(self) -> list[pb.Benchmark]:
        def read():
            with self._store.read() as txn:
                return [pb.Benchmark.FromString(value) for _, value in txn.scan(BENCHMARKS)]

        return await asyncio.to_thread(read)

    async def get(self, benchmark_id: str) -> pb.Benchmark:
        value = await asyncio.to_thread(self._store.get, BENCHMARKS, benchmark_id.encode())
        if value is None:
            raise not_found(benchmark_id)
        return pb.Benchmark.FromString(value)

    async def delete(self, benchmark_id: str) -> None:
        def write(txn) -> bool:
            return txn.delete(BENCHMARKS, benchmark_id.encode())

        if not await asyncio.to_thread(self._store.write, write):
            raise not_found(benchmark_id)
