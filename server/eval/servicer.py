"""The gRPC servicer of the eval API: a thin adapter over EvalService (validation of
required fields and the mapping of domain errors to status codes happen in server/rpc/)."""
from __future__ import annotations

from google.protobuf import empty_pb2

from llamastack.eval.v1alpha import eval_pb2 as pb
from server.eval.service import EvalService


class EvalServicer:
    def __init__(self, service: EvalService):
        self._service = service

    async def ListBenchmarks(self, request, context):
        return pb.ListBenchmarksResponse(data=await self._service.benchmarks.list())

    async def RegisterBenchmark(self, request, context):
        await self._service.benchmarks.register(request)
        return empty_pb2.Empty()

    async def GetBenchmark(self, request, context):
        return await self._service.benchmarks.get(request.benchmark_id)

    async def UnregisterBenchmark(self, request, context):
        await self._service.unregister_benchmark(request.benchmark_id)
        return empty_pb2.Empty()

    async def EvaluateRows(self, request, context):
        return await self._service.evaluate_rows(request)

    async def RunEval(self, request, context):
        return await self._service.run_eval(request)

    async def JobStatus(self, request, context):
        return await self._service.job_status(request.benchmark_id, request.job_id)

    async def JobCancel(self, request, context):
        await self._service.cancel_job(request.benchmark_id, request.job_id)
        return empty_pb2.Empty()

    async def JobResult(self, request, context):
        return await self._service.job_result(request.benchmark_id, request.job_id)
