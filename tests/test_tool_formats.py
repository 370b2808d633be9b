"""The tool prompt formats on their own: calls read back, refusals, the system message
that offers tools, and history written in the format. (Forced calls decoded by real
models in each format: test_inference.py, test_inference_vllm.py, test_agents.py.)"""
from __future__ import annotations

import pytest

from server.errors import InvalidArgument
from server.inference import tool_formats
from server.inference.chat import Tool
from server.inference.tool_formats import ToolCall

CLOCK = Tool("get_time", "The time in a zone.", {"type": "object", "properties": {"zone": {"type": "string"}},
                                                 "required": ["zone"]})
TOOLS = [CLOCK, Tool("ping")]


@pytest.mark.parametrize("fmt, text", [
    ("json", '{"name": "get_time", "parameters": {"zone": "UTC", "n": 2}}'),
    ("function_tag", '<function=get_time>{"zone": "UTC", "n": 2}</function>'),
    ("python_list", '[get_time(zone="UTC", n=2)]'),
    ("python_list", "[get_time(zone='UTC', n=2), ping()]"),  # one call per answer: the first
])
def test_a_written_call_is_read_back(fmt, text):
    assert tool_formats.get(fmt).parse(text, TOOLS) == ToolCall("get_time", {"zone": "UTC", "n": 2})


@pytest.mark.parametrize("fmt", ["function_tag", "python_list"])
def test_what_a_format_writes_it_reads(fmt):
    arguments = {"zone": "Europe/Paris", "deep": {"list": [1, 2.5, None, True]}, "quote": 'say "hi"\n'}
    written = tool_formats.get(fmt).write("get_time", arguments)
    assert tool_formats.get(fmt).parse(written, TOOLS) == ToolCall("get_time", arguments)


def test_python_list_reads_both_spellings_of_literals():
    parsed = tool_formats.get("python_list").parse("[get_time(a=true, b=False, c=null, d=None, e=-3)]", TOOLS)
    assert parsed.arguments == {"a": True, "b": False, "c": None, "d": None, "e": -3}


@pytest.mark.parametrize("fmt, text", [
    ("json", '{"name": "unknown", "parameters": {}}'),
    ("json", "The time is noon."),
    ("function_tag", "<function=get_time>{not json}</function>"),
    ("function_tag", '<function=get_time>{"zone": "UTC"}'),
    ("python_list", "[get_time(zone=open('x'))]"),
    ("python_list", "[get_time('UTC')]"),
    ("python_list", "get_time(zone='UTC')"),
    ("python_list", "[]"),
])
def test_what_is_not_a_call_of_an_offered_tool_is_not_parsed(fmt, text):
    assert tool_formats.get(fmt).parse(text, TOOLS) is None


def test_an_unknown_format_or_an_unspellable_tool_is_invalid_argument():
    with pytest.raises(InvalidArgument) as error:
        tool_formats.get("xml")
    assert error.value.field == "tool_prompt_format"
    with pytest.raises(InvalidArgument) as error:
        tool_formats.get("python_list").prompt([], [Tool("get-time")])
    assert error.value.field == "tool_prompt_format" and "get-time" in error.value.message


def test_proto_enum_values_name_the_formats():
    from llamastack.common.v1 import inference_pb2

    assert tool_formats.name_from_proto(inference_pb2.TOOL_PROMPT_FORMAT_UNSPECIFIED) == "json"
    assert tool_formats.name_from_proto(inference_pb2.TOOL_PROMPT_FORMAT_PYTHON_LIST) == "python_list"
    assert tool_formats.name_from_proto(inference_pb2.TOOL_PROMPT_FORMAT_FUNCTION_TAG) == "function_tag"


def test_written_formats_offer_tools_in_the_system_message_and_rewrite_history():
    history = [{"role": "system", "content": "Be terse."}, {"role": "user", "content": "time?"},
               {"role": "assistant", "content": "", "tool_calls": [
                   {"type": "function", "function": {"name": "get_time", "arguments": {"zone": "UTC"}}}]},
               {"role": "tool", "content": "12:00"}]
    messages, template_tools = tool_formats.get("function_tag").prompt(history, TOOLS)
    assert template_tools is None
    assert messages[0]["content"].startswith("Be terse.") and "get_time" in messages[0]["content"]
    assert "<function=" in messages[0]["content"]
    assert messages[2] == {"role": "assistant", "content": '<function=get_time>{"zone": "UTC"}</function>'}
    assert messages[1] == history[1] and messages[3] == history[3]
    no_system, _ = tool_formats.get("python_list").prompt(history[1:2], TOOLS)
    assert no_system[0]["role"] == "system" and "[get_time" not in no_system[0]["content"]
    assert no_system[1:] == history[1:2]
    json_messages, json_tools = tool_formats.get("json").prompt(history, TOOLS)
    assert json_messages == history and [t["function"]["name"] for t in json_tools] == ["get_time", "ping"]


def test_forced_constraints_are_grammars_that_keep_json_strings_clean():
    import xgrammar as xgr

    for fmt in ("function_tag", "python_list"):
        constraint = tool_formats.get(fmt).constraint(TOOLS)
        assert constraint.grammar and constraint.bans_control_characters
        xgr.Grammar.from_ebnf(constraint.grammar)  # parses as it will in the engines
    assert tool_formats.get("json").constraint(TOOLS).json_schema["anyOf"][0]["properties"]["name"] == {
        "const": "get_time"}
