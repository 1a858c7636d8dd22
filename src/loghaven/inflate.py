"""Decompressing a request body (api/http.py) or a stream's record (streams/transform.py) chunk
by chunk without ever holding more than the limit.

``gzip.decompress`` of a 1 MB body of zeros allocates the whole 1 GB it stands for before
anything can look at its size; :class:`Inflater` asks zlib for at most one byte more than the
room left (``max_length``), so a compressed bomb costs the limit and is refused as soon as it
passes it. It understands multi-member gzip (``cat a.gz b.gz``) and both forms that clients
send as ``Content-Encoding: deflate`` (zlib-wrapped, as RFC 9110 says, and raw deflate, as
some clients do).
"""

from __future__ import annotations

import zlib

from loghaven.errors import ContentTooLarge, ParsingError

GZIP_MAGIC = b"\x1f\x8b"


class Inflater:
    """Feeds compressed chunks in, keeps at most ``limit`` decompressed bytes."""

    def __init__(self, encoding: str, limit: int, what: str = "the request body") -> None:
        self.encoding = encoding
        self.limit = limit
        #: What is decompressed, as the errors name it.
        self.what = what
        self.size = 0
        self.parts: list[bytes] = []
        self._pending = b""
        self._zlib: zlib._Decompress | None = None
        self._ended = False

    def feed(self, chunk: bytes) -> None:
        """Decompress ``chunk``; :class:`ContentTooLarge` once the output passes the limit."""
        data = self._pending + chunk
        self._pending = b""
        while data:
            if self._zlib is None:
                if self._ended:
                    # After a gzip member comes the next one (zeros are padding, as gzip(1)
                    # allows); a deflate stream has one.
                    if self.encoding != "gzip":
                        raise self._garbage("data after the end of the compressed stream")
                    data = data.lstrip(b"\0")
                    if not data:
                        return
                if len(data) < 2:  # the wrapper is known from the first two bytes
                    self._pending = data
                    return
                self._zlib = zlib.decompressobj(self._wbits(data))
            try:
                out = self._zlib.decompress(data, self.limit - self.size + 1)
            except zlib.error as exc:
                raise self._garbage(exc) from exc
            self._keep(out)
            if not self._zlib.eof:
                return
            data = self._zlib.unused_data
            self._zlib, self._ended = None, True

    def finish(self) -> bytes:
        """The whole decompressed body; a :class:`ParsingError` if the stream was cut short."""
        if self._pending.strip(b"\0") or self._zlib is not None:
            raise self._garbage("the compressed stream ended early")
        return b"".join(self.parts)

    def _keep(self, out: bytes) -> None:
        self.size += len(out)
        if self.size > self.limit:
            raise too_large(self.size, self.limit)
        if out:
            self.parts.append(out)

    def _wbits(self, head: bytes) -> int:
        if self.encoding == "gzip":
            if head[:2] != GZIP_MAGIC:
                raise self._garbage("not in gzip format")
            return 16 + zlib.MAX_WBITS
        cmf, flg = head[0], head[1]
        zlib_wrapped = cmf & 0x0F == 8 and (cmf << 8 | flg) % 31 == 0
        return zlib.MAX_WBITS if zlib_wrapped else -zlib.MAX_WBITS

    def _garbage(self, cause: object) -> ParsingError:
        return ParsingError(f"failed to decompress {self.what}: {cause}")


def too_large(size: int, limit: int) -> ContentTooLarge:
    return ContentTooLarge(f"Request content-length [{size}] is larger than the allowed maximum "
                           f"[{limit}]; raise http.max_content_length or send smaller batches")
