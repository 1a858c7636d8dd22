"""The ``fingerprint`` processor: a hash of chosen fields, to find or drop duplicates.

The bytes hashed are ES's (FingerprintProcessor): the salt, then for each field in name
order (lists item by item, objects key by key in sorted order) a zero byte and the value's
bytes (UTF-8 text, little-endian numbers, 1/2 for true/false), so a document hashes to the
same Base64 value in Loghaven and in Elasticsearch.
"""

from __future__ import annotations

import base64
import hashlib
import struct
from typing import Any

import mmh3

from loghaven.errors import IllegalArgument
from loghaven.ingest.pipeline.document import IngestDocument
from loghaven.ingest.pipeline.processor import Processor, ProcessorConfig, processor_type
from loghaven.scripting.evaluate import type_name

METHODS = ("MD5", "SHA-1", "SHA-256", "SHA-512", "MurmurHash3")
_HASHLIB = {"MD5": "md5", "SHA-1": "sha1", "SHA-256": "sha256", "SHA-512": "sha512"}


def value_bytes(value: Any) -> bytes:
    """FingerprintProcessor.toBytes for a JSON value."""
    if isinstance(value, str):
        return value.encode("utf-8")
    if isinstance(value, bool):
        return b"\x01" if value else b"\x02"
    if isinstance(value, int):
        if -2**31 <= value < 2**31:
            return struct.pack("<i", value)
        if -2**63 <= value < 2**63:
            return struct.pack("<q", value)
    if isinstance(value, float):
        return struct.pack("<d", value)
    if value is None:
        return b""
    raise IllegalArgument(f"cannot convert object of type [{type_name(value)}] to bytes")


def _feed(value: Any, parts: list[bytes]) -> None:
    if isinstance(value, list):
        for item in value:
            _feed(item, parts)
    elif isinstance(value, dict):
        for key in sorted(value, key=lambda k: k.encode("utf-16-be")):
            parts.append(b"\x00")
            parts.append(value_bytes(key))
            _feed(value[key], parts)
    else:
        parts.append(b"\x00")
        parts.append(value_bytes(value))


def digest(method: str, data: bytes) -> bytes:
    if method == "MurmurHash3":
        # Murmur3Hasher(seed 0): x64 128-bit, h1 then h2, each big-endian
        h1, h2 = struct.unpack("<QQ", mmh3.hash_bytes(data, 0, True))
        return struct.pack(">QQ", h1, h2)
    return hashlib.new(_HASHLIB[method], data).digest()


@processor_type("fingerprint")
class Fingerprint(Processor):
    type = "fingerprint"

    def __init__(self, config: ProcessorConfig) -> None:
        super().__init__(config.tag)
        fields = config.strings("fields")
        if not fields:
            raise config.error("fields", "must specify at least one field")
        self.fields = sorted(fields, key=lambda f: f.encode("utf-16-be"))
        self.target_field = config.string("target_field", "fingerprint")
        salt = config.string("salt", "")
        self.salt = salt.encode("utf-8") if salt.strip() else b""
        self.method = config.string("method", "SHA-1")
        if self.method not in METHODS:
            raise config.error("method", f"[{self.method}] must be one of the supported hash "
                                         f"methods [{','.join(METHODS)}]")
        self.ignore_missing = config.boolean("ignore_missing", False)
        config.finish()

    def execute(self, document: IngestDocument) -> IngestDocument:
        parts = [self.salt]
        found = False
        for field in self.fields:
            value = document.get(field, ignore_missing=True)
            if value is None:
                if self.ignore_missing:
                    continue
                raise IllegalArgument(f"missing field [{field}] when calculating fingerprint")
            found = True
            _feed(value, parts)
        if found:
            hashed = digest(self.method, b"".join(parts))
            document.set(self.target_field, base64.b64encode(hashed).decode("ascii"))
        return document
