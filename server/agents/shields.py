"""Input/output shields for agent turns.

A shield looks at a conversation (messages as {"role", "content"} dicts, the newest last)
and returns a Violation or None. Both kinds check only the newest message: an input
shield sees the conversation ending with the new user message, an output shield the one
ending with the agent's answer; earlier messages were checked when they were new.

- PatternShield: case-insensitive regular expressions, each with a category, a level
  (info, warn or error; default error) and a message. When several match, the most
  severe wins (config order among equals). metadata: {"violation_type": category}.
- LlamaGuardShield: asks an LLM served by this server (InferenceService.chat, greedy,
  a few tokens) for a Llama Guard 3 verdict. By default the shield renders the whole
  Llama Guard 3 task itself (the S1..S14 categories, the conversation as "User:" /
  "Agent:" turns, the instruction to assess the last one) as one user message, so any
  instruction-following model can serve; with "template": "checkpoint" it passes the
  conversation as is and lets the checkpoint's own chat template build the task (real
  Llama Guard 3 checkpoints ship such a template; rendering it twice would nest it).
  The answer "safe" gives None; "unsafe" and a line "S1,S2" give an error-level
  Violation with metadata {"violation_type": "S1,S2"}. An answer that is neither is
  not trusted either way: it gives a Violation of level "warn" (configurable with
  "on_unparsable": "error" to block instead, "info" to only note it) with metadata
  {"unparsed": <the answer>}. Errors of the inference call (unknown model...) propagate.

Config (server config `shields`), one entry per shield:
  {"id": "no-secrets", "type": "pattern",
   "patterns": [{"pattern": "api[_-]?key", "category": "secrets", "level": "error",
                 "message": "..."}]}
  {"id": "llama-guard", "type": "llama_guard", "model": "<llm id>",
   "categories": ["S1", "S10"] (optional subset), "template": "shield" | "checkpoint",
   "on_unparsable": "warn", "max_tokens": 20}
"""
from __future__ import annotations

import re
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any

from server.inference.chat import ChatRequest
from server.telemetry.instrument import traced

LEVELS = ("info", "warn", "error")
_SEVERITY = {level: rank for rank, level in enumerate(LEVELS)}


@dataclass
class Violation:
    level: str  # "info" | "warn" | "error"
    user_message: str
    metadata: dict = field(default_factory=dict)


_traced_check = traced("shield.check", lambda self, **_: {"shield_id": self.id},
                       result=lambda violation: {"violation_level": violation.level if violation else "none"})


class Shield(ABC):
    id: str

    @abstractmethod
    async def check(self, messages: list[dict]) -> Violation | None:
        """A Violation if the conversation's newest message breaks the shield's policy."""


