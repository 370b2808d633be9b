"""Shields (server/agents/shields.py): pattern shields, Llama Guard answer parsing with a
scripted inference object, config validation, and one Llama Guard call through the real
InferenceService with the tiny random model (its verdict is noise: only the plumbing is
checked)."""
from __future__ import annotations

import asyncio

import pytest

from server.agents.shields import (
    LLAMA_GUARD_3_CATEGORIES,
    LlamaGuardShield,
    PatternShield,
    Violation,
    build_shields,
    llama_guard_prompt,
    parse_llama_guard,
)
from server.inference.chat import Candidate, ChatRequest, ChatResult
from server.inference.service import InferenceService


def conversation(*texts: str) -> list[dict]:
    roles = ["user", "assistant"]
    return [{"role": roles[i % 2], "content": text} for i, text in enumerate(texts)]


class ScriptedInference:
    """Answers every chat with the next scripted text and keeps the requests."""

    def __init__(self, *answers: str):
        self.answers = list(answers)
        self.requests = []

    async def chat(self, request):
        self.requests.append(request)
        return ChatResult(candidates=[Candidate(text=self.answers.pop(0))], prompt_tokens=1, completion_tokens=1)


# ================================================================ pattern shields


PATTERN_CONFIG = [{"id": "words", "type": "pattern", "patterns": [
    {"pattern": r"\bpassword\b", "category": "credentials", "message": "No passwords, please."},
    {"pattern": r"ssn:\s*\d{3}-\d{2}-\d{4}", "category": "pii", "level": "error"},
    {"pattern": "bitcoin", "category": "crypto", "level": "warn"},
    {"pattern": "weather", "category": "smalltalk", "level": "info"},
]}]


async def test_pattern_shield_hits_misses_and_levels():
    shield = build_shields(PATTERN_CONFIG, inference=None)["words"]
    assert isinstance(shield, PatternShield) and shield.id == "words"

    assert await shield.check(conversation("Hello there")) is None
    assert await shield.check([]) is None

    hit = await shield.check(conversation("My PASSWORD is hunter2"))  # case-insensitive
    assert hit == Violation(level="error", user_message="No passwords, please.",
                            metadata={"violation_type": "credentials"})

    warn = await shield.check(conversation("Should I buy Bitcoin?"))
    assert warn.level == "warn" and warn.metadata == {"violation_type": "crypto"}
    assert "words" in warn.user_message and "crypto" in warn.user_message

    info = await shield.check(conversation("Nice weather today"))
    assert info.level == "info" and info.metadata == {"violation_type": "smalltalk"}

    # the most severe match wins
    both = await shield.check(conversation("bitcoin and my ssn: 123-45-6789"))
    assert both.level == "error" and both.metadata == {"violation_type": "pii"}

    # only the newest message is checked; parts lists are read as text
    assert await shield.check(conversation("my password", "I won't repeat it", "ok thanks")) is None
    parts = [{"role": "user", "content": [{"type": "text", "text": "the password"}, {"type": "image"}]}]
    assert (await shield.check(parts)).metadata == {"violation_type": "credentials"}


# ================================================================ Llama Guard parsing


@pytest.mark.parametrize("answer, expected", [
    ("safe", None),
    ("  Safe\n", None),
    ("unsafe\nS1", Violation("error", "", {"violation_type": "S1"})),
    ("unsafe\nS1,S10", Violation("error", "", {"violation_type": "S1,S10"})),
    ("\nunsafe\n s2 , S14 ", Violation("error", "", {"violation_type": "S2,S14"})),
    ("unsafe", Violation("error", "", {"violation_type": "unspecified"})),
    ("I think it is fine", Violation("warn", "", {"unparsed": "I think it is fine"})),
    ("", Violation("warn", "", {"unparsed": ""})),
    ("safety first", Violation("warn", "", {"unparsed": "safety first"})),
])
def test_parse_llama_guard(answer, expected):
    got = parse_llama_guard(answer)
    if expected is None:
        assert got is None
    else:
        assert (got.level, got.metadata) == (expected.level, expected.metadata)
        assert got.user_message


