"""The gateway's in-process dispatch (server/rpc/inprocess.py) answers byte for byte what
the same gateway answers over a real gRPC channel to the same server (the deployment of
a gateway run as its own process): a sample of operations, unary, paged, streamed,
errors with ErrorInfo, refused keys. And the channel's own rules: deadlines, the end
of a stream, cancellation reaching the handler."""
from __future__ import annotations

import asyncio

import grpc
import httpx
import pytest

from _helpers_inference import chat_body
from conftest import RunningServer, inference_models, make_config
from gateway.app import GrpcChannel
from server.rpc.inprocess import InProcessChannel
from server.security.api_keys import hash_key

WRITE_KEY = "lsg_test-write-key"
READ_KEY = "lsg_test-read-key"
KEYS = [{"name": "writer", "sha256": hash_key(WRITE_KEY)},
        {"name": "reader", "sha256": hash_key(READ_KEY), "scope": "read_only"}]
WRITER = {"Authorization": f"Bearer {WRITE_KEY}"}
ROWS = [{"question": f"q{i}", "answer": f"a{i}", "n": i} for i in range(25)]


@pytest.fixture(scope="module")
def gateways(tmp_path_factory, tiny_llm, tiny_reward_model):
    data_dir = tmp_path_factory.mktemp("inprocess")
    (data_dir / "files").mkdir()
    server = RunningServer(make_config(data_dir, models=inference_models(tiny_llm, tiny_reward_model),
                                       security={"api_keys": KEYS}))
    channel = GrpcChannel(server.grpc_target, server.config.transport.channel_options())
    apps = {"in-process": server.app.gateway_app(server.app.gateway_channel),
            "channel": server.app.gateway_app(channel)}
    created = server.http.post("/v1beta/datasets", headers=WRITER, json={
        "dataset_id": "sample", "purpose": "eval/question-answer", "source": {"type": "rows", "rows": ROWS}})
    assert created.status_code == 200, created.text
    yield server, apps
    asyncio.run_coroutine_threadsafe(channel.close(), server.loop).result(timeout=30)
    server.stop()


def answer(server, app, method: str, path: str, **options) -> tuple[int, bytes, list]:
    """The app's whole answer, asked on the server's own event loop (where its handlers run)."""
    async def ask():
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw") as http:
            return await http.request(method, path, **options)
    response = asyncio.run_coroutine_threadsafe(ask(), server.loop).result(timeout=120)
    # traceresponse names each request's own span
    return response.status_code, response.content, [h for h in response.headers.multi_items()
                                                     if h[0] != "traceresponse"]


SAMPLE = {
    "get": ("GET", "/v1beta/datasets/sample", {"headers": WRITER}),
    "list": ("GET", "/v1beta/datasets", {"headers": WRITER}),
    "page": ("GET", "/v1beta/datasetio/iterrows/sample", {"headers": WRITER,
                                                          "params": {"start_index": 10, "limit": 5}}),
    "not found (ErrorInfo)": ("GET", "/v1beta/datasets/nope", {"headers": WRITER}),
    "bad field (BadRequest)": ("GET", "/v1beta/datasetio/iterrows/sample", {"headers": WRITER,
                                                                            "params": {"limit": -5}}),
    "unknown model": ("POST", "/inference/chat-completion", {"headers": WRITER, "json": {
        **chat_body("hi", max_tokens=4), "model": "nope"}}),
    "no key": ("GET", "/v1beta/datasets/sample", {}),
    "wrong key": ("GET", "/v1beta/datasets/sample", {"headers": {"Authorization": "Bearer lsg_wrong"}}),
    "read-only key writing": ("POST", "/v1beta/datasetio/append-rows/sample", {
        "headers": {"Authorization": f"Bearer {READ_KEY}"}, "json": {"rows": ROWS[:1]}}),
    "bad body": ("POST", "/v1beta/datasets", {"headers": {**WRITER, "Content-Type": "application/json"},
                                              "content": b"{"}),
    "chat": ("POST", "/inference/chat-completion", {"headers": WRITER, "json": chat_body(
        "hello", max_tokens=6, strategy={"type": "greedy"})}),
    "chat streamed (SSE)": ("POST", "/inference/stream", {"headers": WRITER, "json": chat_body(
        "hello", max_tokens=6, strategy={"type": "greedy"})}),
}


@pytest.mark.parametrize("name", SAMPLE)
def test_in_process_answers_byte_for_byte_what_the_channel_answers(gateways, name):
    server, apps = gateways
    method, path, options = SAMPLE[name]
    in_process = answer(server, apps["in-process"], method, path, **options)
    over_channel = answer(server, apps["channel"], method, path, **options)
    assert in_process == over_channel
    assert in_process[0] != 500


# ---------------------------------------------------------------- the channel's own rules

SERVICE = "test.Probe"


class _Probe:
    """Handlers the way generic_handlers builds them (async), recording what they saw."""

    def __init__(self):
        self.seen: dict = {}
        self.cancelled = asyncio.Event()

    async def hang(self, request, context):
        self.seen["remaining"] = context.time_remaining()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            self.cancelled.set()
            raise

    async def count(self, request, context):
        for i in range(3):
            await context.write(i)
        await context.abort(grpc.StatusCode.NOT_FOUND, "gone", (("x-why", "because"),))

    async def endless(self, request, context):
        try:
            i = 0
            while True:
                await context.write(i)
                i += 1
        except asyncio.CancelledError:
            self.cancelled.set()
            raise

    def channel(self) -> InProcessChannel:
        return InProcessChannel([grpc.method_handlers_generic_handler(SERVICE, {
            "Hang": grpc.unary_unary_rpc_method_handler(self.hang),
            "Count": grpc.unary_stream_rpc_method_handler(self.count),
            "Endless": grpc.unary_stream_rpc_method_handler(self.endless)})])


async def test_a_deadline_cancels_the_handler_and_answers_deadline_exceeded():
    probe = _Probe()
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await probe.channel().unary_unary(f"/{SERVICE}/Hang")(None, timeout=0.05)
    assert (caught.value.code(), caught.value.details()) == (grpc.StatusCode.DEADLINE_EXCEEDED, "Deadline Exceeded")
    assert 0 < probe.seen["remaining"] <= 0.05 and probe.cancelled.is_set()


async def test_an_unknown_method_is_unimplemented():
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await _Probe().channel().unary_unary(f"/{SERVICE}/Nope")(None)
    assert caught.value.code() == grpc.StatusCode.UNIMPLEMENTED


async def test_a_stream_delivers_its_messages_then_its_status_with_trailers():
    received = []
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        async for message in _Probe().channel().unary_stream(f"/{SERVICE}/Count")(None):
            received.append(message)
    assert received == [0, 1, 2]
    assert (caught.value.code(), caught.value.details()) == (grpc.StatusCode.NOT_FOUND, "gone")
    assert list(caught.value.trailing_metadata()) == [("x-why", "because")]


async def test_cancelling_a_stream_cancels_its_handler_which_never_runs_far_ahead():
    probe = _Probe()
    stream = probe.channel().unary_stream(f"/{SERVICE}/Endless")(None)
    first = [await stream.__anext__() for _ in range(3)]
    assert first == [0, 1, 2]
    stream.cancel()
    await asyncio.wait_for(probe.cancelled.wait(), timeout=10)