def message_text(content: Any) -> str:
    """The text of a message's content: a string, or a list of parts ({"type": "text",
    "text": ...} or strings); other parts (images...) are left out."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, dict):
        return str(content.get("text", "")) if content.get("type", "text") == "text" else ""
    if isinstance(content, (list, tuple)):
        return "\n".join(text for text in (message_text(part) for part in content) if text)
    return str(content)


# ---------------------------------------------------------------- patterns


@dataclass
class Pattern:
    regex: re.Pattern
    category: str
    level: str = "error"
    message: str = ""


class PatternShield(Shield):
    def __init__(self, id: str, patterns: list[Pattern]):
        self.id = id
        self.patterns = patterns

    @_traced_check
    async def check(self, messages: list[dict]) -> Violation | None:
        if not messages:
            return None
        text = message_text(messages[-1].get("content"))
        hit: Pattern | None = None
        for pattern in self.patterns:
            if pattern.regex.search(text) and (hit is None or _SEVERITY[pattern.level] > _SEVERITY[hit.level]):
                hit = pattern
        if hit is None:
            return None
        message = hit.message or (f"This content was blocked by shield {self.id!r} ({hit.category})."
                                  if hit.level == "error" else
                                  f"This content was flagged by shield {self.id!r} ({hit.category}).")
        return Violation(level=hit.level, user_message=message, metadata={"violation_type": hit.category})


# ---------------------------------------------------------------- Llama Guard


LLAMA_GUARD_3_CATEGORIES = {
    "S1": "Violent Crimes.",
    "S2": "Non-Violent Crimes.",
    "S3": "Sex-Related Crimes.",
    "S4": "Child Sexual Exploitation.",
    "S5": "Defamation.",
    "S6": "Specialized Advice.",
    "S7": "Privacy.",
    "S8": "Intellectual Property.",
    "S9": "Indiscriminate Weapons.",
    "S10": "Hate.",
    "S11": "Suicide & Self-Harm.",
    "S12": "Sexual Content.",
    "S13": "Elections.",
    "S14": "Code Interpreter Abuse.",
}

_ROLE_NAMES = {"user": "User", "assistant": "Agent"}


def llama_guard_prompt(messages: list[dict], categories: list[str] | None = None) -> str:
    """The Llama Guard 3 task for the conversation: categories, the User/Agent turns, and
    the instruction to assess the last turn's role. System and tool messages are left out."""
    turns = [(_ROLE_NAMES[m.get("role")], message_text(m.get("content")))
             for m in messages if m.get("role") in _ROLE_NAMES]
    role = turns[-1][0] if turns else "User"
    codes = categories or list(LLAMA_GUARD_3_CATEGORIES)
    listed = "\n".join(f"{code}: {LLAMA_GUARD_3_CATEGORIES[code]}" for code in codes)
    conversation = "\n\n".join(f"{name}: {text}" for name, text in turns)
    return (f"Task: Check if there is unsafe content in '{role}' messages in conversations according to our "
            f"safety policy with the below categories.\n\n"
            f"<BEGIN UNSAFE CONTENT CATEGORIES>\n{listed}\n<END UNSAFE CONTENT CATEGORIES>\n\n"
            f"<BEGIN CONVERSATION>\n\n{conversation}\n\n<END CONVERSATION>\n\n"
            f"Provide your safety assessment for ONLY THE LAST {role} message in the above conversation:\n"
            f" - First line must read 'safe' or 'unsafe'.\n"
            f" - If unsafe, a second line must include a comma-separated list of violated categories.")


_CODE = re.compile(r"S\d{1,2}")


def parse_llama_guard(answer: str, unparsed_level: str = "warn") -> Violation | None:
    """"safe" -> None; "unsafe\\nS1,S2" -> an error Violation; anything else -> a
    Violation of `unparsed_level` carrying the answer."""
    lines = [line.strip() for line in answer.strip().splitlines() if line.strip()]
    verdict = lines[0].lower() if lines else ""
    if verdict == "safe":
        return None
    if verdict == "unsafe":
        codes = _CODE.findall(lines[1].upper()) if len(lines) > 1 else []
        codes = list(dict.fromkeys(codes))
        names = ", ".join(f"{code} {LLAMA_GUARD_3_CATEGORIES.get(code, '').rstrip('.')}".strip() for code in codes)
        return Violation(level="error",
                         user_message=f"I can't help with that: it was found unsafe ({names or 'unspecified'}).",
                         metadata={"violation_type": ",".join(codes) or "unspecified"})
    return Violation(level=unparsed_level,
                     user_message="The safety check gave an answer that could not be understood; "
                                  "the content was not confirmed safe.",
                     metadata={"unparsed": answer})


class LlamaGuardShield(Shield):
    def __init__(self, id: str, inference, model: str, categories: list[str] | None = None,
                 template: str = "shield", on_unparsable: str = "warn", max_tokens: int = 20):
        self.id = id
        self.inference = inference
        self.model = model
        self.categories = categories
        self.template = template
        self.on_unparsable = on_unparsable
        self.max_tokens = max_tokens

    def request(self, messages: list[dict]) -> ChatRequest:
        if self.template == "checkpoint":
            conversation = [{"role": m["role"], "content": message_text(m.get("content"))}
                            for m in messages if m.get("role") in _ROLE_NAMES]
        else:
            conversation = [{"role": "user", "content": llama_guard_prompt(messages, self.categories)}]
        return ChatRequest(model_id=self.model, messages=conversation, max_tokens=self.max_tokens,
                           temperature=0.0, top_p=1.0, top_k=0)

    @_traced_check
    async def check(self, messages: list[dict]) -> Violation | None:
        if not any(m.get("role") in _ROLE_NAMES for m in messages):
            return None
        result = await self.inference.chat(self.request(messages))
        answer = result.candidates[0].text if result.candidates else ""
        return parse_llama_guard(answer, self.on_unparsable)


# ---------------------------------------------------------------- config


_KEYS = {"pattern": {"id", "type", "patterns"},
         "llama_guard": {"id", "type", "model", "categories", "template", "on_unparsable", "max_tokens"}}
