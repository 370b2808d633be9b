"""Web search for agents (builtin::websearch) through the Brave Search or Tavily HTTP API.

`web_search` answers {"query": ..., "results": [{"title", "url", "content"}]}. It needs a
provider's API key (server config web_search_provider / web_search_api_key); without one
it raises FailedPrecondition saying what to set. A provider that cannot be reached (no
internet, DNS failure, timeout) is a FailedPrecondition too, naming the provider and the
address; a rejected key is a FailedPrecondition, a rate limit ResourceExhausted, and any
other bad answer Unavailable. The key never appears in an error message.

provider: "brave" or "tavily"; when it is not given, a key starting with "tvly-" means
Tavily and any other key Brave. base_url replaces the provider's address (a proxy, a
mirror, or a local fake in tests)."""
from __future__ import annotations

import html
import re

import httpx

from server.errors import FailedPrecondition, InvalidArgument, ResourceExhausted, Unavailable

PROVIDERS = {
    "brave": "https://api.search.brave.com",
    "tavily": "https://api.tavily.com",
}
MAX_RESULTS = 5
_TAGS = re.compile(r"<[^>]+>")


def _provider(provider: str | None, api_key: str | None) -> str:
    if not api_key or not api_key.strip():
        raise FailedPrecondition("web search is not configured: set web_search_provider ('brave' or 'tavily') "
                                 "and web_search_api_key in the server config")
    if not provider:
        return "tavily" if api_key.startswith("tvly-") else "brave"
    name = provider.strip().lower()
    if name not in PROVIDERS:
        raise FailedPrecondition(f"web search provider {provider!r} is not supported: use 'brave' or 'tavily'")
    return name


def _plain(text) -> str:
    return html.unescape(_TAGS.sub("", text)) if isinstance(text, str) else ""


def _brave_results(body: dict) -> list[dict]:
    items = ((body.get("web") or {}).get("results") or []) if isinstance(body, dict) else []
    results = []
    for item in items:
        if not isinstance(item, dict) or not item.get("url"):
            continue
        content = _plain(item.get("description"))
        extra = [_plain(s) for s in item.get("extra_snippets") or [] if isinstance(s, str)]
        results.append({"title": _plain(item.get("title")), "url": str(item["url"]),
                        "content": "\n".join([content, *extra]).strip()})
    return results


def _tavily_results(body: dict) -> list[dict]:
    items = (body.get("results") or []) if isinstance(body, dict) else []
    return [{"title": _plain(item.get("title")), "url": str(item["url"]), "content": _plain(item.get("content"))}
            for item in items if isinstance(item, dict) and item.get("url")]


async def web_search(query: str, *, provider: str | None, api_key: str | None, timeout_s: float = 10,
                     base_url: str | None = None, max_results: int = MAX_RESULTS) -> dict:
    name = _provider(provider, api_key)
    query = (query or "").strip()
    if not query:
        raise InvalidArgument("query", "must not be empty")
    root = (base_url or PROVIDERS[name]).rstrip("/")
    count = max(1, min(int(max_results), 20))
    if name == "brave":
        url = f"{root}/res/v1/web/search"
        call = {"method": "GET", "url": url, "params": {"q": query, "count": count},
                "headers": {"Accept": "application/json", "X-Subscription-Token": api_key}}
    else:
        url = f"{root}/search"
        call = {"method": "POST", "url": url, "json": {"query": query, "max_results": count, "api_key": api_key},
                "headers": {"Accept": "application/json", "Authorization": f"Bearer {api_key}"}}
    try:
        async with httpx.AsyncClient(timeout=timeout_s) as client:
            response = await client.request(**call)
    except httpx.TimeoutException:
        raise FailedPrecondition(f"web search provider {name} did not answer within {timeout_s:g} s "
                                 f"({url})") from None
    except httpx.HTTPError as exc:  # connection refused, DNS failure, no route, TLS...
        reason = str(exc) or type(exc).__name__
        raise FailedPrecondition(f"web search provider {name} cannot be reached at {url}: {reason}") from None
    if response.status_code in (401, 403):
        raise FailedPrecondition(f"web search provider {name} rejected the API key (HTTP {response.status_code})")
    if response.status_code == 429:
        raise ResourceExhausted(f"web search provider {name} rate-limited the request (HTTP 429)")
    if response.status_code >= 400:
        raise Unavailable(f"web search provider {name} answered HTTP {response.status_code}: "
                          f"{response.text[:200]}")
    try:
        body = response.json()
    except ValueError:
        raise Unavailable(f"web search provider {name} answered something that is not JSON") from None
    results = _brave_results(body) if name == "brave" else _tavily_results(body)
    return {"query": query, "results": results[:count]}
