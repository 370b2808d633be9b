"""The URIs a request may name for its data, read the same way by every API area:
``file://`` paths under the configured allowed roots (a FileAccess: at most its
max_bytes, read with that cap, so a huge file costs no memory before its refusal) and ``data:`` URIs
(bounded by the request's own size limit).

Every failure is an ``InvalidArgument`` naming the request field that held the URI.
"""
from __future__ import annotations

import base64
import binascii
import os
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, unquote_to_bytes, urlsplit

from llamastack_grpc import quoted
from server.errors import InvalidArgument

DEFAULT_MAX_FILE_BYTES = 64 << 20

_DATA_URI = re.compile(r"^data:(?P<meta>[^,]*),(?P<payload>.*)$", re.DOTALL | re.IGNORECASE)


def scheme_of(uri: str) -> str:
    return uri.split(":", 1)[0].lower() if ":" in uri else ""


@dataclass(frozen=True)
class FileAccess:
    """What file:// URIs may read: files under `roots`, of at most `max_bytes`."""

    roots: tuple[Path, ...]
    max_bytes: int = DEFAULT_MAX_FILE_BYTES

    def resolve(self, uri: str, field_name: str) -> Path:
        """The regular file a file:// URI names. Symlinks and ``..`` are resolved before
        the roots check, so neither can lead outside the roots."""
        parts = urlsplit(uri)
        if parts.netloc not in ("", "localhost"):
            raise InvalidArgument(field_name, f"file URI must name a local absolute path (file:///...), "
                                              f"got host {quoted(parts.netloc)}")
        if parts.query or parts.fragment:
            raise InvalidArgument(field_name, "file URI must not have a query or fragment")
        raw = unquote(parts.path)
        if "\x00" in raw:
            raise InvalidArgument(field_name, "file path contains a NUL character")
        if not raw.startswith("/"):
            raise InvalidArgument(field_name, f"file URI must hold an absolute path, got {quoted(raw)}")
        try:
            resolved = Path(os.path.realpath(raw))
        except (OSError, ValueError) as exc:
            raise InvalidArgument(field_name, f"cannot resolve path {quoted(raw)}: {exc.strerror or exc}") from None
        if not any(_is_within(resolved, root) for root in self.roots):
            raise InvalidArgument(field_name, f"path {quoted(raw)} is outside the allowed data directories")
        if not resolved.exists():
            raise InvalidArgument(field_name, f"file {quoted(raw)} does not exist")
        if not resolved.is_file():
            raise InvalidArgument(field_name, f"path {quoted(raw)} is not a regular file")
        return resolved

    def read_uri(self, uri: str, field_name: str) -> bytes:
        """The bytes of the file a file:// URI names (blocking: run it in a worker thread)."""
        return self.read(self.resolve(uri, field_name), field_name)

    def read(self, path: Path, field_name: str) -> bytes:
        """The bytes of a file that resolve returned, refused past max_bytes: by its size
        before reading, and by a capped read should it grow meanwhile (blocking: run it in
        a worker thread)."""
        too_large = InvalidArgument(field_name, f"file {quoted(str(path))} is larger than the limit of "
                                                f"{self.max_bytes} bytes")
        try:
            with open(path, "rb") as source:
                if os.fstat(source.fileno()).st_size > self.max_bytes:
                    raise too_large
                data = source.read(self.max_bytes + 1)
        except OSError as exc:
            raise InvalidArgument(field_name, f"cannot read file {quoted(str(path))}: {exc.strerror or exc}") from None
        if len(data) > self.max_bytes:
            raise too_large
        return data


def _is_within(path: Path, root: Path) -> bool:
    try:
        real_root = Path(os.path.realpath(root))
    except (OSError, ValueError):
        return False
    return path == real_root or real_root in path.parents


def decode_data_uri(uri: str, field_name: str) -> tuple[bytes, str]:
    """(payload, media type as written) of a data: URI, base64 (standard or URL-safe,
    padding optional) or percent-encoded."""
    match = _DATA_URI.match(uri)
    if match is None:
        raise InvalidArgument(field_name, "malformed data URI: expected data:<media type>[;base64],<data>")
    params = [p.strip() for p in match.group("meta").split(";")]
    is_base64 = any(p.lower() == "base64" for p in params[1:])
    payload = match.group("payload")
    if not is_base64:
        return unquote_to_bytes(payload), params[0]
    compact = re.sub(r"\s+", "", unquote(payload)).replace("-", "+").replace("_", "/")
    compact += "=" * (-len(compact) % 4)
    try:
        return base64.b64decode(compact, validate=True), params[0]
    except (binascii.Error, ValueError):
        raise InvalidArgument(field_name, "data URI payload is not valid base64") from None