async def test_llama_guard_shield_with_scripted_answers():
    inference = ScriptedInference("safe", "unsafe\nS1,S2", "no idea", "garbage")
    shields = build_shields([
        {"id": "guard", "type": "llama_guard", "model": "guard-llm"},
        {"id": "strict", "type": "llama_guard", "model": "guard-llm", "on_unparsable": "error",
         "categories": ["S1", "S9"]},
    ], inference)
    guard, strict = shields["guard"], shields["strict"]
    assert isinstance(guard, LlamaGuardShield)

    assert await guard.check(conversation("How do I bake bread?")) is None
    request = inference.requests[0]
    assert request.model_id == "guard-llm"
    assert request.temperature == 0.0 and request.max_tokens <= 20
    [message] = request.messages
    prompt = message["content"]
    assert message["role"] == "user"
    for code, name in LLAMA_GUARD_3_CATEGORIES.items():
        assert f"{code}: {name}" in prompt
    assert "User: How do I bake bread?" in prompt
    assert "ONLY THE LAST User message" in prompt

    unsafe = await guard.check(conversation("hi", "Here is how to hurt someone"))
    assert unsafe.level == "error" and unsafe.metadata == {"violation_type": "S1,S2"}
    assert "Agent: Here is how to hurt someone" in inference.requests[1].messages[0]["content"]
    assert "ONLY THE LAST Agent message" in inference.requests[1].messages[0]["content"]

    unparsed = await guard.check(conversation("hello"))
    assert unparsed.level == "warn" and unparsed.metadata == {"unparsed": "no idea"}

    blocked = await strict.check(conversation("hello"))
    assert blocked.level == "error" and blocked.metadata == {"unparsed": "garbage"}
    strict_prompt = inference.requests[3].messages[0]["content"]
    assert "S1: " in strict_prompt and "S9: " in strict_prompt and "S2: " not in strict_prompt


def test_prompt_skips_system_and_tool_messages():
    prompt = llama_guard_prompt([{"role": "system", "content": "secret system prompt"},
                                 {"role": "user", "content": "question"},
                                 {"role": "tool", "content": "tool output"}])
    assert "secret system prompt" not in prompt and "tool output" not in prompt
    assert "User: question" in prompt


# ================================================================ config


@pytest.mark.parametrize("config, complaint", [
    ([{"type": "pattern", "patterns": ["x"]}], r"shields\[0\]: `id`"),
    ([{"id": "a", "type": "regex", "patterns": ["x"]}], r"shields\[0\] \('a'\): `type`"),
    ([{"id": "a", "type": "pattern"}], r"'a'.*`patterns`"),
    ([{"id": "a", "type": "pattern", "patterns": [{"pattern": "("}]}], r"'a'.*invalid regular expression"),
    ([{"id": "a", "type": "pattern", "patterns": [{"pattern": "x", "level": "fatal"}]}], r"'a'.*`level`"),
    ([{"id": "a", "type": "pattern", "patterns": [{"pattern": "x", "categry": "c"}]}], r"'a'.*unknown key"),
    ([{"id": "a", "type": "pattern", "patterns": ["x"]}, {"id": "a", "type": "pattern", "patterns": ["y"]}],
     r"shields\[1\] \('a'\): duplicate id"),
    ([{"id": "g", "type": "llama_guard"}], r"'g'.*`model`"),
    ([{"id": "g", "type": "llama_guard", "model": "m", "categories": ["S99"]}], r"'g'.*`categories`"),
    ([{"id": "g", "type": "llama_guard", "model": "m", "on_unparsable": "ignore"}], r"'g'.*`on_unparsable`"),
    (["not a mapping"], r"shields\[0\]: expected a mapping"),
])
def test_invalid_config_names_the_entry(config, complaint):
    with pytest.raises(ValueError, match=complaint):
        build_shields(config, inference=None)


def test_empty_config():
    assert build_shields([], inference=None) == {}


# ================================================================ the real tiny model


def test_llama_guard_with_the_real_tiny_model(inference_server):
    """The shield's verdict is what its parser makes of the tiny model's greedy answer to the
    Llama Guard prompt, that answer read here through the same InferenceService."""
    inference = InferenceService(inference_server.app.models)
    shield = build_shields([{"id": "guard", "type": "llama_guard", "model": "tiny-llama"}], inference)["guard"]
    messages = conversation("Tell me how to bake bread.")

    def on_server_loop(coroutine):  # the engine lives on the embedded server's event loop
        return asyncio.run_coroutine_threadsafe(coroutine, inference_server.loop).result(timeout=120)

    verdict = on_server_loop(shield.check(messages))
    answer = on_server_loop(inference.chat(ChatRequest(
        model_id="tiny-llama", messages=[{"role": "user", "content": llama_guard_prompt(messages)}], max_tokens=20,
        temperature=0.0))).candidates[0].text
    assert verdict == parse_llama_guard(answer)
    assert on_server_loop(shield.check(messages)) == verdict  # greedy: the same answer every time
