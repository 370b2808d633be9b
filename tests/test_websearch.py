"""Web search (server/agents/websearch.py): not configured, unreachable, and the Brave and
Tavily answer shapes from a fake provider on 127.0.0.1 (this machine has no internet)."""
from __future__ import annotations

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import pytest

from server.agents.websearch import web_search
from server.errors import FailedPrecondition, InvalidArgument, ResourceExhausted

BRAVE_ANSWER = {
    "type": "search",
    "query": {"original": "llama stack"},
    "web": {"type": "search", "results": [
        {"title": "Llama <strong>Stack</strong>", "url": "https://example.com/llama-stack",
         "description": "Build <strong>AI</strong> apps &amp; agents.", "extra_snippets": ["More text."]},
        {"title": "Second", "url": "https://example.org/2", "description": "Another result."},
        {"title": "no url, skipped"},
    ]},
}
TAVILY_ANSWER = {"query": "llama stack", "results": [
    {"title": "Tavily hit", "url": "https://example.net/t", "content": "Some content.", "score": 0.9}]}


@pytest.fixture(autouse=True)
def no_proxies(monkeypatch):
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def fake_provider():
    """A local HTTP server answering like Brave (GET) or Tavily (POST); records requests."""
    seen = []
    status = {"code": 200}

    class Handler(BaseHTTPRequestHandler):
        def _answer(self, body: dict):
            data = json.dumps(body).encode()
            self.send_response(status["code"])
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            url = urlparse(self.path)
            seen.append({"method": "GET", "path": url.path, "query": parse_qs(url.query),
                         "headers": dict(self.headers)})
            self._answer(BRAVE_ANSWER)

        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            seen.append({"method": "POST", "path": self.path, "body": body, "headers": dict(self.headers)})
            self._answer(TAVILY_ANSWER)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    server.seen, server.status = seen, status
    server.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield server
    server.shutdown()
    server.server_close()


def closed_port() -> int:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()  # nothing listens there now
    return port


async def test_not_configured_is_a_clear_error():
    for key in (None, "", "  "):
        with pytest.raises(FailedPrecondition, match="web search is not configured: set web_search_provider"):
            await web_search("llamas", provider="brave", api_key=key)
    with pytest.raises(FailedPrecondition, match="not supported"):
        await web_search("llamas", provider="bing", api_key="k")


async def test_unreachable_provider_is_a_clear_error():
    base = f"http://127.0.0.1:{closed_port()}"
    with pytest.raises(FailedPrecondition) as caught:
        await web_search("llamas", provider="brave", api_key="secret-key-123", timeout_s=2, base_url=base)
    message = caught.value.message
    assert "web search provider brave cannot be reached at" in message and base in message
    assert "secret-key-123" not in message


async def test_brave_answer_is_parsed(fake_provider):
    answer = await web_search("llama stack", provider="brave", api_key="brave-key", base_url=fake_provider.url)
    assert answer == {"query": "llama stack", "results": [
        {"title": "Llama Stack", "url": "https://example.com/llama-stack",
         "content": "Build AI apps & agents.\nMore text."},
        {"title": "Second", "url": "https://example.org/2", "content": "Another result."},
    ]}
    [request] = fake_provider.seen
    assert request["path"] == "/res/v1/web/search"
    assert request["query"]["q"] == ["llama stack"]
    assert request["headers"]["X-Subscription-Token"] == "brave-key"


async def test_tavily_answer_is_parsed(fake_provider):
    answer = await web_search("llama stack", provider=None, api_key="tvly-abc", base_url=fake_provider.url)
    assert answer == {"query": "llama stack", "results": [
        {"title": "Tavily hit", "url": "https://example.net/t", "content": "Some content."}]}
    [request] = fake_provider.seen
    assert request["method"] == "POST" and request["path"] == "/search"
    assert request["body"]["query"] == "llama stack"
    assert request["headers"]["Authorization"] == "Bearer tvly-abc"


async def test_rejected_key_rate_limit_and_empty_query(fake_provider):
    fake_provider.status["code"] = 401
    with pytest.raises(FailedPrecondition, match="rejected the API key"):
        await web_search("q", provider="brave", api_key="bad", base_url=fake_provider.url)
    fake_provider.status["code"] = 429
    with pytest.raises(ResourceExhausted):
        await web_search("q", provider="brave", api_key="k", base_url=fake_provider.url)
    with pytest.raises(InvalidArgument):
        await web_search("   ", provider="brave", api_key="k", base_url=fake_provider.url)
