"""The three tool prompt formats of the 2025 spec: how tools are offered to the model,
how a forced call is constrained, and how the model's answer is read back as a call.

- ``json``: the checkpoint's chat template renders the tools (Llama 3: JSON function
  definitions) and the model answers ``{"name": ..., "parameters": {...}}``.
- ``function_tag``: ``<function=NAME>{JSON arguments}</function>``.
- ``python_list``: ``[NAME(key=value, ...)]``, values written as JSON literals (Python
  spellings of true, false and null are read too).

For ``function_tag`` and ``python_list`` the tools and the call syntax are described in
the system message, and calls earlier in the conversation are written back in the same
syntax, so the model sees one convention throughout. An answer holds one call.
"""
from __future__ import annotations

import ast
import json
from abc import ABC, abstractmethod
from dataclasses import dataclass

from llamastack.common.v1 import inference_pb2
from server.errors import InvalidArgument
from server.inference.engines.base import Constraint

NAMES = ("json", "function_tag", "python_list")


@dataclass
class ToolCall:
    name: str
    arguments: dict


def name_from_proto(value: int) -> str:
    """The format's name for a ToolPromptFormat enum value (unset: json)."""
    if not value:
        return "json"
    return inference_pb2.ToolPromptFormat.Name(value).removeprefix("TOOL_PROMPT_FORMAT_").lower()


def get(name: str) -> ToolFormat:
    if name not in _FORMATS:
        raise InvalidArgument("tool_prompt_format", f"must be one of {', '.join(NAMES)}; got {name!r}")
    return _FORMATS[name]


class ToolFormat(ABC):
    name: str
    opener: str  # the first character of a call: how a streamed answer shows it is one

    @abstractmethod
    def prompt(self, messages: list[dict], tools: list) -> tuple[list[dict], list[dict] | None]:
        """(messages, tools for the chat template) that offer these tools."""

    @abstractmethod
    def constraint(self, tools: list) -> Constraint:
        """Decoding that can only produce a call of one of these tools, arguments valid."""

    @abstractmethod
    def parse(self, text: str, tools: list) -> ToolCall | None:
        """The answer as a call of an offered tool, if it is one."""


class JsonFormat(ToolFormat):
    name, opener = "json", "{"

    def prompt(self, messages, tools):
        return messages, [t.as_template_tool() for t in tools] or None

    def constraint(self, tools):
        variants = [{
            "type": "object",
            "properties": {"name": {"const": tool.name}, "parameters": tool.parameters or {"type": "object"}},
            "required": ["name", "parameters"],
            "additionalProperties": False,
        } for tool in tools]
        return Constraint(json_schema=variants[0] if len(variants) == 1 else {"anyOf": variants})

    def parse(self, text, tools):
        try:
            value = json.loads(text.strip())
        except ValueError:
            return None
        if not isinstance(value, dict):
            return None
        arguments = value.get("parameters", value.get("arguments", {}))
        if value.get("name") in {t.name for t in tools} and isinstance(arguments, dict):
            return ToolCall(value["name"], arguments)
        return None


class _WrittenFormat(ToolFormat):
    """A format the chat template does not know: described in the system message."""

    syntax: str  # how to call, for the system message

    @abstractmethod
    def write(self, name: str, arguments: dict) -> str:
        """One call in this format."""

    def prompt(self, messages, tools):
        if not tools:
            return messages, None
        listing = "\n".join(f"- {t.name}: {t.description}\n  arguments (JSON schema): "
                            f"{json.dumps(t.parameters or {'type': 'object'})}" for t in tools)
        guide = (f"You can call these tools:\n{listing}\n\nTo call one, answer with the call alone, "
                 f"written as {self.syntax}. Otherwise answer in plain text.")
        rewritten = [self._history_message(m) for m in messages]
        if rewritten and rewritten[0]["role"] == "system":
            first = rewritten[0]
            return [{**first, "content": f"{first['content']}\n\n{guide}"}, *rewritten[1:]], None
        return [{"role": "system", "content": guide}, *rewritten], None

    def _history_message(self, message: dict) -> dict:
        if message.get("role") != "assistant" or not message.get("tool_calls"):
            return message
        calls = [c["function"] for c in message["tool_calls"]]
        rest = {k: v for k, v in message.items() if k != "tool_calls"}
        return {**rest, "content": "".join(self.write(c["name"], c["arguments"]) for c in calls)}


