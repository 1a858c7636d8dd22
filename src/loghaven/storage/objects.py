"""Object storage: buckets of keyed objects, in a local folder or in S3 (boto3).

Stream backups (streams/backup.py) write here, and the warm tier (issue 19) will too. A
bucket is named as S3 names it; the local store keeps ``<root>/<bucket>/<key>``, so a
backup reads the same whether it went to a folder or to S3. Writes are whole objects,
atomic (a reader never sees half of one), multipart beyond a size on S3, and transient
errors are retried before they are raised as ObjectStoreError.

CONTRACT (issue 17; the objects helper implements it):
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from loghaven.config import Config


class ObjectStoreError(Exception):
    """Storage failed after its retries (unreachable endpoint, denied, no such bucket); the
    message says what to do next."""


@dataclass(frozen=True)
class ObjectInfo:
    key: str
    size: int
    #: Last modified, epoch millis.
    modified_ms: int


class ObjectStore(Protocol):
    def put(self, bucket: str, key: str, data: bytes) -> None: ...

    def get(self, bucket: str, key: str) -> bytes: ...  # KeyError when missing

    def list(self, bucket: str, prefix: str = "") -> Iterator[ObjectInfo]: ...  # key order

    def delete(self, bucket: str, key: str) -> None: ...  # missing: no error

    def describe(self) -> str: ...  # "local folder /x/buckets" / "s3 http://127.0.0.1:8333"


def object_store(config: Config) -> ObjectStore:
    """The node's object store from ``object_store.*`` settings."""
    raise NotImplementedError
