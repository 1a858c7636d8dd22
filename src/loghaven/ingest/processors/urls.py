"""URL processors: ``urldecode`` (Java's URLDecoder) and ``uri_parts`` (java.net.URI's
components, ECS ``url.*`` names)."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote

from loghaven.errors import IllegalArgument
from loghaven.ingest.pipeline.document import IngestDocument
from loghaven.ingest.pipeline.processor import Processor, ProcessorConfig, processor_type
from loghaven.ingest.processors.fields import STRING, StringProcessor, read_present

_HEX = re.compile(r"[0-9A-Fa-f]{2}")


def url_decode(value: str) -> str:
    """``URLDecoder.decode(value, UTF-8)``: ``+`` is a space, ``%XX`` runs are UTF-8 bytes
    (invalid sequences become U+FFFD); a broken escape fails with Java's message."""
    out: list[str] = []
    i = 0
    while i < len(value):
        char = value[i]
        if char == "+":
            out.append(" ")
            i += 1
        elif char == "%":
            data = bytearray()
            while i < len(value) and value[i] == "%":
                if len(value) - i < 3:
                    raise IllegalArgument("URLDecoder: Incomplete trailing escape (%) pattern")
                pair = value[i + 1:i + 3]
                if not _HEX.fullmatch(pair):
                    raise IllegalArgument(f"URLDecoder: Illegal hex characters in escape (%) "
                                          f'pattern - Error at index 0 in: "{pair}"')
                data.append(int(pair, 16))
                i += 3
            out.append(data.decode("utf-8", errors="replace"))
        else:
            out.append(char)
            i += 1
    return "".join(out)


@processor_type("urldecode")
class UrlDecode(StringProcessor):
    type = "urldecode"

    def process(self, value: str) -> str:
        return url_decode(value)


# -- uri_parts --

#: RFC 2396's URI grammar, as java.net.URI parses it (scheme, authority, path, query,
#: fragment); characters outside it make ``new URI`` fail.
_URI = re.compile(r"^(?:(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*):)?"
                  r"(?://(?P<authority>[^/?#]*))?(?P<path>[^?#]*)"
                  r"(?:\?(?P<query>[^#]*))?(?:#(?P<fragment>.*))?$", re.DOTALL)
_URI_ILLEGAL = re.compile(r"[\s\"<>\\^`{|}]|%(?![0-9A-Fa-f]{2})")
#: The protocols java.net.URL knows, the fallback ES tries when URI refuses a string.
_URL_PROTOCOLS = frozenset({"http", "https", "ftp", "file", "jar"})
_HOST_PORT = re.compile(r"^(?P<host>\[[^\]]*\]|[^:]*)(?::(?P<port>[0-9]*))?$")


def uri_parts(text: str) -> dict[str, Any]:
    """The parts ES's UriPartsProcessor extracts (decoded, as URI's getters return them)."""
    match = _URI.match(text)
    lenient = _URI_ILLEGAL.search(text) is not None
    if match is None or (lenient and (match.group("scheme") or "").lower()
                         not in _URL_PROTOCOLS):
        raise IllegalArgument(f"unable to parse URI [{text}]")
    decode = (lambda part: part) if lenient else unquote
    parts: dict[str, Any] = {}
    authority = match.group("authority")
    host = user_info = None
    port = -1
    if authority is not None:
        user_info, _, host_port = authority.rpartition("@") if "@" in authority \
            else (None, "", authority)
        found = _HOST_PORT.match(host_port)
        if found is None:
            raise IllegalArgument(f"unable to parse URI [{text}]")
        host = found.group("host") or None
        if found.group("port"):
            port = int(found.group("port"))
    parts["domain"] = host
    if match.group("fragment") is not None:
        parts["fragment"] = decode(match.group("fragment"))
    path = match.group("path")
    opaque = match.group("scheme") is not None and authority is None \
        and not path.startswith("/")  # mailto:x@y: URI has no path nor query
    if opaque:
        path, parts["scheme"] = "", match.group("scheme")
    if path or authority is not None:
        path = decode(path)
        parts["path"] = path
        last = path[path.rfind("/"):] if "/" in path else None
        if last is not None and "." in last:
            parts["extension"] = last[last.rfind(".") + 1:]
    if port != -1:
        parts["port"] = port
    if match.group("query") is not None and not opaque:
        parts["query"] = decode(match.group("query"))
    parts["scheme"] = match.group("scheme")
    if user_info is not None:
        user_info = decode(user_info)
        parts["user_info"] = user_info
        if ":" in user_info:
            username, _, password = user_info.partition(":")
            parts["username"] = username
            parts["password"] = password
    return parts


@processor_type("uri_parts")
class UriParts(Processor):
    """Split a URI into ECS ``url.*`` fields: domain, path, extension, port, query,
    scheme, user_info, username, password, fragment, and the original."""

    type = "uri_parts"

    def __init__(self, config: ProcessorConfig) -> None:
        super().__init__(config.tag)
        self.field = config.string("field")
        self.target_field = config.string("target_field", "url")
        self.remove_if_successful = config.boolean("remove_if_successful", False)
        self.keep_original = config.boolean("keep_original", True)
        self.ignore_missing = config.boolean("ignore_missing", False)
        config.finish()

    def execute(self, document: IngestDocument) -> IngestDocument:
        value = read_present(document, self.field, STRING, self.ignore_missing)
        if value is None:
            return document
        parts = uri_parts(value)
        if self.keep_original:
            parts["original"] = value
        if self.remove_if_successful and self.target_field != self.field:
            document.remove(self.field)
        document.set(self.target_field, parts)
        return document