class FunctionTagFormat(_WrittenFormat):
    name, opener = "function_tag", "<"
    syntax = '<function=TOOL_NAME>{"argument": "value"}</function>'

    def write(self, name, arguments):
        return f"<function={name}>{json.dumps(arguments)}</function>"

    def constraint(self, tools):
        return _grammar([[f"<function={t.name}>", t.parameters or {"type": "object"}, "</function>"] for t in tools])

    def parse(self, text, tools):
        text = text.strip()
        if not (text.startswith("<function=") and text.endswith("</function>")):
            return None
        name, _, body = text[len("<function="):-len("</function>")].partition(">")
        try:
            arguments = json.loads(body, strict=False) if body.strip() else {}
        except ValueError:
            return None
        if name in {t.name for t in tools} and isinstance(arguments, dict):
            return ToolCall(name, arguments)
        return None


class PythonListFormat(_WrittenFormat):
    name, opener = "python_list", "["
    syntax = '[TOOL_NAME(argument="value", other=2)]'

    def write(self, name, arguments):
        return f"[{name}({', '.join(f'{key}={json.dumps(value)}' for key, value in arguments.items())})]"

    def prompt(self, messages, tools):
        for tool in tools:
            if not tool.name.isidentifier():
                raise InvalidArgument("tool_prompt_format", f"python_list cannot call tool {tool.name!r}: "
                                                            "its name is not a Python identifier")
        return super().prompt(messages, tools)

    def constraint(self, tools):
        """The call with its required arguments, in the schema's order."""
        variants = []
        for tool in tools:
            schema = tool.parameters or {}
            properties = schema.get("properties", {})
            pieces: list[_Piece] = [f"[{tool.name}("]
            for i, key in enumerate(schema.get("required", [])):
                pieces += [f"{', ' if i else ''}{key}=", properties.get(key) or {}]
            variants.append(pieces + [")]"])
        return _grammar(variants)

    def parse(self, text, tools):
        try:
            tree = ast.parse(text.strip(), mode="eval").body
        except (SyntaxError, ValueError):
            return None
        if not isinstance(tree, ast.List) or not tree.elts:
            return None
        call = tree.elts[0]
        if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and not call.args
                and call.func.id in {t.name for t in tools} and all(k.arg for k in call.keywords)):
            return None
        try:
            return ToolCall(call.func.id, {k.arg: _python_value(k.value) for k in call.keywords})
        except ValueError:
            return None


_SPELLINGS = {"true": True, "false": False, "null": None, "True": True, "False": False, "None": None}


def _python_value(node: ast.AST):
    if isinstance(node, ast.Name) and node.id in _SPELLINGS:
        return _SPELLINGS[node.id]
    if isinstance(node, (ast.List, ast.Tuple)):
        return [_python_value(e) for e in node.elts]
    if isinstance(node, ast.Dict):
        keys = [_python_value(k) if k is not None else None for k in node.keys]
        if not all(isinstance(k, str) for k in keys):
            raise ValueError("object keys must be strings")
        return dict(zip(keys, (_python_value(v) for v in node.values), strict=True))
    try:
        return ast.literal_eval(node)
    except (SyntaxError, TypeError, ValueError, RecursionError) as exc:
        raise ValueError(str(exc)) from None


_Piece = str | dict  # literal text, or a JSON schema the text there must meet


def _grammar(variants: list[list[_Piece]]) -> Constraint:
    """One of the variants, each a sequence of pieces. xgrammar composes the grammar; its
    EBNF text then goes to whichever engine decodes."""
    import xgrammar as xgr

    def piece(p: _Piece):
        if isinstance(p, str):
            return xgr.Grammar.from_ebnf(f"root ::= {json.dumps(p, ensure_ascii=False)}")
        return xgr.Grammar.from_json_schema(json.dumps(p), any_whitespace=False)

    sequences = [xgr.Grammar.concat(*map(piece, pieces)) for pieces in variants]
    grammar = sequences[0] if len(sequences) == 1 else xgr.Grammar.union(*sequences)
    return Constraint(grammar=str(grammar), json_strings=True)


_FORMATS = {f.name: f for f in (JsonFormat(), FunctionTagFormat(), PythonListFormat())}
