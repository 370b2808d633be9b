"""Documents as text, for vector store inserts and agent turns: where their bytes come
from (inline text, a file:// path under an allowed root, a data: URI) and how a format
becomes plain text.

Formats: text, Markdown, JSON, JSONL, CSV/TSV and HTML. The format is the document's
`mime_type` when given, else the file extension (file://) or the media type (data:),
else text. Every failure is an ``InvalidArgument`` naming the request field, so a bad
document is refused when the job is submitted, never halfway through it.

file:// and data: URIs are read by server/uris.py (with its size cap), as dataset sources are.
"""
from __future__ import annotations

import csv
import io
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from server.errors import InvalidArgument
from server.uris import FileAccess, decode_data_uri, scheme_of

_EXTENSIONS = {
    ".txt": "text", ".text": "text", ".log": "text", ".rst": "text",
    ".md": "markdown", ".markdown": "markdown", ".mdown": "markdown",
    ".json": "json",
    ".jsonl": "jsonl", ".ndjson": "jsonl",
    ".csv": "csv", ".tsv": "tsv",
    ".html": "html", ".htm": "html", ".xhtml": "html",
}

_MEDIA_TYPES = {
    "text/plain": "text", "text": "text", "": "text",
    "text/markdown": "markdown", "text/x-markdown": "markdown", "markdown": "markdown",
    "application/json": "json", "text/json": "json", "json": "json",
    "application/jsonl": "jsonl", "application/jsonlines": "jsonl", "application/x-jsonlines": "jsonl",
    "application/ndjson": "jsonl", "application/x-ndjson": "jsonl", "text/jsonl": "jsonl", "jsonl": "jsonl",
    "text/csv": "csv", "application/csv": "csv", "csv": "csv",
    "text/tab-separated-values": "tsv", "tsv": "tsv",
    "text/html": "html", "application/xhtml+xml": "html", "html": "html",
}


# The media type a document of each format is recorded with when its request names none.
DEFAULT_MEDIA_TYPES = {"text": "text/plain", "markdown": "text/markdown", "json": "application/json",
                       "jsonl": "application/jsonl", "csv": "text/csv", "tsv": "text/tab-separated-values",
                       "html": "text/html"}


def media_format(mime_type: str, field_name: str) -> str:
    """The format a media type names (parameters such as `; charset=utf-8` ignored)."""
    base = mime_type.split(";", 1)[0].strip().lower()
    fmt = _MEDIA_TYPES.get(base)
    if fmt is None:
        raise InvalidArgument(field_name, f"unsupported media type {mime_type!r}: expected one of "
                                          "text/plain, text/markdown, text/html, text/csv, "
                                          "text/tab-separated-values, application/json, application/jsonl")
    return fmt


def load_inline(content: str, mime_type: str | None, *, field_name: str, mime_field: str) -> tuple[str, str]:
    """(text, format) of inline content."""
    fmt = media_format(mime_type, mime_field) if mime_type else "text"
    return to_text(content.encode("utf-8"), fmt, what="content", field_name=field_name), fmt


def file_uri(value: str) -> str:
    """A file:// URI for a Path value that is a bare absolute path or already a URI."""
    if value.startswith("/"):
        return Path(value).as_uri()
    return value


def load_uri(uri: str, mime_type: str | None, files: FileAccess, *,
             field_name: str, mime_field: str) -> tuple[str, str, str]:
    """(text, format, source) of a file:// or data: URI (blocking: run it in a thread)."""
    if not uri:
        raise InvalidArgument(field_name, "is empty")
    scheme = scheme_of(uri)
    if scheme == "file":
        path = files.resolve(uri, field_name)
        fmt = media_format(mime_type, mime_field) if mime_type else _EXTENSIONS.get(path.suffix.lower())
        if fmt is None:
            raise InvalidArgument(field_name, f"unsupported file extension {path.suffix or '(none)'!r}: expected "
                                              f"{', '.join(sorted(_EXTENSIONS))}, or give mime_type")
        return to_text(files.read(path, field_name), fmt, what=f"file {str(path)!r}", field_name=field_name), fmt, uri
    if scheme == "data":
        data, media_type = decode_data_uri(uri, field_name)
        fmt = media_format(mime_type, mime_field) if mime_type else media_format(media_type, field_name)
        return to_text(data, fmt, what="data URI", field_name=field_name), fmt, "data:"
    shown = scheme or uri[:32]
    raise InvalidArgument(field_name, f"unsupported URI scheme {shown!r}: expected a file:// or a data: URI")


# ---------------------------------------------------------------- formats -> text


