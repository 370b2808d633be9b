"""Server configuration: defaults, a YAML file whose keys mirror the CLI flags, then flags."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from gateway.rendering import DEFAULT_CACHE_BYTES
from server.security.settings import SecuritySettings
from server.transport import TransportSettings
from server.uris import DEFAULT_MAX_FILE_BYTES, FileAccess


@dataclass
class ServerConfig:
    host: str = "127.0.0.1"
    grpc_port: int = 50051
    http_port: int = 8321  # 0 picks a free port; -1 disables the REST gateway
    data_dir: Path = Path(".data")
    # Where the domain state lives: "lmdb" (embedded under data_dir/store, one process) or
    # "postgres" (postgres_dsn; several replicas may share it). See docs/deployment-replicas.md.
    storage: str = "lmdb"
    postgres_dsn: str = ""
    # With storage: postgres, seconds a replica's hold on a job lasts without renewal (it
    # renews every second): another replica takes the job over this long after it died.
    job_lease_seconds: float = 10.0
    # Folders whose files may be named by file:// URIs (dataset sources, documents).
    # Empty: the data directory's `files` folder only.
    allowed_roots: list[Path] = field(default_factory=list)
    # The largest file a file:// URI may name (dataset sources, documents, batch inputs,
    # training data): each is read whole, so this bounds a request's memory.
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
    # Seconds that in-flight calls get to finish after SIGTERM.
    grace_period: float = 30.0
    log_level: str = "INFO"
    # uvicorn's line per REST request (at INFO): formatted and written on the request path.
    access_log: bool = True
    # Room for large REST answers kept rendered as JSON, by content (gateway/rendering.py);
    # 0 renders every answer afresh.
    gateway_render_cache_bytes: int = DEFAULT_CACHE_BYTES
    # Models to serve: mappings {id, kind, engine, checkpoint, device, max_batch, metadata}
    # or bare checkpoint folders (LLMs named after the folder). See docs/configuration.md.
    models: list[Any] = field(default_factory=list)
    # Fill what `models` leaves out: a tiny random demo LLM and the bundled MiniLM embedder.
    default_models: bool = True
    # Let checkpoints named by Hugging Face id be downloaded (off: local folders and cache only).
    allow_downloads: bool = False
    # Vector stores holding more chunks than this are searched through an HNSW index
    # (hnswlib); smaller ones by exact search.
    vector_index_threshold: int = 20000
    # The share of each engine's batch (its max_batch) that background jobs (batch, eval)
    # may take; at least one row always stays free for interactive requests.
    background_share: float = 0.875
    # How many training jobs (post-training and fine-tuning together) train at once.
    training_concurrency: int = 1

    # Agent shields: [{id, type: pattern, patterns: [{pattern, category, level, message}]}
    # or {id, type: llama_guard, model: <llm id>}]. See docs/configuration.md.
    shields: list[Any] = field(default_factory=list)
    # Web search for agents (builtin::websearch): provider "brave" or "tavily" and its key.
    web_search_provider: str = ""
    web_search_api_key: str = ""
    # Most tokens an llm-as-judge scoring function lets its judge answer with.
    eval_judge_max_tokens: int = 256

    # TLS / mTLS, API keys and the calls exempt from them (docs/security.md).
    security: SecuritySettings = field(default_factory=SecuritySettings)
    # gRPC message sizes, keepalive, connection age, concurrent streams (server/transport.py).
    transport: TransportSettings = field(default_factory=TransportSettings)
    # Seconds between checks that every model's engine is still alive (health).
    health_check_interval: float = 1.0
    # A plaintext port answering only grpc.health.v1, for probes that cannot speak TLS or
    # send keys (the kubelet's gRPC probes). None: no such port; 0 picks a free one.
    health_port: int | None = None

    # Telemetry (docs/configuration.md): spans of every request into the store, and to an
    # OTLP collector when otlp_endpoint is set; retention by age and by span count.
    tracing: bool = True
    trace_sample_ratio: float = 1.0
    trace_retention_days: float = 7.0
    trace_retention_spans: int = 1_000_000
    otlp_endpoint: str = ""

    def __post_init__(self):
        self.security = _section(SecuritySettings, self.security, "security")
        self.transport = _section(TransportSettings, self.transport, "transport")
        if self.eval_judge_max_tokens < 1:
            raise ValueError(f"eval_judge_max_tokens must be at least 1, got {self.eval_judge_max_tokens}")
        self.data_dir = Path(self.data_dir).expanduser()
        if self.storage not in ("lmdb", "postgres"):
            raise ValueError(f"storage must be lmdb or postgres, got {self.storage!r}")
        if self.job_lease_seconds <= 0:
            raise ValueError(f"job_lease_seconds must be positive, got {self.job_lease_seconds}")
        if self.storage == "postgres" and not self.postgres_dsn:
            raise ValueError("storage: postgres needs postgres_dsn (e.g. postgresql://user@host:5432/db)")
        self.allowed_roots = [Path(p).expanduser().resolve() for p in self.allowed_roots]
        if self.training_concurrency < 1:
            raise ValueError(f"training_concurrency must be at least 1, got {self.training_concurrency}")
        if not 0 < self.background_share <= 1:
            raise ValueError(f"background_share must be in (0, 1], got {self.background_share}")
        if self.max_file_bytes < 1:
            raise ValueError(f"max_file_bytes must be at least 1, got {self.max_file_bytes}")
        if self.gateway_render_cache_bytes < 0:
            raise ValueError(f"gateway_render_cache_bytes must be 0 or more, got {self.gateway_render_cache_bytes}")

    @property
    def file_roots(self) -> list[Path]:
        return self.allowed_roots or [(self.data_dir / "files").resolve()]

    @property
    def file_access(self) -> FileAccess:
        return FileAccess(tuple(self.file_roots), self.max_file_bytes)

    @classmethod
    def load(cls, path: Path | None, overrides: dict[str, Any]) -> ServerConfig:
        values: dict[str, Any] = {}
        if path is not None:
            loaded = yaml.safe_load(Path(path).read_text()) or {}
            if not isinstance(loaded, dict):
                raise ValueError(f"{path}: expected a mapping of settings")
            values.update({key.replace("-", "_"): value for key, value in loaded.items()})
        values.update({key: value for key, value in overrides.items() if value is not None})
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"unknown setting(s): {', '.join(unknown)} (known: {', '.join(sorted(known))})")
        _check_scalar_types(cls, values)
        try:
            return cls(**values)
        except TypeError as exc:  # an unknown key inside a section (tls, api_keys...)
            raise ValueError(str(exc)) from None


_SCALARS = {bool: "true or false", int: "an integer", float: "a number", str: "a string"}


def _check_scalar_types(cls: type, values: dict[str, Any]) -> None:
    """Each setting whose default is a plain scalar is given as one of that type (YAML
    reads `abc` or `1e9` as a string, and `yes` as true)."""
    for setting in dataclasses.fields(cls):
        expected = type(setting.default)
        if setting.name not in values or expected not in _SCALARS:
            continue
        value = values[setting.name]
        accepted = (int, float) if expected is float else (expected,)
        if not isinstance(value, accepted) or (expected is not bool and isinstance(value, bool)):
            raise ValueError(f"{setting.name}: expected {_SCALARS[expected]}, got {value!r}")


def _section(kind: type, value: Any, name: str):
    """A nested section of the configuration (a mapping in YAML) as its dataclass."""
    if isinstance(value, kind):
        return value
    if not isinstance(value, dict):
        raise ValueError(f"{name}: expected a mapping")
    unknown = sorted(set(value) - {f.name for f in dataclasses.fields(kind)})
    if unknown:
        raise ValueError(f"{name}: unknown setting(s) {', '.join(unknown)}")
    return kind(**value)