_PATTERN_KEYS = {"pattern", "category", "level", "message"}


def build_shields(config: list[dict], inference) -> dict[str, Shield]:
    """Shields by id from the server config; an invalid entry raises ValueError naming it."""
    if config is None:
        return {}
    if not isinstance(config, (list, tuple)):
        raise ValueError(f"shields: expected a list of shield entries, got {type(config).__name__}")
    shields: dict[str, Shield] = {}
    for index, entry in enumerate(config):
        name = f"shields[{index}]"
        if isinstance(entry, dict) and isinstance(entry.get("id"), str):
            name += f" ({entry['id']!r})"

        def fail(problem: str, name: str = name):
            raise ValueError(f"{name}: {problem}")

        if not isinstance(entry, dict):
            fail(f"expected a mapping, got {type(entry).__name__}")
        shield_id = entry.get("id")
        if not isinstance(shield_id, str) or not shield_id.strip():
            fail("`id` must be a non-empty string")
        if shield_id in shields:
            fail(f"duplicate id {shield_id!r}")
        kind = entry.get("type")
        if kind not in _KEYS:
            fail(f"`type` must be 'pattern' or 'llama_guard', got {kind!r}")
        unknown = set(entry) - _KEYS[kind]
        if unknown:
            fail(f"unknown key(s) for type {kind!r}: {', '.join(sorted(map(str, unknown)))}")
        if kind == "pattern":
            shields[shield_id] = PatternShield(shield_id, _patterns(entry.get("patterns"), shield_id, fail))
        else:
            model = entry.get("model")
            if not isinstance(model, str) or not model.strip():
                fail("`model` (the id of the LLM that answers as Llama Guard) must be a non-empty string")
            categories = entry.get("categories")
            if categories is not None and (not isinstance(categories, list) or not categories
                                           or any(c not in LLAMA_GUARD_3_CATEGORIES for c in categories)):
                    fail(f"`categories` must be a non-empty list of {', '.join(LLAMA_GUARD_3_CATEGORIES)}")
            template = entry.get("template", "shield")
            if template not in ("shield", "checkpoint"):
                fail(f"`template` must be 'shield' or 'checkpoint', got {template!r}")
            on_unparsable = entry.get("on_unparsable", "warn")
            if on_unparsable not in LEVELS:
                fail(f"`on_unparsable` must be one of {', '.join(LEVELS)}, got {on_unparsable!r}")
            max_tokens = entry.get("max_tokens", 20)
            if not isinstance(max_tokens, int) or isinstance(max_tokens, bool) or not 1 <= max_tokens <= 256:
                fail(f"`max_tokens` must be an integer from 1 to 256, got {max_tokens!r}")
            shields[shield_id] = LlamaGuardShield(shield_id, inference, model, categories, template, on_unparsable,
                                                  max_tokens)
    return shields


def _patterns(patterns: Any, shield_id: str, fail) -> list[Pattern]:
    if not isinstance(patterns, list) or not patterns:
        fail("`patterns` must be a non-empty list of {pattern, category, level, message}")
    built = []
    for position, spec in enumerate(patterns):
        where = f"patterns[{position}]"
        if isinstance(spec, str):
            spec = {"pattern": spec}
        if not isinstance(spec, dict):
            fail(f"{where}: expected a mapping, got {type(spec).__name__}")
        unknown = set(spec) - _PATTERN_KEYS
        if unknown:
            fail(f"{where}: unknown key(s): {', '.join(sorted(map(str, unknown)))}")
        source = spec.get("pattern")
        if not isinstance(source, str) or not source:
            fail(f"{where}: `pattern` must be a non-empty string")
        try:
            regex = re.compile(source, re.IGNORECASE)
        except re.error as exc:
            fail(f"{where}: invalid regular expression {source!r}: {exc}")
        category = spec.get("category", shield_id)
        level = spec.get("level", "error")
        message = spec.get("message", "")
        if not isinstance(category, str) or not category:
            fail(f"{where}: `category` must be a non-empty string")
        if level not in LEVELS:
            fail(f"{where}: `level` must be one of {', '.join(LEVELS)}, got {level!r}")
        if not isinstance(message, str):
            fail(f"{where}: `message` must be a string")
        built.append(Pattern(regex=regex, category=category, level=level, message=message))
    return built
