"""GET /v1/models and /v1/models/{model_id}, over the inference model registry."""
from __future__ import annotations

from llamastack.common.v1 import common_pb2
from llamastack.models.v1 import models_pb2
from server.inference.models import ModelRegistry
from server.inference.specs import ModelSpec

# The stable spec's ModelType knows llm and embedding; metadata.kind says which of
# llm, embedding, rerank or reward the model is.
_MODEL_TYPES = {"llm": models_pb2.MODEL_TYPE_LLM, "reward": models_pb2.MODEL_TYPE_LLM,
                "embedding": models_pb2.MODEL_TYPE_EMBEDDING, "rerank": models_pb2.MODEL_TYPE_EMBEDDING}


def _model(spec: ModelSpec) -> models_pb2.Model:
    model = models_pb2.Model(identifier=spec.id, provider_resource_id=spec.checkpoint, provider_id=spec.engine,
                             type=common_pb2.RESOURCE_TYPE_MODEL, model_type=_MODEL_TYPES[spec.kind])
    model.metadata.update({**spec.metadata, "kind": spec.kind})
    return model


class ModelsServicer:
    def __init__(self, registry: ModelRegistry):
        self._registry = registry

    async def ListModels(self, request, context):
        return models_pb2.ListModelsResponse(data=[_model(s) for s in self._registry.specs_of()])

    async def GetModel(self, request, context):
        return _model(self._registry.spec(request.model_id))
