"""Chat requests as the inference service takes them, prompt rendering with the
checkpoint's own chat template, and which tools a request offers or forces (their
prompt formats: server/inference/tool_formats.py)."""
from __future__ import annotations

from dataclasses import dataclass, field

from google.protobuf import json_format

from llamastack_grpc import integral_numbers, struct_to_dict
from server.errors import InvalidArgument
from server.inference import tool_formats
from server.inference.engines.base import Constraint
from server.inference.tool_formats import ToolCall, ToolFormat


@dataclass
class Tool:
    name: str
    description: str = ""
    parameters: dict = field(default_factory=lambda: {"type": "object"})

    def as_template_tool(self) -> dict:
        return {"type": "function", "function": {"name": self.name, "description": self.description,
                                                 "parameters": self.parameters}}


@dataclass
class ChatRequest:
    model_id: str
    messages: list[dict]  # {"role": system|user|assistant|tool, "content": str, "tool_calls"?: [...]}
    max_tokens: int = 256
    temperature: float = 0.0
    top_p: float = 1.0
    top_k: int = 0
    repetition_penalty: float = 1.0
    stop: list[str] = field(default_factory=list)
    logprobs: bool = False
    response_format: Constraint | None = None
    tools: list[Tool] = field(default_factory=list)
    tool_choice: str = "auto"  # auto | required | none | <tool name>
    tool_prompt_format: str = "json"  # json | function_tag | python_list
    n: int = 1
    seed: int | None = None
    # Made for a background job (batch, eval): waits for the engine's background budget
    # (server/jobs/budget.py) so that interactive requests keep their latency.
    background: bool = False


@dataclass
class ChatDelta:
    """A piece of one candidate's answer. The last piece of a candidate has
    finish_reason set and, if the answer is a tool call, tool_call."""

    candidate: int
    text: str
    token_id: int
    logprob: float | None = None
    finish_reason: str | None = None
    tool_call: ToolCall | None = None


@dataclass
class Candidate:
    text: str = ""
    tokens: list[int] = field(default_factory=list)
    logprobs: list[float] = field(default_factory=list)
    finish_reason: str | None = None
    tool_call: ToolCall | None = None


@dataclass
class ChatResult:
    candidates: list[Candidate]
    prompt_tokens: int
    completion_tokens: int


DEFAULT_MAX_TOKENS = 256


def sampling_settings(params) -> dict:
    """ChatRequest settings from a 2025 SamplingParams: greedy (temperature 0), top_p or
    top_k; max_tokens 256 and repetition_penalty 1 when absent."""
    settings = {"max_tokens": params.max_tokens if params.HasField("max_tokens") else DEFAULT_MAX_TOKENS,
                "repetition_penalty": params.repetition_penalty if params.HasField("repetition_penalty") else 1.0,
                "stop": list(params.stop)}
    strategy = params.strategy.WhichOneof("strategy")
    if strategy == "top_p":
        settings.update(temperature=params.strategy.top_p.temperature or 1.0,
                        top_p=params.strategy.top_p.top_p or 1.0)
    elif strategy == "top_k":
        settings.update(temperature=1.0, top_k=params.strategy.top_k.top_k)
    return settings


def check_tools(request: ChatRequest) -> None:
    tool_format(request)
    names = [t.name for t in request.tools]
    if len(set(names)) != len(names):
        raise InvalidArgument("tools", "tool names must be unique")
    choice = request.tool_choice
    if choice not in ("auto", "required", "none") and choice not in names:
        raise InvalidArgument("tool_choice",
                              f"must be auto, required, none or the name of an offered tool; got {choice!r}")
    if choice == "required" and not names:
        raise InvalidArgument("tool_choice", "is 'required' but no tools are offered")
    if request.response_format is not None and forced_tools(request):
        raise InvalidArgument("options.response_format", "cannot be combined with a required tool call")


