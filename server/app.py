"""Assembles the process: storage, domain services, the grpc.aio server (with
reflection and health) and the REST gateway, and shuts them down gracefully."""
from __future__ import annotations

import asyncio
import gc
import logging
import signal

import grpc
import uvicorn
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from gateway.app import Channel, create_app
from gateway.protocol import GatewayHttpProtocol
from llamastack_grpc import services
from server.agents.draft import DraftAgentExecution
from server.agents.memories import DraftMemories
from server.agents.service import AgentService
from server.agents.servicer import AgentsServicer, DraftAgentsServicer
from server.agents.shields import build_shields
from server.agents.store import AgentStore
from server.agents.tools import ToolRuntime
from server.batch.inference import BatchInference
from server.batch.reward import BatchRewardScoring
from server.batch.servicer import BatchInferenceServicer, BatchRewardScoringServicer, SyntheticDataGenServicer
from server.batch.synthetic import SyntheticDataGen
from server.config import ServerConfig
from server.datasets.service import DatasetService
from server.datasets.servicer import DatasetIOServicer, DatasetsServicer
from server.eval.benchmarks import BenchmarkRegistry
from server.eval.service import EvalService
from server.eval.servicer import EvalServicer
from server.health import HealthTracker
from server.inference.models import ModelRegistry, default_specs
from server.inference.service import InferenceService
from server.inference.servicer import ChatServicer, RerankServicer, RewardScoringServicer
from server.inference.specs import ModelSpec
from server.inspect.servicer import InspectServicer
from server.jobs import EngineBudget, JobRunner
from server.models.servicer import ModelsServicer
from server.rpc import reflection
from server.rpc.handlers import generic_handlers
from server.rpc.inprocess import InProcessChannel
from server.security.api_keys import AccessPolicy
from server.security.interceptor import AuthInterceptor
from server.security.tls import exposure_warning, grpc_server_credentials, uvicorn_ssl_options
from server.storage import open_store
from server.telemetry.queries import TelemetryService
from server.telemetry.runtime import Telemetry, TelemetrySettings
from server.telemetry.servicer import TelemetryServicer
from server.training.engine import TrainingEngine
from server.training.finetuning import FineTuning
from server.training.posttraining import PostTraining
from server.training.servicer import FineTuningServicer, PostTrainingServicer
from server.vectorstores.service import VectorStoreService
from server.vectorstores.servicer import VectorStoreServicer

log = logging.getLogger("llama_stack_grpc")


