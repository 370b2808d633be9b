"""TLS, mTLS and API keys, over gRPC and through the gateway, with certificates made here."""
from __future__ import annotations

import re
import ssl

import grpc
import httpx
import pytest
from google.rpc import error_details_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2
from grpc_status import rpc_status

from llamastack.datasets.v1beta import datasets_pb2, datasets_pb2_grpc
from llamastack_grpc import http_bindings, services
from server.security.api_keys import AccessPolicy, AuthError, hash_key
from server.security.settings import SecuritySettings
from server.security.tls import exposure_warning
from tests._certs import Authority
from tests.conftest import RunningServer, make_config

WRITE_KEY = "lsg_test-write-key"
READ_KEY = "lsg_test-read-key"
KEYS = [{"name": "writer", "sha256": hash_key(WRITE_KEY)},
        {"name": "reader", "sha256": hash_key(READ_KEY), "scope": "read_only"}]
ROWS_SOURCE = {"type": "rows", "rows": [{"messages": [{"role": "user", "content": "hi"}]}]}


def error_info(error: grpc.RpcError) -> error_details_pb2.ErrorInfo:
    status = rpc_status.from_call(error)
    assert status is not None, f"{error.code()} without google.rpc.Status details"
    for detail in status.details:
        if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            detail.Unpack(info)
            return info
    raise AssertionError(f"no ErrorInfo in {status}")


def bearer(key: str) -> tuple[tuple[str, str]]:
    return (("authorization", f"Bearer {key}"),)


def _start(tmp_path_factory, name: str, **overrides) -> RunningServer:
    data_dir = tmp_path_factory.mktemp(name)
    (data_dir / "files").mkdir()
    return RunningServer(make_config(data_dir, **overrides))


# ---------------------------------------------------------------- API keys

@pytest.fixture(scope="module")
def keyed(tmp_path_factory):
    running = _start(tmp_path_factory, "keys", security={"api_keys": KEYS})
    yield running
    running.stop()


def _all_methods():
    for service in services():
        for method in service.methods:
            if service.full_name.endswith("InspectService") and method.name == "Health":
                continue  # exempt by default
            yield f"/{service.full_name}/{method.name}", method.server_streaming


@pytest.mark.parametrize("key, reason", [(None, "API_KEY_MISSING"), ("lsg_wrong", "API_KEY_INVALID"),
                                         ("Basic abc", "API_KEY_MALFORMED")])
def test_every_rpc_refuses_a_missing_or_wrong_key(keyed, key, reason):
    if key is None:
        metadata = ()
    elif key.startswith("Basic"):
        metadata = (("authorization", key),)
    else:
        metadata = bearer(key)
    checked = 0
    for path, streaming in _all_methods():
        make = keyed.channel.unary_stream if streaming else keyed.channel.unary_unary
        call = make(path)
        with pytest.raises(grpc.RpcError) as refused:
            result = call(b"", metadata=metadata, timeout=10)
            if streaming:
                list(result)
        assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED, path
        info = error_info(refused.value)
        assert (info.reason, info.domain) == (reason, "llamastack.grpc"), path
        checked += 1
    assert checked > 70


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "x", path)


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer lsg_wrong"}])
def test_every_route_refuses_a_missing_or_wrong_key(keyed, headers):
    checked = 0
    for service in services():
        for binding in http_bindings(service):
            if binding.path.endswith("/health"):
                continue  # exempt by default
            response = keyed.http.request(binding.verb, _concrete(binding.path), headers=headers,
                                          json={} if binding.body else None)
            assert response.status_code == 401, (binding.verb, binding.path, response.text)
            body = response.json()
            assert set(body) == {"status", "title", "detail"}
            assert (body["status"], body["title"]) == (401, "Unauthorized")
            assert response.headers["www-authenticate"].startswith("Bearer")
            checked += 1
    assert checked > 100


def test_health_is_exempt_by_default_and_answers_without_a_key(keyed):
    check = health_pb2_grpc.HealthStub(keyed.channel).Check(health_pb2.HealthCheckRequest(service=""), timeout=10)
    assert check.status == health_pb2.HealthCheckResponse.SERVING
    assert keyed.http.get("/v1/health").json() == {"status": "OK"}


