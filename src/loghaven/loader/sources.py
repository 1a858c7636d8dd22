"""What ``loghaven ingest`` reads: local files, folders, globs, stdin and S3 prefixes, each
opened as its lines, gzip or not.

A source has an identity (``key`` + ``version``) that the checkpoints and the document ids
are made of: a local file is its absolute path, size and modification time; an S3 object its
``s3://bucket/key`` and ETag. Gzip is recognised by its magic bytes, not by the name, and
concatenated members (``cat a.gz b.gz``, as Firehose and CloudTrail write) are read through.
"""

from __future__ import annotations

import glob
import gzip
import io
import os
import sys
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Protocol

GZIP_MAGIC = b"\x1f\x8b"
#: Local files written less than this long ago are left for the next ``--watch`` poll: they
#: may still be growing, and a changed file is another version (read again from the start).
SETTLE_SECONDS = 1.0


class SourceError(Exception):
    """A source that cannot be listed or opened (missing path, S3 refused)."""


class Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


class CountingReader(io.RawIOBase):
    """A raw stream over ``inner`` that counts the bytes read (the progress bar's bytes/s
    and the summary's bytes are the source's bytes, compressed or not)."""

    def __init__(self, inner: Readable) -> None:
        # read1: a pipe's lines are passed on as they come, not once 64 KiB are there
        self._read = getattr(inner, "read1", inner.read)
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._read(len(buffer))
        size = len(data)
        buffer[:size] = data
        self.count += size
        return size


@dataclass
class Source:
    """One file, object or stream to load."""

    #: What the user sees: a path, ``s3://bucket/key`` or ``-``.
    name: str
    #: Identity for checkpoints and ids (``None`` for stdin: it cannot be resumed).
    key: str | None
    version: str
    #: Bytes on disk or in the bucket, when known.
    size: int | None
    opener: Any

    def open(self) -> tuple[Iterator[bytes], CountingReader]:
        """The (decompressed) lines and the counter of source bytes read."""
        raw = CountingReader(self.opener())
        buffered = io.BufferedReader(raw, 1 << 16)
        stream: IO[bytes] = buffered
        if buffered.peek(2)[:2] == GZIP_MAGIC:
            stream = io.BufferedReader(gzip.GzipFile(fileobj=buffered), 1 << 16)  # type: ignore[arg-type]
        return _lines(stream), raw


def _lines(stream: IO[bytes]) -> Iterator[bytes]:
    try:
        yield from stream
    finally:
        stream.close()


def _local(path: Path) -> Source:
    stat = path.stat()
    resolved = path.resolve()
    return Source(str(path), f"file://{resolved}", f"{stat.st_size}:{stat.st_mtime_ns}",
                  stat.st_size, lambda: open(resolved, "rb"))


def _stdin() -> Source:
    return Source("-", None, "", None, lambda: sys.stdin.buffer)


def expand(specs: Iterable[str], s3: S3 | None = None, *, settled: bool = False) -> Iterator[Source]:
    """The sources named by ``specs``, in order: a folder's files (recursively) and a
    glob's matches sorted by name, an S3 prefix's objects in key order. With ``settled``,
    local files modified in the last second are left out (``--watch``)."""
    for spec in specs:
        if spec == "-":
            yield _stdin()
        elif spec.startswith("s3://"):
            if s3 is None:
                raise SourceError(f"{spec}: S3 is not set up")
            yield from s3.list(spec)
        else:
            yield from _local_files(spec, settled)


def _local_files(spec: str, settled: bool) -> Iterator[Source]:
    path = Path(spec).expanduser()
    if path.is_file():
        paths = [path]
    elif path.is_dir():
        paths = sorted(p for p in path.rglob("*") if p.is_file())
    elif glob.has_magic(spec):
        paths = sorted(Path(p) for p in glob.glob(os.path.expanduser(spec), recursive=True)
                       if os.path.isfile(p))
    else:
        raise SourceError(f"{spec}: no such file or folder")
    cutoff = time.time() - SETTLE_SECONDS
    for file in paths:
        try:
            source = _local(file)
        except FileNotFoundError:  # removed while listing
            continue
        if settled and int(source.version.split(":")[1]) / 1e9 > cutoff:
            continue
        yield source


class S3:
    """S3 listing and reading through boto3, which finds the endpoint (``AWS_ENDPOINT_URL``,
    ``AWS_ENDPOINT_URL_S3``, the profile's ``endpoint_url``) and credentials as it always
    does; ``endpoint_url`` overrides it."""

    def __init__(self, endpoint_url: str | None = None) -> None:
        try:
            import boto3
        except ImportError as error:
            raise SourceError("reading s3:// sources needs boto3: pip install "
                              "'loghaven[s3]'") from error
        self.client = boto3.client("s3", endpoint_url=endpoint_url)

    def list(self, spec: str) -> Iterator[Source]:
        from botocore.exceptions import BotoCoreError, ClientError

        bucket, _, prefix = spec[len("s3://"):].partition("/")
        if not bucket:
            raise SourceError(f"{spec}: no bucket named")
        try:
            for page in self.client.get_paginator("list_objects_v2").paginate(
                    Bucket=bucket, Prefix=prefix):
                for item in page.get("Contents", []):
                    key = item["Key"]
                    if key.endswith("/"):  # a folder marker
                        continue
                    yield Source(f"s3://{bucket}/{key}", f"s3://{bucket}/{key}",
                                 item["ETag"].strip('"'), item["Size"],
                                 lambda key=key: self._open(bucket, key))
        except (BotoCoreError, ClientError) as error:
            raise SourceError(f"{spec}: {error}") from error

    def _open(self, bucket: str, key: str) -> Readable:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return _S3Body(self.client.get_object(Bucket=bucket, Key=key)["Body"])
        except (BotoCoreError, ClientError) as error:  # deleted since the listing, refused
            raise SourceError(str(error)) from error


class _S3Body:
    """An object's body whose read errors (a connection cut mid-object) are OSErrors: that
    file fails, the run goes on."""

    def __init__(self, body: Any) -> None:
        self.body = body

    def read(self, size: int = -1, /) -> bytes:
        from botocore.exceptions import BotoCoreError
        from urllib3.exceptions import HTTPError

        try:
            return self.body.read(size)
        except (BotoCoreError, HTTPError) as error:
            raise OSError(f"reading the object failed: {error}") from error
