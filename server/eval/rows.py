"""What an eval reads from a row, and under which column names.

The dataset purposes document `question`/`answer` (eval/question-answer) and
`messages`/`answer` (eval/messages-answer); the reference server named the same columns
`input_query`, `chat_completion_input` and `expected_answer`. Either name is read (the
purpose's name first). A row that lacks what a candidate or a scoring function needs
raises RowError, which fails that row only.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

QUESTION = ("question", "input_query")
MESSAGES = ("messages", "chat_completion_input")
ANSWER = ("answer", "expected_answer")
WEIGHT = "weight"
ROLES = ("system", "user", "assistant", "tool")


class RowError(Exception):
    """The row cannot be generated for or scored; the message says what it lacks."""


def _names(names: tuple[str, ...]) -> str:
    return " or ".join(f"'{n}'" for n in names)


def _content_text(content: Any, where: str) -> str:
    """A message's content: a string, or a list of content items whose text parts are joined."""
    if isinstance(content, str):
        return content
    if isinstance(content, dict):
        content = [content]
    if isinstance(content, list):
        parts = []
        for i, item in enumerate(content):
            if isinstance(item, str):
                parts.append(item)
            elif isinstance(item, dict) and item.get("type", "text") == "text" and isinstance(item.get("text"), str):
                parts.append(item["text"])
            else:
                raise RowError(f"{where}[{i}]: only text content can be evaluated")
        return "\n".join(parts)
    raise RowError(f"{where}: must be a string or a list of text items")


@dataclass
class EvalRow:
    index: int
    values: dict

    def _first(self, names: tuple[str, ...]) -> tuple[str, Any] | None:
        for name in names:
            if self.values.get(name) is not None:
                return name, self.values[name]
        return None

    def question(self) -> str | None:
        found = self._first(QUESTION)
        if found is None:
            return None
        name, value = found
        if not isinstance(value, str):
            raise RowError(f"'{name}' must be a string")
        return value

    def messages(self) -> list[dict]:
        """The conversation to answer: the row's messages, else its question as one user message."""
        found = self._first(MESSAGES)
        if found is None:
            question = self.question()
            if question is None:
                raise RowError(f"the row has no {_names(QUESTION)} and no {_names(MESSAGES)} column")
            return [{"role": "user", "content": question}]
        name, value = found
        if isinstance(value, str):  # the reference kept chat_completion_input as JSON text
            try:
                value = json.loads(value)
            except ValueError:
                raise RowError(f"'{name}' is a string but not JSON") from None
        if not isinstance(value, list) or not value:
            raise RowError(f"'{name}' must be a non-empty list of messages")
        messages = []
        for i, message in enumerate(value):
            where = f"{name}[{i}]"
            if not isinstance(message, dict):
                raise RowError(f"{where} must be an object with role and content")
            role = message.get("role")
            if role not in ROLES:
                raise RowError(f"{where}.role must be one of {', '.join(ROLES)}; got {role!r}")
            messages.append({"role": role, "content": _content_text(message.get("content", ""), f"{where}.content")})
        return messages

    def query_text(self) -> str:
        """The question asked: the question column, else the last user message."""
        question = self.question()
        if question is not None:
            return question
        users = [m["content"] for m in self.messages() if m["role"] == "user"]
        if not users:
            raise RowError(f"the row's {_names(MESSAGES)} hold no user message")
        return users[-1]

    def expected_answer(self) -> Any:
        found = self._first(ANSWER)
        if found is None:
            raise RowError(f"the row has no {_names(ANSWER)} column")
        return found[1]

    def weight(self) -> float | None:
        """The row's weight for weighted_average (1 when absent); None if it is not a usable number."""
        value = self.values.get(WEIGHT, 1)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
            return None
        return float(value)


def answer_text(value: Any, column: str = "answer") -> str:
    """An expected answer as text: a string as is, a number in its shortest form."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise RowError(f"the expected answer ({column}) must be a string or a number")
    return str(int(value)) if float(value).is_integer() else str(value)
