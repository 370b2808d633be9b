"""Health that means something: implemented services whose models are loaded are
SERVING; a model that failed to load or an engine that stopped turns its services
NOT_SERVING (Check and Watch), /v1/health agrees, and calls answer UNAVAILABLE with
RetryInfo."""
from __future__ import annotations

import queue
import threading

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_status import rpc_status

from llamastack_grpc import services
from server.health import HealthTracker
from server.inference.models import ModelRegistry
from tests._helpers_inference import chat_body, chat_request
from tests._wait import wait_until
from tests.conftest import RunningServer, make_config

SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING
CHAT = "llamastack.inference.v0.InferenceService"
REWARD = "llamastack.rewardscoring.v0.RewardScoringService"
DATASETS = "llamastack.datasets.v1beta.DatasetsService"


async def test_unimplemented_services_are_not_serving():
    servicer = health.aio.HealthServicer()
    contract = [s.full_name for s in services()]
    tracker = HealthTracker(servicer, contract, {DATASETS}, ModelRegistry([]))
    await tracker.refresh()
    assert tracker.statuses()[DATASETS] == SERVING
    assert tracker.statuses()[""] == SERVING  # every implemented service serves
    for name in contract:
        if name != DATASETS:
            answer = await servicer.Check(health_pb2.HealthCheckRequest(service=name), None)
            assert answer.status == NOT_SERVING, name
    assert tracker.problems(CHAT) == ["not implemented"]


@pytest.fixture(scope="module")
def ailing(tmp_path_factory, tiny_llm):
    """The tiny LLM, and a reward model whose checkpoint does not exist."""
    data_dir = tmp_path_factory.mktemp("health")
    (data_dir / "files").mkdir()
    models = [{"id": "tiny-llama", "checkpoint": str(tiny_llm)},
              {"id": "broken-reward", "checkpoint": str(data_dir / "no-such-checkpoint"), "kind": "reward"}]
    running = RunningServer(make_config(data_dir, models=models, health_check_interval=0.1))
    yield running
    running.stop()


def _check(server, service: str) -> int:
    return health_pb2_grpc.HealthStub(server.channel).Check(
        health_pb2.HealthCheckRequest(service=service), timeout=10).status


def _details(error: grpc.RpcError) -> dict:
    found = {}
    for detail in rpc_status.from_call(error).details:
        for kind in (error_details_pb2.ErrorInfo, error_details_pb2.RetryInfo):
            if detail.Is(kind.DESCRIPTOR):
                found[kind.__name__] = kind()
                detail.Unpack(found[kind.__name__])
    return found


def test_a_model_that_failed_to_load_turns_its_services_not_serving(ailing):
    assert ailing.app.models.failed.keys() == {"broken-reward"}  # the server started all the same
    assert _check(ailing, REWARD) == NOT_SERVING
    assert _check(ailing, CHAT) == SERVING
    assert _check(ailing, DATASETS) == SERVING
    assert _check(ailing, "") == NOT_SERVING
    assert ailing.http.get("/v1/health").json() == {"status": "Error"}

    body = {"prompt_with_response": [{"role": "user", "text": "hi"}, {"text": "hello", "eot": True}],
            "reward": "broken-reward"}
    response = ailing.http.post("/reward_scoring", json=body)
    assert response.status_code == 503, response.text
    assert response.json()["title"] == "Service Unavailable"
    assert "broken-reward" in response.json()["detail"] and set(response.json()) == {"status", "title", "detail"}


def test_a_stopped_engine_turns_its_services_not_serving_and_watch_sees_it(ailing):
    watch = health_pb2_grpc.HealthStub(ailing.channel).Watch(health_pb2.HealthCheckRequest(service=CHAT), timeout=60)
    seen: queue.Queue = queue.Queue()

    def follow():
        try:
            for message in watch:
                seen.put(message.status)
        except grpc.RpcError as ended:
            assert ended.code() == grpc.StatusCode.CANCELLED  # by the test, below

    threading.Thread(target=follow, daemon=True).start()
    assert seen.get(timeout=10) == SERVING

    ailing.app.models.loaded["tiny-llama"].close()  # the worker thread ends: nothing would answer
    assert seen.get(timeout=10) == NOT_SERVING
    watch.cancel()
    assert _check(ailing, CHAT) == NOT_SERVING
    assert _check(ailing, DATASETS) == SERVING

    from llamastack.inference.v0 import inference_pb2_grpc

    request = chat_request({**chat_body("hi", max_tokens=2), "model": "tiny-llama"})
    with pytest.raises(grpc.RpcError) as refused:
        inference_pb2_grpc.InferenceServiceStub(ailing.channel).ChatCompletion(request, timeout=30)
    assert refused.value.code() == grpc.StatusCode.UNAVAILABLE
    details = _details(refused.value)
    assert details["ErrorInfo"].reason == "MODEL_UNAVAILABLE"
    assert details["RetryInfo"].retry_delay.seconds > 0
    response = ailing.http.post("/inference", json={**chat_body("hi", max_tokens=2), "model": "tiny-llama"})
    assert response.status_code == 503 and "stopped" in response.json()["detail"]
    assert wait_until(lambda: ailing.http.get("/v1/health").json() == {"status": "Error"})
