"""The container image definition and the Kubernetes manifest agree with the server:
their configurations load, the probes reach the health port, and the pod's grace period
covers the server's drain. (Docker cannot run on this machine: the image is not built
here.) The `health` command the image's HEALTHCHECK runs answers from a live server."""
from __future__ import annotations

import re
import subprocess
import sys

import yaml

from server.config import ServerConfig
from tests.conftest import ROOT

DEPLOY = ROOT / "deploy"


def _config(text: str, tmp_path) -> ServerConfig:
    path = tmp_path / "server.yaml"
    path.write_text(text)
    return ServerConfig.load(path, {})


def test_kubernetes_probes_and_grace_period_match_the_server(tmp_path):
    docs = list(yaml.safe_load_all((DEPLOY / "kubernetes" / "llama-stack-grpc.yaml").read_text()))
    kinds = {d["kind"]: d for d in docs}
    config = _config(kinds["ConfigMap"]["data"]["server.yaml"], tmp_path)
    assert config.security.api_keys and config.security.tls.enabled and "health" in config.security.exempt
    pod = kinds["StatefulSet"]["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert ports == {"grpc": config.grpc_port, "http": config.http_port, "health": config.health_port}
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert container[probe]["grpc"] == {"port": config.health_port}, probe
    pre_stop = int(container["lifecycle"]["preStop"]["exec"]["command"][-1])
    assert pod["terminationGracePeriodSeconds"] >= pre_stop + config.grace_period + 5
    liveness = container["livenessProbe"]
    assert liveness["periodSeconds"] * liveness["failureThreshold"] > pre_stop + config.grace_period
    service_ports = {p["name"]: p["targetPort"] for p in kinds["Service"]["spec"]["ports"]}
    assert service_ports == {"grpc": "grpc", "http": "http"}


def test_dockerfile_serves_the_configuration_it_ships(tmp_path):
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    config = _config((DEPLOY / "server.container.yaml").read_text(), tmp_path)
    exposed = {int(p) for p in re.search(r"^EXPOSE (.+)$", dockerfile, re.M).group(1).split()}
    assert exposed == {config.grpc_port, config.http_port, config.health_port}
    assert "COPY deploy/server.container.yaml /etc/llama-stack-grpc/server.yaml" in dockerfile
    assert '"--config", "/etc/llama-stack-grpc/server.yaml"' in dockerfile
    assert f'"--address", "127.0.0.1:{config.health_port}"' in dockerfile
    assert re.search(r"^STOPSIGNAL SIGTERM$", dockerfile, re.M)


def test_health_command_reports_serving_and_not_serving(server):
    def probe(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "server", "health", "--address", server.grpc_target, *args],
                              cwd=ROOT, capture_output=True, text=True, timeout=60)

    serving = probe()
    assert serving.returncode == 0 and "SERVING" in serving.stdout, serving.stderr
    unimplemented = probe("--service", "llamastack.telemetry.v1alpha.TelemetryService")
    if "llamastack.telemetry.v1alpha.TelemetryService" not in server.app.servicers:
        assert unimplemented.returncode == 1 and "NOT_SERVING" in unimplemented.stdout
    unknown = probe("--service", "no.such.Service")
    assert unknown.returncode == 1 and "NOT_FOUND" in unknown.stderr