def forced_tools(request: ChatRequest) -> list[Tool]:
    if request.tool_choice == "required":
        return request.tools
    return [t for t in request.tools if t.name == request.tool_choice]


def offered_tools(request: ChatRequest) -> list[Tool]:
    return [] if request.tool_choice == "none" else request.tools


def tool_format(request: ChatRequest) -> ToolFormat:
    return tool_formats.get(request.tool_prompt_format)


def render_prompt(tokenizer, request: ChatRequest) -> list[int]:
    messages, tools = tool_format(request).prompt(request.messages, offered_tools(request))
    try:
        ids = tokenizer.apply_chat_template(messages, tools=tools, add_generation_prompt=True,
                                            tokenize=True)
    except Exception as exc:  # the checkpoint's template rejected the conversation
        raise InvalidArgument("messages", f"the model's chat template cannot render them: {exc}") from None
    if hasattr(ids, "keys"):
        ids = ids["input_ids"]
    return list(ids)


def encode_continuation(tokenizer, text: str) -> list[int]:
    return tokenizer(text, add_special_tokens=False)["input_ids"]


def constraint_from_response_format(fmt, field: str) -> Constraint | None:
    """The decoding constraint of a 2025 ResponseFormat message (json_schema or grammar)."""
    kind = fmt.WhichOneof("format")
    if kind is None:
        return None
    if kind == "json_schema":
        return Constraint(json_schema=struct_to_dict(fmt.json_schema.json_schema))
    grammar = struct_to_dict(fmt.grammar.bnf).get("grammar")
    if not isinstance(grammar, str) or not grammar.strip():
        raise InvalidArgument(f"{field}.bnf.grammar", "must hold the grammar (EBNF) as a string")
    return Constraint(grammar=grammar)


def tool_from_def(tool, field: str) -> Tool:
    """A 2025 ToolDef message as the chat offers it."""
    return Tool(tool.name, tool.description, input_schema(tool, field))


def input_schema(tool, field: str) -> dict:
    """A ToolDef's JSON schema of its inputs: its input_schema, or the schema that the older
    `parameters` list stands for (a compatibility extension, docs/decisions-2025.md)."""
    if not tool.HasField("parameters"):
        return struct_to_dict(tool.input_schema) if tool.HasField("input_schema") else {"type": "object"}
    if tool.HasField("input_schema"):
        raise InvalidArgument(f"{field}.parameters", "give input_schema or parameters, not both")
    properties, required = {}, []
    for i, parameter in enumerate(tool.parameters.items):
        path = f"{field}.parameters[{i}]"
        if parameter.name in properties:
            raise InvalidArgument(f"{path}.name", f"{parameter.name!r} is listed twice")
        json_type = _PARAMETER_TYPES.get(parameter.parameter_type)
        if json_type is None:
            raise InvalidArgument(f"{path}.parameter_type", f"unknown type {parameter.parameter_type!r}; known: "
                                  + ", ".join(_PARAMETER_TYPES))
        schema = {"type": json_type}
        if parameter.HasField("title"):
            schema["title"] = parameter.title
        if parameter.HasField("description"):
            schema["description"] = parameter.description
        if parameter.HasField("items"):
            schema["items"] = struct_to_dict(parameter.items)
        if parameter.HasField("default") and parameter.default.WhichOneof("kind") not in (None, "null_value"):
            schema["default"] = integral_numbers(json_format.MessageToDict(parameter.default))
        properties[parameter.name] = schema
        if not parameter.HasField("required") or parameter.required:
            required.append(parameter.name)
    return {"type": "object", "properties": properties, "required": required}


# A ToolParameter's type: JSON Schema's name, or the Python name the SDK of that time wrote
# (its client_tool decorator used the annotation's __name__).
_PARAMETER_TYPES = {"str": "string", "int": "integer", "float": "number", "bool": "boolean", "list": "array",
                    "dict": "object", "string": "string", "integer": "integer", "number": "number",
                    "boolean": "boolean", "array": "array", "object": "object", "null": "null"}