def test_reflection_needs_a_key_unless_exempt(keyed):
    call = keyed.channel.stream_stream("/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
                                       request_serializer=reflection_pb2.ServerReflectionRequest.SerializeToString,
                                       response_deserializer=reflection_pb2.ServerReflectionResponse.FromString)
    request = reflection_pb2.ServerReflectionRequest(list_services="")
    with pytest.raises(grpc.RpcError) as refused:
        list(call(iter([request]), timeout=10))
    assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED
    answers = list(call(iter([request]), metadata=bearer(READ_KEY), timeout=10))
    names = {s.name for s in answers[0].list_services_response.service}
    assert "llamastack.datasets.v1beta.DatasetsService" in names


def test_read_only_key_reads_but_cannot_write(keyed):
    stub = datasets_pb2_grpc.DatasetsServiceStub(keyed.channel)
    assert stub.ListDatasets(datasets_pb2.ListDatasetsRequest(), metadata=bearer(READ_KEY), timeout=10) is not None
    request = datasets_pb2.RegisterDatasetRequest(purpose=datasets_pb2.DATASET_PURPOSE_POST_TRAINING_MESSAGES,
                                                  dataset_id="ro-attempt")
    request.source.rows.rows.add().update({"messages": []})
    with pytest.raises(grpc.RpcError) as refused:
        stub.RegisterDataset(request, metadata=bearer(READ_KEY), timeout=10)
    assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert error_info(refused.value).reason == "READ_ONLY_KEY"

    reader = {"Authorization": f"Bearer {READ_KEY}"}
    assert keyed.http.get("/v1beta/datasets", headers=reader).status_code == 200
    body = {"purpose": "post-training/messages", "source": ROWS_SOURCE, "dataset_id": "ro-attempt"}
    response = keyed.http.post("/v1beta/datasets", json=body, headers=reader)
    assert response.status_code == 403
    assert response.json()["status"] == 403 and response.json()["title"] == "Forbidden"
    assert "read-only" in response.json()["detail"]

    writer = {"Authorization": f"Bearer {WRITE_KEY}"}
    assert keyed.http.post("/v1beta/datasets", json={**body, "dataset_id": "rw"}, headers=writer).status_code == 200
    got = stub.GetDataset(datasets_pb2.GetDatasetRequest(dataset_id="rw"), metadata=bearer(READ_KEY), timeout=10)
    assert got.identifier == "rw"
    assert keyed.http.get("/v1beta/datasets/ro-attempt", headers=reader).status_code == 404


def test_gateway_own_routes_need_a_key_unless_exempt(keyed):
    for path in ("/openapi.json", "/docs", "/docs/assets/swagger-ui.css", "/metrics"):
        refused = keyed.http.get(path)
        assert refused.status_code == 401 and refused.json()["title"] == "Unauthorized", path
        assert keyed.http.get(path, headers={"Authorization": f"Bearer {READ_KEY}"}).status_code == 200, path


def test_policy_exemptions_follow_the_configuration():
    none_exempt = AccessPolicy(SecuritySettings(api_keys=KEYS, exempt=[]))
    with pytest.raises(AuthError):
        none_exempt.check_rpc("/grpc.health.v1.Health/Check", None)
    assert none_exempt.http_refusal("metrics", None)[0] == 401
    all_exempt = AccessPolicy(SecuritySettings(api_keys=KEYS, exempt=["health", "reflection", "metrics", "docs"]))
    assert all_exempt.check_rpc("/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", None) is None
    assert all_exempt.http_refusal("docs", None) is None
    with pytest.raises(ValueError, match="unknown group"):
        SecuritySettings(exempt=["everything"])
    with pytest.raises(ValueError, match="sha256"):
        SecuritySettings(api_keys=[{"name": "x", "sha256": WRITE_KEY}])
    with pytest.raises(ValueError, match="quoted"):
        SecuritySettings(api_keys=[{"name": "x", "sha256": 0}])


def test_exposure_warning_when_binding_beyond_loopback_unprotected():
    assert exposure_warning("127.0.0.1", SecuritySettings()) is None
    assert exposure_warning("::1", SecuritySettings()) is None
    warning = exposure_warning("0.0.0.0", SecuritySettings())
    assert "no API keys and no TLS" in warning and "code interpreter" in warning
    assert "no TLS" in exposure_warning("0.0.0.0", SecuritySettings(api_keys=KEYS))


# ---------------------------------------------------------------- TLS and mTLS

