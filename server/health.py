"""Health that means something: grpc.health.v1 reports a service SERVING only when it
is implemented and every model it uses is loaded and its engine alive. A model that
failed to load, or an engine that stopped, turns the services using it NOT_SERVING;
the contract's services with no implementation are NOT_SERVING. The overall "" entry
is SERVING only while every implemented service is. A background task re-checks the
engines every `interval` seconds, so Watch streams see each change."""
from __future__ import annotations

import asyncio
import logging

from grpc_health.v1 import health, health_pb2

from server.inference.models import ModelRegistry

log = logging.getLogger(__name__)

SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING

# The model kinds each service runs on; services not listed need no model.
MODEL_KINDS = {
    "llamastack.inference.v0.InferenceService": ("llm",),
    "llamastack.inference.v1alpha.InferenceService": ("rerank", "embedding"),
    "llamastack.rewardscoring.v0.RewardScoringService": ("reward", "llm"),
    "llamastack.vectorstore.v0.VectorStoreService": ("embedding",),
    "llamastack.agents.v1alpha.AgentsService": ("llm", "embedding"),
    "llamastack.agents.v0.AgentsService": ("llm", "embedding"),
    "llamastack.batchinference.v0.BatchInferenceService": ("llm",),
    "llamastack.batchrewardscoring.v0.BatchRewardScoringService": ("reward", "llm"),
    "llamastack.eval.v1alpha.EvalService": ("llm",),
    "llamastack.syntheticdatagen.v0.SyntheticDataGenService": ("llm",),
}


class HealthTracker:
    def __init__(self, servicer: health.aio.HealthServicer, contract: list[str], implemented: set[str],
                 models: ModelRegistry, interval: float = 1.0):
        self.servicer = servicer
        self.contract = contract
        self.implemented = implemented
        self.models = models
        self.interval = interval
        self._current: dict[str, int] = {}
        self._task: asyncio.Task | None = None
        self._stopped = False

    def problems(self, service: str) -> list[str]:
        """Why the service is not SERVING (empty: it is)."""
        if service not in self.implemented:
            return ["not implemented"]
        kinds = MODEL_KINDS.get(service, ())
        return [f"model '{spec.id}' {problem}" for spec in self.models.specs_of() if spec.kind in kinds
                if (problem := self.models.problem(spec.id)) is not None]

    def statuses(self) -> dict[str, int]:
        services = {name: NOT_SERVING if self.problems(name) else SERVING for name in self.contract}
        overall = all(services[name] == SERVING for name in services if name in self.implemented)
        return {"": SERVING if overall else NOT_SERVING, **services}

    @property
    def serving(self) -> bool:
        return self._current.get("") == SERVING

    async def refresh(self) -> None:
        if self._stopped:
            return
        for name, status in self.statuses().items():
            if self._current.get(name) != status:
                if name and status == NOT_SERVING and name in self.implemented:
                    log.error("health: %s is NOT_SERVING: %s", name, "; ".join(self.problems(name)))
                self._current[name] = status
                await self.servicer.set(name, status)

    async def start(self) -> None:
        await self.refresh()
        self._task = asyncio.create_task(self._watch_engines())

    async def _watch_engines(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                await self.refresh()
            except Exception:  # a check that fails must not end the watching
                log.exception("health: checking the engines failed")

    async def shutdown(self) -> None:
        """Draining: everything NOT_SERVING from now on."""
        self._stopped = True
        if self._task is not None:
            self._task.cancel()
        self._current = {name: NOT_SERVING for name in self._current}
        await self.servicer.enter_graceful_shutdown()
