"""The HTTP/1.1 protocol uvicorn runs for the gateway: uvicorn's own (httptools where
installed, else h11), except that a request its parser refuses (malformed, or a request
line or headers past the parser's limits) is answered with the specs' Error body as
JSON rather than uvicorn's bare text/plain line."""
from __future__ import annotations

import json

from gateway.errors import error_body

try:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol as _UvicornProtocol
except ImportError:  # httptools is optional: uvicorn then parses with h11
    from uvicorn.protocols.http.h11_impl import H11Protocol as _UvicornProtocol


class GatewayHttpProtocol(_UvicornProtocol):
    def send_400_response(self, msg: str) -> None:
        body = json.dumps(error_body(400, "the request is not valid HTTP/1.1, or its request line or headers "
                                          "are longer than the HTTP parser accepts")).encode()
        head = [b"HTTP/1.1 400 Bad Request\r\n"]
        head += [name + b": " + value + b"\r\n" for name, value in self.server_state.default_headers]
        head += [b"content-type: application/json\r\n", b"content-length: %d\r\n" % len(body),
                 b"connection: close\r\n\r\n"]
        self.transport.write(b"".join(head) + body)
        self.transport.close()