def to_text(data: bytes, fmt: str, *, what: str, field_name: str) -> str:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidArgument(field_name, f"{what} is not valid UTF-8 (byte {exc.start})") from None
    if fmt == "text":
        return text
    if fmt == "markdown":
        return markdown_text(text)
    if fmt == "json":
        try:
            value = json.loads(text)
        except ValueError as exc:
            raise InvalidArgument(field_name, f"{what} is not valid JSON: {exc}") from None
        return json_text(value)
    if fmt == "jsonl":
        blocks = []
        for lineno, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                blocks.append(json_text(json.loads(line)))
            except ValueError as exc:
                raise InvalidArgument(field_name, f"{what}: line {lineno} is not valid JSON: {exc}") from None
        return "\n\n".join(blocks)
    if fmt in ("csv", "tsv"):
        return table_text(text, "\t" if fmt == "tsv" else ",", what=what, field_name=field_name)
    if fmt == "html":
        return html_text(text)
    raise InvalidArgument(field_name, f"unsupported format {fmt!r}")  # pragma: no cover


_MD_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_MD_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
_MD_REF_DEF = re.compile(r"^\s{0,3}\[[^\]]+\]:\s+\S+.*$", re.MULTILINE)
_HTML_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)


def markdown_text(text: str) -> str:
    """Markdown reads well as it is; links and images keep their text, not their URLs."""
    text = _HTML_COMMENT.sub("", text)
    text = _MD_IMAGE.sub(r"\1", text)
    text = _MD_LINK.sub(r"\1", text)
    text = _MD_REF_DEF.sub("", text)
    return text


def json_text(value: Any) -> str:
    """A JSON value as `path: value` lines; an array of objects as one block per item."""
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        return "\n\n".join(json_text(v) for v in value)
    lines: list[str] = []

    def walk(v: Any, path: str) -> None:
        if isinstance(v, dict):
            if not v and path:
                lines.append(f"{path}: {{}}")
            for key, item in v.items():
                walk(item, f"{path}.{key}" if path else str(key))
        elif isinstance(v, list) and any(isinstance(i, (dict, list)) for i in v):
            for i, item in enumerate(v):
                walk(item, f"{path}[{i}]")
        else:
            shown = ", ".join(_scalar(i) for i in v) if isinstance(v, list) else _scalar(v)
            lines.append(f"{path}: {shown}" if path else shown)

    walk(value, "")
    return "\n".join(lines)


def _scalar(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def table_text(text: str, delimiter: str, *, what: str, field_name: str) -> str:
    """One line per row: `column: value; column: value` (empty cells left out)."""
    try:
        rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    except csv.Error as exc:
        raise InvalidArgument(field_name, f"{what} is not valid CSV: {exc}") from None
    rows = [r for r in rows if any(cell.strip() for cell in r)]
    if not rows:
        return ""
    header = [h.strip() for h in rows[0]]
    lines = []
    for row in rows[1:]:
        cells = []
        for i, cell in enumerate(row):
            cell = cell.strip()
            if not cell:
                continue
            name = header[i] if i < len(header) and header[i] else f"column {i + 1}"
            cells.append(f"{name}: {cell}")
        lines.append("; ".join(cells))
    return "\n".join(lines)


class _HtmlText(HTMLParser):
    SKIP = {"script", "style", "noscript", "template", "svg", "head"}
    BLOCK = {"p", "div", "section", "article", "header", "footer", "main", "aside", "nav", "br", "hr", "li",
             "ul", "ol", "table", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "blockquote", "title",
             "dd", "dt", "dl", "figure", "figcaption", "form", "body", "html"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0
        self.title: list[str] = []
        self.in_title = False

    def handle_starttag(self, tag, attrs):
        if tag == "title":
            self.in_title = True
        elif tag in self.SKIP:
            self.skipping += 1
        if tag in self.BLOCK:
            self.parts.append("\n")
        if tag in ("td", "th"):
            self.parts.append(" ")

    def handle_startendtag(self, tag, attrs):
        if tag in self.BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag == "title":
            self.in_title = False
        elif tag in self.SKIP and self.skipping:
            self.skipping -= 1
        if tag in self.BLOCK:
            self.parts.append("\n")

    def handle_data(self, data):
        if self.in_title:
            self.title.append(data)
        elif not self.skipping:
            self.parts.append(data)


def html_text(text: str) -> str:
    """The visible text of an HTML page (its title first), one block per line."""
    parser = _HtmlText()
    parser.feed(text)
    parser.close()
    body = "".join(parser.parts)
    lines = [re.sub(r"[ \t\r\f\v]+", " ", line).strip() for line in body.split("\n")]
    out = []
    title = " ".join(" ".join(parser.title).split())
    if title:
        out.append(title)
    for line in lines:
        if line:
            out.append(line)
    return "\n".join(out)
