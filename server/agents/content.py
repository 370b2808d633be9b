"""Agent messages and content (2025 protos) <-> the chat service's plain messages."""
from __future__ import annotations

import json
import uuid

from llamastack.agents.v1alpha import agents_pb2 as pb
from llamastack.common.v1 import content_pb2, messages_pb2


def content_text(content: content_pb2.InterleavedContent) -> str:
    kind = content.WhichOneof("content")
    if kind == "text":
        return content.text
    if kind == "item":
        return _item_text(content.item)
    if kind == "items":
        return "\n".join(_item_text(item) for item in content.items.items)
    return ""


def _item_text(item: content_pb2.InterleavedContentItem) -> str:
    return item.text.text if item.WhichOneof("item") == "text" else "[image]"


def text_content(text: str) -> content_pb2.InterleavedContent:
    return content_pb2.InterleavedContent(text=text)


def input_message(message: pb.TurnInputMessage) -> dict:
    if message.WhichOneof("message") == "tool":
        return {"role": "tool", "content": content_text(message.tool.content)}
    text = content_text(message.user.content)
    if message.user.HasField("context"):
        text = f"{text}\n\n{content_text(message.user.context)}"
    return {"role": "user", "content": text}


def completion_message(message: messages_pb2.CompletionMessage) -> dict:
    chat = {"role": "assistant", "content": content_text(message.content)}
    if message.tool_calls:
        chat["tool_calls"] = [{"type": "function", "function": {"name": c.tool_name, "arguments": _arguments(c)}}
                              for c in message.tool_calls]
    return chat


def _arguments(call: messages_pb2.ToolCall) -> dict:
    try:
        value = json.loads(call.arguments or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def turn_messages(turn: pb.Turn) -> list[dict]:
    """The turn as chat history: its input, then what each step added."""
    messages = [input_message(m) for m in turn.input_messages]
    for step in turn.steps:
        kind = step.WhichOneof("step")
        if kind == "inference":
            messages.append(completion_message(step.inference.model_response))
        elif kind == "tool_execution":
            messages.extend({"role": "tool", "content": content_text(r.content)}
                            for r in step.tool_execution.tool_responses)
    return messages


def new_tool_call(name: str, arguments: dict) -> messages_pb2.ToolCall:
    return messages_pb2.ToolCall(call_id=f"call-{uuid.uuid4().hex[:12]}", tool_name=name,
                                 arguments=json.dumps(arguments))
