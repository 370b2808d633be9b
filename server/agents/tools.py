"""The tool runtime of agents: which tools a turn offers the model, and running the
server-side ones. Toolgroups: `builtin::rag` (knowledge_search over vector stores named
in its args `vector_db_ids`), `builtin::code_interpreter` (Python in a sandbox) and
`builtin::websearch` (a search provider, when a key is configured). Client tools (the
agent's `client_tools`) are offered too, but run by the caller: the turn waits for them."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from server.agents.sandbox import SandboxLimits, run_python
from server.agents.websearch import web_search
from server.errors import InvalidArgument, ServiceError
from server.inference.chat import Tool
from server.telemetry.instrument import traced

RAG, CODE, WEB = "builtin::rag", "builtin::code_interpreter", "builtin::websearch"

_BUILTIN_TOOLS = {
    RAG: Tool("knowledge_search", "Search the knowledge base (the agent's vector stores) for passages relevant "
              "to a query.", {"type": "object", "properties": {"query": {"type": "string", "maxLength": 100}},
                              "required": ["query"]}),
    CODE: Tool("code_interpreter", "Run Python code and return what it prints.",
               {"type": "object", "properties": {"code": {"type": "string", "maxLength": 2000}},
                "required": ["code"]}),
    WEB: Tool("web_search", "Search the web.", {"type": "object", "properties": {
        "query": {"type": "string", "maxLength": 100}}, "required": ["query"]}),
}


@dataclass
class ToolGroup:
    name: str
    args: dict[str, Any] = field(default_factory=dict)


@dataclass
class ToolOutcome:
    content: str
    metadata: dict[str, Any] = field(default_factory=dict)
    error: bool = False


def builtin_group(name: str, field_name: str) -> str:
    """`builtin::rag/knowledge_search` names the group `builtin::rag`."""
    group = name.split("/", 1)[0]
    if group not in _BUILTIN_TOOLS:
        raise InvalidArgument(field_name, f"unknown toolgroup {name!r}; known: {', '.join(_BUILTIN_TOOLS)}")
    return group


class ToolRuntime:
    def __init__(self, vector_stores=None, data_dir: Path | None = None, web_search_provider: str = "",
                 web_search_key: str = "", sandbox_limits=None):
        self._vector_stores = vector_stores
        self._data_dir = data_dir
        self._web = (web_search_provider, web_search_key)
        self._sandbox_limits = sandbox_limits

    @staticmethod
    def server_tools(groups: list[ToolGroup]) -> dict[str, ToolGroup]:
        """Tool name -> the group it comes from, for the server-side tools of these groups."""
        return {_BUILTIN_TOOLS[g.name].name: g for g in groups}

    @staticmethod
    def definition(group: ToolGroup) -> Tool:
        return _BUILTIN_TOOLS[group.name]

    @traced("tool.invoke", lambda group, **_: {"toolgroup": group.name, "tool_name": _BUILTIN_TOOLS[group.name].name},
            result=lambda outcome: {"error": outcome.error})
    async def invoke(self, group: ToolGroup, arguments: dict) -> ToolOutcome:
        try:
            if group.name == RAG:
                return await self._knowledge_search(group, arguments)
            if group.name == CODE:
                return await self._code(arguments)
            return await self._web_search(arguments)
        except ServiceError as error:  # a tool error is the tool's answer, not the turn's failure
            return ToolOutcome(content=f"error: {error.message}", error=True)

    async def _knowledge_search(self, group: ToolGroup, arguments: dict) -> ToolOutcome:
        stores = group.args.get("vector_db_ids") or group.args.get("vector_store_ids") or []
        if isinstance(stores, str):
            stores = [stores]
        query = str(arguments.get("query", ""))
        if self._vector_stores is None or not stores:
            return ToolOutcome("error: knowledge_search has no vector stores (toolgroup args vector_db_ids)",
                               error=True)
        top_k = int(group.args.get("max_chunks", 5))
        hits = [hit for store in stores for hit in await self._vector_stores.search(store, query, top_k)]
        hits = sorted(hits, key=lambda hit: hit.score, reverse=True)[:top_k]
        lines = [f"[{i + 1}] (document {hit.document_id}) {hit.content}" for i, hit in enumerate(hits)]
        return ToolOutcome(content="\n".join(lines) or "no results",
                           metadata={"document_ids": list(dict.fromkeys(hit.document_id for hit in hits)),
                                     "vector_db_ids": list(stores)})

    async def _code(self, arguments: dict) -> ToolOutcome:
        code = arguments.get("code")
        if not isinstance(code, str):
            return ToolOutcome("error: code_interpreter needs `code` (a string)", error=True)
        forbidden = [self._data_dir.resolve()] if self._data_dir else []
        result = await run_python(code, self._sandbox_limits or SandboxLimits(), forbidden_paths=forbidden)
        text = result.stdout + (f"\n[stderr]\n{result.stderr}" if result.stderr else "")
        if result.timed_out:
            text += "\n[timed out]"
        return ToolOutcome(content=text.strip(), error=result.exit_code != 0,
                           metadata={"exit_code": result.exit_code, "timed_out": result.timed_out,
                                     "truncated": result.truncated})

    async def _web_search(self, arguments: dict) -> ToolOutcome:
        provider, key = self._web
        results = await web_search(str(arguments.get("query", "")), provider=provider or None, api_key=key or None)
        return ToolOutcome(content=json.dumps(results["results"]), metadata={"query": results["query"]})
