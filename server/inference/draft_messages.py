"""The 2024 draft's messages, sampling options and answers, to and from the inference
service's plain types: shared by /inference, /reward_scoring and the draft's batch jobs."""
from __future__ import annotations

from typing import Any

from llamastack.common.v0 import common_pb2 as v0
from llamastack_grpc import struct_to_dict
from server.errors import InvalidArgument
from server.inference.chat import ChatResult, constraint_from_response_format

_FINISH = {"stop": v0.FINISH_REASON_STOP, "length": v0.FINISH_REASON_MAX_LENGTH}
_ROLES = {v0.MODEL_INPUT_MESSAGE_ROLE_USER: "user", v0.MODEL_INPUT_MESSAGE_ROLE_TOOL: "tool"}


def messages(messages, field: str) -> list[dict]:
    """Draft Messages as chat messages: input messages are user or tool turns, output
    messages assistant turns (with their tool call)."""
    out = []
    for i, message in enumerate(messages):
        kind = message.WhichOneof("message")
        if kind == "input":
            if message.input.role not in _ROLES:
                raise InvalidArgument(f"{field}[{i}].role", "must be user or tool")
            out.append({"role": _ROLES[message.input.role], "content": message.input.text})
        elif kind == "output":
            out.append(_assistant(message.output))
    if not out:
        raise InvalidArgument(field, "must hold at least one message")
    return out


def _assistant(output: v0.ModelOutputMessage) -> dict:
    message = {"role": "assistant", "content": output.text}
    if output.HasField("tool_call"):
        arguments = struct_to_dict(output.tool_call.arguments[0]) if output.tool_call.arguments else {}
        message["tool_calls"] = [{"type": "function", "function": {"name": output.tool_call.name,
                                                                   "arguments": arguments}}]
    return message


def sampling(options: v0.Options, field: str) -> dict[str, Any]:
    """ChatRequest's sampling fields from the draft's Options (defaults: greedy, 256 tokens)."""
    return dict(
        max_tokens=options.max_tokens if options.HasField("max_tokens") else 256,
        temperature=options.temperature if options.HasField("temperature") else 0.0,
        top_p=options.top_p if options.HasField("top_p") else 1.0,
        top_k=options.top_k if options.HasField("top_k") else 0,
        repetition_penalty=options.repetition_penalty if options.HasField("repetition_penalty") else 1.0,
        stop=list(options.stop), logprobs=options.logprobs,
        response_format=constraint_from_response_format(options.response_format, f"{field}.response_format"),
        seed=options.seed if options.HasField("seed") else None,
    )


def output_message(response_id: str, index: int, text: str, tokens, logprobs, finish,
                   tool_call) -> v0.ModelOutputMessage:
    message = v0.ModelOutputMessage(id=f"{response_id}-{index}", text=text, tokens=tokens, log_probs=logprobs)
    if finish is not None:
        message.finish_reason = _FINISH[finish]
        message.eot = finish == "stop"
        message.is_complete = True
    if tool_call is not None:
        message.tool_call.name = tool_call.name
        message.tool_call.arguments.add().update(tool_call.arguments)
    return message


def usage(result: ChatResult) -> v0.TokenUsage:
    return v0.TokenUsage(input_tokens=result.prompt_tokens, output_tokens=result.completion_tokens,
                         total_tokens=result.prompt_tokens + result.completion_tokens)