class App:
    def __init__(self, config: ServerConfig):
        self.config = config
        self.store = open_store(config.storage, config.data_dir, config.postgres_dsn)
        datasets = DatasetService(self.store, config.file_access)
        specs = [ModelSpec.from_setting(m) for m in config.models]
        if config.default_models:
            specs += default_specs(config.data_dir, specs)
        self.models = ModelRegistry(specs, allow_downloads=config.allow_downloads, store=self.store)
        budget = EngineBudget(lambda model_id: self.models.spec(model_id).max_batch, share=config.background_share)
        self.inference = inference = InferenceService(self.models, budget)
        self.jobs = JobRunner(self.store, config.data_dir / "jobs", lease_seconds=config.job_lease_seconds)
        self.vector_stores = VectorStoreService(self.store, self.jobs, inference, config.file_access,
                                                index_threshold=config.vector_index_threshold)
        tools = ToolRuntime(self.vector_stores, config.data_dir, config.web_search_provider,
                            config.web_search_api_key)
        self.agents = AgentService(AgentStore(self.store), inference, tools,
                                   build_shields(config.shields, inference), config.file_access)
        self.eval = EvalService(BenchmarkRegistry(self.store, datasets), datasets, inference, self.agents, self.jobs,
                                judge_max_tokens=config.eval_judge_max_tokens)
        self.telemetry = Telemetry(TelemetrySettings.from_config(config), self.store, config.data_dir / "telemetry",
                                   self.models, self.jobs)
        training = TrainingEngine(self.jobs, self.models, concurrency=config.training_concurrency)
        servicers = {
            "llamastack.telemetry.v1alpha.TelemetryService": TelemetryServicer(TelemetryService(self.telemetry,
                                                                                               datasets)),
            "llamastack.datasets.v1beta.DatasetsService": DatasetsServicer(datasets),
            "llamastack.datasetio.v1beta.DatasetIOService": DatasetIOServicer(datasets),
            "llamastack.models.v1.ModelsService": ModelsServicer(self.models),
            "llamastack.inference.v0.InferenceService": ChatServicer(inference),
            "llamastack.inference.v1alpha.InferenceService": RerankServicer(inference),
            "llamastack.rewardscoring.v0.RewardScoringService": RewardScoringServicer(inference),
            "llamastack.vectorstore.v0.VectorStoreService": VectorStoreServicer(self.vector_stores),
            "llamastack.batchinference.v0.BatchInferenceService": BatchInferenceServicer(
                BatchInference(self.jobs, inference, config.file_access)),
            "llamastack.batchrewardscoring.v0.BatchRewardScoringService": BatchRewardScoringServicer(
                BatchRewardScoring(self.jobs, inference, config.file_access)),
            "llamastack.syntheticdatagen.v0.SyntheticDataGenService": SyntheticDataGenServicer(
                SyntheticDataGen(self.jobs, inference, config.file_access)),
            "llamastack.agents.v1alpha.AgentsService": AgentsServicer(self.agents),
            "llamastack.agents.v0.AgentsService": DraftAgentsServicer(DraftAgentExecution(self.agents),
                                                                      DraftMemories(self.vector_stores)),
            "llamastack.eval.v1alpha.EvalService": EvalServicer(self.eval),
            "llamastack.posttraining.v1alpha.PostTrainingService": PostTrainingServicer(PostTraining(training,
                                                                                                     datasets)),
            "llamastack.finetuning.v0.FineTuningService": FineTuningServicer(FineTuning(training, config.file_access)),
        }
        implemented = set(servicers) | {"llamastack.inspect.v1.InspectService"}
        self.health = health.aio.HealthServicer()
        self.health_tracker = HealthTracker(self.health, [s.full_name for s in services()], implemented,
                                            self.models, interval=config.health_check_interval)
        servicers["llamastack.inspect.v1.InspectService"] = InspectServicer(
            implemented, serving=lambda: self.health_tracker.serving)
        self.servicers = servicers
        self.policy = AccessPolicy(config.security)
        self.grpc_server: grpc.aio.Server | None = None
        self.http_server: uvicorn.Server | None = None
        self.grpc_port = config.grpc_port
        self.health_server: grpc.aio.Server | None = None
        self.health_port = config.health_port
        self.http_port = config.http_port
        self._stopping = asyncio.Event()

    async def start(self) -> None:
        self.telemetry.start()  # first: what starts from here on is traced by this server
        await asyncio.to_thread(self.models.load_all)  # warm-up happens before SERVING
        await self.jobs.start()  # recover jobs an earlier process left unfinished
        await self.vector_stores.recover()
        failed = self.agents.recover()
        if failed:
            log.warning("%d agent turn(s) were running when the server stopped: marked failed", failed)
        warning = exposure_warning(self.config.host, self.config.security)
        if warning:
            log.warning(warning)
        # Telemetry outermost: a refused call is traced and counted too.
        interceptors = [self.telemetry.interceptor()] + ([AuthInterceptor(self.policy)] if self.policy.enabled else [])
        handlers = generic_handlers(services(), self.servicers)
        server = grpc.aio.server(interceptors=interceptors,
                                 options=[("grpc.so_reuseport", 0), *self.config.transport.server_options()])
        server.add_generic_rpc_handlers(handlers)
        # The gateway calls the same handlers behind the same interceptors, without a second hop.
        self.gateway_channel = InProcessChannel(handlers, interceptors)
        health_pb2_grpc.add_HealthServicer_to_server(self.health, server)
        reflection.enable(server, [s.full_name for s in services()]
                          + [health_pb2.DESCRIPTOR.services_by_name["Health"].full_name])
        address = f"{self.config.host}:{self.config.grpc_port}"
        tls = self.config.security.tls
        if tls.enabled:
            self.grpc_port = server.add_secure_port(address, grpc_server_credentials(tls))
        else:
            self.grpc_port = server.add_insecure_port(address)
        await server.start()
        self.grpc_server = server
        if self.config.health_port is not None:
            await self._start_health_port()
        log.info("gRPC server listening on %s:%d%s", self.config.host, self.grpc_port, " (TLS)" if tls.enabled else "")
        if self.config.http_port is not None and self.config.http_port >= 0:
            await self._start_gateway()
        # Ready: services whose models are loaded report SERVING (server/health.py).
        await self.health_tracker.start()

    async def _start_health_port(self) -> None:
        server = grpc.aio.server(options=[("grpc.so_reuseport", 0)])
        health_pb2_grpc.add_HealthServicer_to_server(self.health, server)
        self.health_port = server.add_insecure_port(f"{self.config.host}:{self.config.health_port}")
        await server.start()
        self.health_server = server
        log.info("gRPC health (plaintext, health only) on %s:%d", self.config.host, self.health_port)

    def gateway_app(self, channel: Channel):
        """The REST gateway with this server's settings, calling through `channel`."""
        return create_app(channel, authorize=self.policy.http_refusal,
                          max_request_bytes=self.config.transport.max_receive_message_bytes,
                          tracer_provider=self.telemetry.provider, metrics_registry=self.telemetry.registry,
                          relayed_spans=self.telemetry.relayed,
                          render_cache_bytes=self.config.gateway_render_cache_bytes)

    async def _start_gateway(self) -> None:
        uv_config = uvicorn.Config(self.gateway_app(self.gateway_channel), host=self.config.host,
                                   port=self.config.http_port, http=GatewayHttpProtocol,
                                   log_level=self.config.log_level.lower(), access_log=self.config.access_log,
                                   lifespan="on",
                                   timeout_graceful_shutdown=int(self.config.grace_period),
                                   **uvicorn_ssl_options(self.config.security.tls))
        self.http_server = uvicorn.Server(uv_config)
        self.http_server.install_signal_handlers = lambda: None  # this process handles signals itself
        self._http_task = asyncio.create_task(self.http_server.serve())
        while not self.http_server.started:
            if self._http_task.done():
                await self._http_task
                raise RuntimeError("the REST gateway did not start")
            await asyncio.sleep(0.02)
        self.http_port = self.http_server.servers[0].sockets[0].getsockname()[1]
        scheme = "https" if self.config.security.tls.enabled else "http"
        log.info("REST gateway listening on %s://%s:%d", scheme, self.config.host, self.http_port)

    async def stop(self) -> None:
        """Drain: report NOT_SERVING, stop accepting, let in-flight calls finish within
        the grace period, then close the store."""
        log.info("draining (grace period %.0fs)", self.config.grace_period)
        await self.health_tracker.shutdown()
        waits = []
        if self.http_server is not None:
            self.http_server.should_exit = True
            waits.append(self._http_task)
        if self.grpc_server is not None:
            waits.append(self.grpc_server.stop(self.config.grace_period))
        if self.health_server is not None:
            waits.append(self.health_server.stop(self.config.grace_period))
        await asyncio.gather(*waits, return_exceptions=True)
        await self.jobs.stop()  # running jobs stop; they are recovered on the next start
        self.agents.close()  # the turns' last writes are committed
        self.models.close()
        self.telemetry.shutdown()  # the spans still queued are stored
        self.store.close()
        log.info("stopped")

    async def run_until_signal(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self._stopping.set)
        await self.start()
        # What start-up built (models, libraries, caches) lives as long as the process: out
        # of the collector's sight, a full collection walks only what requests made since,
        # not the whole heap (tens of ms each, paused for every call in flight).
        gc.collect()
        gc.freeze()
        await self._stopping.wait()
        await self.stop()