@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pki")
    server_ca, client_ca, stranger_ca = (Authority(folder, n) for n in ("server-ca", "client-ca", "stranger-ca"))
    return {"server_ca": server_ca, "client_ca": client_ca, "stranger_ca": stranger_ca,
            "server": server_ca.issue("server", server=True),
            "client": client_ca.issue("client", server=False),
            "stranger": stranger_ca.issue("stranger", server=False)}


def _tls_channel(server: RunningServer, root, client=None) -> grpc.Channel:
    chain, key = client.read() if client is not None else (None, None)
    credentials = grpc.ssl_channel_credentials(root_certificates=root.pem.cert.read_bytes(),
                                               private_key=key, certificate_chain=chain)
    return grpc.secure_channel(f"127.0.0.1:{server.app.grpc_port}", credentials)


def _health(channel: grpc.Channel) -> int:
    return health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(service=""), timeout=10).status


def _https(server: RunningServer, root, client=None) -> httpx.Client:
    context = ssl.create_default_context(cafile=str(root.pem.cert))
    if client is not None:
        context.load_cert_chain(str(client.cert), str(client.key))
    return httpx.Client(base_url=f"https://127.0.0.1:{server.app.http_port}", verify=context, timeout=30)


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory, pki):
    running = _start(tmp_path_factory, "tls", health_port=0, security={"tls": {
        "cert_file": pki["server"].cert, "key_file": pki["server"].key}})
    yield running
    running.stop()


def test_tls_connects_with_the_right_ca_and_fails_with_another(tls_server, pki):
    with _tls_channel(tls_server, pki["server_ca"]) as channel:
        assert _health(channel) == health_pb2.HealthCheckResponse.SERVING
        listed = datasets_pb2_grpc.DatasetsServiceStub(channel).ListDatasets(datasets_pb2.ListDatasetsRequest(),
                                                                            timeout=10)
        assert list(listed.data) == []
    with _tls_channel(tls_server, pki["stranger_ca"]) as channel, pytest.raises(grpc.RpcError) as refused:
        _health(channel)
    assert refused.value.code() == grpc.StatusCode.UNAVAILABLE
    with grpc.insecure_channel(f"127.0.0.1:{tls_server.app.grpc_port}") as plain, \
            pytest.raises(grpc.RpcError):
        _health(plain)

    # Probes that cannot speak TLS (the kubelet's) use the plaintext health-only port.
    with grpc.insecure_channel(f"127.0.0.1:{tls_server.app.health_port}") as plain:
        assert _health(plain) == health_pb2.HealthCheckResponse.SERVING
        listing = plain.unary_unary("/llamastack.datasets.v1beta.DatasetsService/ListDatasets")
        with pytest.raises(grpc.RpcError) as not_here:
            listing(b"", timeout=10)
        assert not_here.value.code() == grpc.StatusCode.UNIMPLEMENTED

    with _https(tls_server, pki["server_ca"]) as https:  # the gateway serves TLS too, and reaches the server
        assert https.get("/v1beta/datasets").json() == {"data": []}
    with _https(tls_server, pki["stranger_ca"]) as https, pytest.raises(httpx.ConnectError):
        https.get("/v1beta/datasets")


@pytest.fixture(scope="module")
def mtls_server(tmp_path_factory, pki):
    running = _start(tmp_path_factory, "mtls", security={"tls": {
        "cert_file": pki["server"].cert, "key_file": pki["server"].key, "client_ca_file": pki["client_ca"].pem.cert}})
    yield running
    running.stop()


def test_mtls_needs_a_client_certificate_from_the_client_ca(mtls_server, pki):
    with _tls_channel(mtls_server, pki["server_ca"], pki["client"]) as channel:
        assert _health(channel) == health_pb2.HealthCheckResponse.SERVING
    for client in (None, pki["stranger"]):
        with _tls_channel(mtls_server, pki["server_ca"], client) as channel, pytest.raises(grpc.RpcError) as refused:
            _health(channel)
        assert refused.value.code() == grpc.StatusCode.UNAVAILABLE

    with _https(mtls_server, pki["server_ca"], pki["client"]) as https:
        assert https.get("/v1beta/datasets").status_code == 200
    for client in (None, pki["stranger"]):
        with _https(mtls_server, pki["server_ca"], client) as https, \
                pytest.raises((httpx.ConnectError, httpx.ReadError, httpx.RemoteProtocolError)):
            https.get("/v1beta/datasets")
