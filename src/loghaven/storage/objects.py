"""Object storage: buckets of keyed objects, in a local folder or in S3 (boto3).

Stream backups (streams/backup.py) write here, and the warm tier (issue 19) will too. A
bucket is named as S3 names it; the local store keeps ``<root>/<bucket>/<key>``, so a
backup reads the same whether it went to a folder or to S3. Writes are whole objects,
atomic (a reader never sees half of one), multipart beyond a size on S3, and transient
errors are retried before they are raised as ObjectStoreError.

Names are checked the same way for both stores (:func:`check_bucket`, :func:`check_key`): a
name S3 would refuse is refused before anything is sent or written, so a configuration that
works on a folder works on S3 too, and no key can reach outside the local root.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import ipaddress
import os
import re
import shutil
import stat as stat_module
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, Protocol, TypeVar

from loghaven.storage.files import atomic_writer, file_sha256, fsync_dir

if TYPE_CHECKING:
    from loghaven.config import Config

T = TypeVar("T")

#: S3's limits: a key is at most 1024 bytes of UTF-8, a multipart part at least 5 MiB.
MAX_KEY_BYTES = 1024
#: Objects larger than this go to S3 in parts of this size (8 MiB, boto3's own default
#: ``multipart_threshold``/``multipart_chunksize``).
MULTIPART_THRESHOLD = 8 * 1024 * 1024
#: Files are copied in pieces of this size.
_CHUNK = 1 << 20
#: Bucket names as S3 allows them (general purpose buckets): 3-63 lowercase letters, digits,
#: dots and hyphens, starting and ending with a letter or digit.
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_BUCKET_RESERVED_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
_BUCKET_RESERVED_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")
#: The temporary names storage/files.py writes before its rename; never an object's name.
_TEMPORARY = re.compile(r"^\..+\.tmp$")


class ObjectStoreError(Exception):
    """Storage failed after its retries (unreachable endpoint, denied, no such bucket) or was
    asked for a name it cannot hold; the message says what to do next."""


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

    def put_file(self, bucket: str, key: str, path: Path) -> ObjectInfo:
        """Store the file at ``path`` as one object, streamed (never whole in memory):
        multipart beyond :data:`MULTIPART_THRESHOLD` on S3, each part and the whole verified
        by checksum, transient errors retried; atomic as :meth:`put`."""
        ...

    def get_file(self, bucket: str, key: str, path: Path) -> int:
        """Stream an object into a new file at ``path`` (written beside it and renamed, so
        ``path`` never holds half an object); its size. KeyError when missing."""
        ...

    def get_chunks(self, bucket: str, key: str, consume: Callable[[Iterator[bytes]], T]) -> T:
        """Hand an object's bytes to ``consume`` in pieces as they arrive, without a copy on
        disk, and answer what it answers. The pieces end with an error if the object
        arrived short or failed its checksum, so ``consume`` must read them all before it
        keeps anything; a transient failure calls it again from the start. KeyError when
        missing."""
        ...

    def head(self, bucket: str, key: str) -> ObjectInfo | None:
        """An object's size and time, or None when there is none."""
        ...

    def ensure_bucket(self, bucket: str) -> None:
        """Create the bucket if the store has none of that name (S3: CreateBucket; a local
        folder is made by the first write)."""
        ...


def check_bucket(bucket: str) -> None:
    """Refuse a bucket name S3 would refuse (and with it ``..``, ``/`` and NUL)."""
    problem = None
    if not isinstance(bucket, str) or not _BUCKET.match(bucket):
        problem = ("must be 3 to 63 lowercase letters, digits, dots and hyphens, starting and "
                   "ending with a letter or digit")
    elif ".." in bucket:
        problem = "must not contain two dots in a row"
    elif bucket.startswith(_BUCKET_RESERVED_PREFIXES) or bucket.endswith(
            _BUCKET_RESERVED_SUFFIXES):
        problem = "uses a prefix or suffix S3 reserves"
    else:
        with contextlib.suppress(ValueError):
            ipaddress.IPv4Address(bucket)
            problem = "must not be formatted as an IP address"
    if problem:
        raise ObjectStoreError(f"invalid bucket name [{bucket!r}]: a bucket name {problem}")


def check_key(key: str) -> None:
    """Refuse a key that S3 would refuse or that could not be one file under its bucket's
    folder: empty, over 1024 bytes, NUL, a leading or doubled ``/``, a trailing ``/``, a ``.``
    or ``..`` part, or a last part named like a temporary file."""
    problem = None
    if not isinstance(key, str) or not key:
        problem = "is empty"
    elif len(key.encode("utf-8", "surrogatepass")) > MAX_KEY_BYTES:
        problem = f"is longer than {MAX_KEY_BYTES} bytes"
    elif "\x00" in key:
        problem = "contains NUL"
    else:
        parts = key.split("/")
        if key.startswith("/"):
            problem = "starts with '/'"
        elif key.endswith("/"):
            problem = "ends with '/'"
        elif "" in parts:
            problem = "contains '//'"
        elif any(part in (".", "..") for part in parts):
            problem = "has a '.' or '..' part"
        elif any(len(part.encode("utf-8", "surrogatepass")) > 255 for part in parts):
            problem = "has a part between slashes longer than 255 bytes"
        elif _TEMPORARY.match(parts[-1]):
            problem = "ends in a name kept for partly written objects ('.name.tmp')"
    if problem:
        raise ObjectStoreError(f"invalid object key [{key!r}]: the key {problem}")


class LocalObjectStore:
    """``<root>/<bucket>/<key>``; a key's slashes are folders. A bucket's folder is made by
    its first write; writes go to a temporary file in the same folder that is fsynced and
    renamed (storage/files.py), so a crash leaves the old object or the new one."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def put_file(self, bucket: str, key: str, path: Path) -> ObjectInfo:
        def copy(handle: BinaryIO) -> None:
            with open(path, "rb") as source:
                shutil.copyfileobj(source, handle, _CHUNK)

        self._write(bucket, key, copy)
        info = self.head(bucket, key)
        if info is None or info.size != os.path.getsize(path):
            raise ObjectStoreError(f"[{key}] in bucket [{bucket}] of {self.describe()} does "
                                   f"not hold the {os.path.getsize(path)} bytes written")
        return info

    def get_file(self, bucket: str, key: str, path: Path) -> int:
        try:
            return self.get_chunks(bucket, key, lambda chunks: _write_chunks(chunks, path))
        except OSError as e:
            raise ObjectStoreError(f"cannot read [{key}] in bucket [{bucket}] of "
                                   f"{self.describe()} into {path}: {e.strerror or e}") from e

    def get_chunks(self, bucket: str, key: str, consume: Callable[[Iterator[bytes]], T]) -> T:
        source = self._path(bucket, key)
        try:
            self._inside(source)
            reader = open(source, "rb")  # noqa: SIM115 - closed below
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            raise KeyError(key) from None

        def chunks() -> Iterator[bytes]:
            try:
                while chunk := reader.read(_CHUNK):
                    yield chunk
            except OSError as e:
                raise ObjectStoreError(f"cannot read [{key}] in bucket [{bucket}] of "
                                       f"{self.describe()}: {e.strerror or e}") from e

        with reader:
            return consume(chunks())

    def head(self, bucket: str, key: str) -> ObjectInfo | None:
        path = self._path(bucket, key)
        try:
            self._inside(path)
            stat = path.stat()
        except (FileNotFoundError, NotADirectoryError):
            return None
        if not stat_module.S_ISREG(stat.st_mode):
            return None
        return ObjectInfo(key, stat.st_size, stat.st_mtime_ns // 1_000_000)

    def ensure_bucket(self, bucket: str) -> None:
        check_bucket(bucket)

    def describe(self) -> str:
        return f"local folder {self.root}"

    def _path(self, bucket: str, key: str) -> Path:
        check_bucket(bucket)
        check_key(key)
        return self.root / bucket / key

    def _inside(self, path: Path) -> None:
        """A symbolic link inside the root must not carry a write outside it."""
        root = os.path.realpath(self.root)
        if os.path.commonpath([root, os.path.realpath(path)]) != root:
            raise ObjectStoreError(f"{path} leads outside the object store's folder {root}")

    def put(self, bucket: str, key: str, data: bytes) -> None:
        data = bytes(data)
        self._write(bucket, key, lambda handle: handle.write(data))

    def _write(self, bucket: str, key: str, write: Callable[[BinaryIO], object]) -> None:
        """Write an object through ``write`` (given the temporary file's handle)."""
        path = self._path(bucket, key)
        try:
            self._inside(path.parent)  # before any folder is made through a link
            made = _make_folders(self.root, path.parent)
            if path.is_dir():
                raise ObjectStoreError(
                    f"cannot write [{key}] in bucket [{bucket}] of {self.describe()}: objects "
                    f"are stored under [{key}/], and a local folder cannot also be an object")
            with atomic_writer(path) as handle:
                write(handle)
            for folder in made:
                fsync_dir(folder.parent)
        except (NotADirectoryError, FileExistsError) as e:
            raise ObjectStoreError(
                f"cannot write [{key}] in bucket [{bucket}] of {self.describe()}: a part of "
                f"its path is an object, and a local object cannot also be a folder") from e
        except OSError as e:
            raise ObjectStoreError(f"cannot write [{key}] in bucket [{bucket}] of "
                                   f"{self.describe()}: {e.strerror or e}; check the folder's "
                                   "permissions and free space") from e

    def get(self, bucket: str, key: str) -> bytes:
        path = self._path(bucket, key)
        try:
            self._inside(path)
            return path.read_bytes()
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            raise KeyError(key) from None
        except OSError as e:
            raise ObjectStoreError(f"cannot read [{key}] in bucket [{bucket}] of "
                                   f"{self.describe()}: {e.strerror or e}") from e

    def list(self, bucket: str, prefix: str = "") -> Iterator[ObjectInfo]:
        check_bucket(bucket)
        base = self.root / bucket
        # Only the folder the prefix names can hold matching keys: walk that one.
        folder, _, _ = prefix.rpartition("/")
        start = base / folder if folder else base
        if folder and (folder.startswith("/") or ".." in folder.split("/")
                       or "\x00" in folder):
            return
        found: list[ObjectInfo] = []
        for dirpath, dirnames, filenames in os.walk(start):
            dirnames.sort()
            relative = os.path.relpath(dirpath, base)
            for name in filenames:
                if _TEMPORARY.match(name):
                    continue
                key = name if relative == "." else f"{relative}/{name}"
                if not key.startswith(prefix):
                    continue
                with contextlib.suppress(FileNotFoundError):
                    stat = os.stat(os.path.join(dirpath, name))
                    found.append(ObjectInfo(key, stat.st_size, stat.st_mtime_ns // 1_000_000))
        # S3 lists in UTF-8 byte order, which is code point order.
        found.sort(key=lambda info: info.key)
        yield from found

    def delete(self, bucket: str, key: str) -> None:
        path = self._path(bucket, key)
        try:
            self._inside(path.parent)
            path.unlink()
        except ObjectStoreError:
            return
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            pass
        # Empty folders left behind would block an object of the same name later.
        bucket_folder = self.root / bucket
        folder = path.parent
        while folder != bucket_folder:
            try:
                folder.rmdir()
            except OSError:
                break
            folder = folder.parent
        with contextlib.suppress(FileNotFoundError):
            fsync_dir(folder)


def _make_folders(root: Path, folder: Path) -> list[Path]:
    """Make ``folder`` and its missing parents; the new ones, whose entries need an fsync."""
    missing = []
    current = folder
    while not current.exists() and current != root:
        missing.append(current)
        current = current.parent
    folder.mkdir(parents=True, exist_ok=True)
    return missing


#: Errors worth trying again: the server or the way to it failed for a while.
_TRANSIENT_CODES = {"SlowDown", "ServiceUnavailable", "InternalError", "RequestTimeout",
                    "Throttling", "ThrottlingException"}
_DENIED_CODES = {"AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch",
                 "InvalidToken", "ExpiredToken"}


class S3ObjectStore:
    """Objects in S3 or a server that speaks it (SeaweedFS, MinIO), through boto3.

    boto3 retries each call itself (``standard`` mode, ``max_attempts``); on top of that a
    call that still fails for a transient reason (the endpoint unreachable, a 5xx, SlowDown)
    is tried again ``retries`` times with a doubling backoff, then raised as ObjectStoreError
    saying what to check. Every upload carries its SHA-256 (``ChecksumSHA256``, per part for
    multipart), which the server checks before it stores anything (SeaweedFS and S3 answer
    BadDigest), and reads ask for the checksum back (``ChecksumMode``), which botocore
    verifies.
    """

    def __init__(self, *, endpoint: str = "", region: str = "us-east-1",
                 access_key: str = "", secret_key: str = "", path_style: bool = True,
                 max_attempts: int = 3, retries: int = 3, backoff_s: float = 0.5,
                 connect_timeout_s: float = 10, read_timeout_s: float = 60,
                 multipart_threshold: int = MULTIPART_THRESHOLD,
                 part_size: int = MULTIPART_THRESHOLD) -> None:
        try:
            import boto3
            from botocore.config import Config as BotoConfig
        except ImportError as e:
            raise ObjectStoreError(
                "object_store.type s3 needs boto3, which is not installed: "
                "pip install 'loghaven[s3]'") from e
        self.endpoint = endpoint
        self.region = region
        self.retries = retries
        self.backoff_s = backoff_s
        self.multipart_threshold = multipart_threshold
        self.part_size = part_size
        config = BotoConfig(
            region_name=region, retries={"mode": "standard", "total_max_attempts": max_attempts},
            connect_timeout=connect_timeout_s, read_timeout=read_timeout_s,
            s3={"addressing_style": "path" if path_style else "virtual"})
        credentials: dict[str, str] = {}
        if access_key or secret_key:
            credentials = {"aws_access_key_id": access_key,
                           "aws_secret_access_key": secret_key}
        self.client = boto3.session.Session().client(
            "s3", endpoint_url=endpoint or None, config=config, **credentials)

    def put_file(self, bucket: str, key: str, path: Path) -> ObjectInfo:
        """Small files in one PutObject, larger ones in parts of :attr:`part_size` read one
        at a time; each request carries its SHA-256, and the stored object is then checked
        for the file's size and (where the server reports it) the checksum sent."""
        check_bucket(bucket)
        check_key(key)
        size = os.path.getsize(path)
        if size > self.multipart_threshold:
            with open(path, "rb") as source:
                expected = self._put_parts(
                    bucket, key, iter(lambda: source.read(self.part_size), b""))
        else:
            expected = base64.b64encode(file_sha256(path)[1]).decode()

            def send() -> Any:
                with open(path, "rb") as body:
                    return self.client.put_object(Bucket=bucket, Key=key, Body=body,
                                                  ChecksumSHA256=expected)

            self._call(bucket, key, send)
        answer = self._head(bucket, key)
        stored = answer and answer.get("ChecksumSHA256")
        if answer is None or int(answer["ContentLength"]) != size or (
                stored and stored.split("-")[0] != expected.split("-")[0]):
            found = "nothing" if answer is None else (
                f"{answer['ContentLength']} bytes, checksum {stored or 'not reported'}")
            raise ObjectStoreError(
                f"[{key}] in bucket [{bucket}] at {self.describe()} does not match the file "
                f"sent ({size} bytes, checksum {expected}): the store holds {found}")
        return _info(key, answer)

    def get_file(self, bucket: str, key: str, path: Path) -> int:
        """Streamed into a temporary file beside ``path``, renamed once every byte the
        object has arrived and passed its checksum (:meth:`get_chunks`)."""
        return self.get_chunks(bucket, key, lambda chunks: _write_chunks(chunks, path))

    def get_chunks(self, bucket: str, key: str, consume: Callable[[Iterator[bytes]], T]) -> T:
        """botocore checks the object's checksum as it reads (``ChecksumMode``) and raises
        at the end of the body if it differs; the pieces end with a short read if fewer
        bytes than ``ContentLength`` came. Both are tried again as transient failures."""
        check_bucket(bucket)
        check_key(key)

        def read() -> T:
            answer = self.client.get_object(Bucket=bucket, Key=key, ChecksumMode="ENABLED")
            expected = int(answer["ContentLength"])

            def chunks() -> Iterator[bytes]:
                arrived = 0
                for chunk in answer["Body"].iter_chunks(_CHUNK):
                    arrived += len(chunk)
                    yield chunk
                if arrived != expected:
                    raise _ShortRead(f"{arrived} of its {expected} bytes")

            return consume(chunks())

        return self._call(bucket, key, read)

    def head(self, bucket: str, key: str) -> ObjectInfo | None:
        check_bucket(bucket)
        check_key(key)
        answer = self._head(bucket, key)
        return None if answer is None else _info(key, answer)

    def _head(self, bucket: str, key: str) -> dict[str, Any] | None:
        try:
            return self._call(bucket, key, lambda: self.client.head_object(
                Bucket=bucket, Key=key, ChecksumMode="ENABLED"))
        except KeyError:
            return None

    def ensure_bucket(self, bucket: str) -> None:
        check_bucket(bucket)
        try:
            self._call(bucket, "", lambda: self.client.head_bucket(Bucket=bucket))
            return
        except KeyError:
            pass
        except ObjectStoreError as e:
            if "does not exist" not in str(e):
                raise
        try:
            self._call(bucket, "", lambda: self.client.create_bucket(Bucket=bucket))
        except ObjectStoreError as e:
            if "BucketAlreadyOwnedByYou" not in str(e):
                raise

    def describe(self) -> str:
        return f"s3 {self.endpoint or f'AWS ({self.region})'}"

    def put(self, bucket: str, key: str, data: bytes) -> None:
        check_bucket(bucket)
        check_key(key)
        data = bytes(data)
        if len(data) > self.multipart_threshold:
            self._put_parts(bucket, key, (data[start:start + self.part_size]
                                          for start in range(0, len(data), self.part_size)))
        else:
            self._call(bucket, key, lambda: self.client.put_object(
                Bucket=bucket, Key=key, Body=data, ChecksumSHA256=_sha256(data)))

    def _put_parts(self, bucket: str, key: str, chunks: Iterator[bytes]) -> str:
        """A multipart upload of ``chunks`` (one in memory at a time), each part with its
        SHA-256 and tried again on its own when it fails for a transient reason; aborted on
        any failure. The object's composite checksum as S3 reports it
        (``<base64 SHA-256 of the parts' digests>-<parts>``)."""
        upload = self._call(bucket, key, lambda: self.client.create_multipart_upload(
            Bucket=bucket, Key=key, ChecksumAlgorithm="SHA256"))
        upload_id = upload["UploadId"]
        try:
            parts = []
            digests = hashlib.sha256()
            for number, chunk in enumerate(chunks, 1):
                digest = hashlib.sha256(chunk).digest()
                digests.update(digest)
                checksum = base64.b64encode(digest).decode()
                answer = self._call(bucket, key, lambda c=chunk, n=number, h=checksum:
                                    self.client.upload_part(
                                        Bucket=bucket, Key=key, UploadId=upload_id,
                                        PartNumber=n, Body=c, ChecksumSHA256=h))
                parts.append({"PartNumber": number, "ETag": answer["ETag"],
                              "ChecksumSHA256": answer.get("ChecksumSHA256", checksum)})
            self._call(bucket, key, lambda: self.client.complete_multipart_upload(
                Bucket=bucket, Key=key, UploadId=upload_id, MultipartUpload={"Parts": parts}))
        except BaseException:
            with contextlib.suppress(Exception):
                self.client.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id)
            raise
        return f"{base64.b64encode(digests.digest()).decode()}-{len(parts)}"

    def get(self, bucket: str, key: str) -> bytes:
        check_bucket(bucket)
        check_key(key)

        def read() -> bytes:
            answer = self.client.get_object(Bucket=bucket, Key=key, ChecksumMode="ENABLED")
            return answer["Body"].read()

        return self._call(bucket, key, read)

    def list(self, bucket: str, prefix: str = "") -> Iterator[ObjectInfo]:
        """In S3's key order (UTF-8 bytes), sorted here: SeaweedFS lists folder by folder,
        so ``b/1`` comes before ``b-`` there."""
        check_bucket(bucket)
        found: list[ObjectInfo] = []
        token: str | None = None
        while True:
            arguments: dict[str, Any] = {"Bucket": bucket, "Prefix": prefix}
            if token:
                arguments["ContinuationToken"] = token
            page = self._call(bucket, prefix,
                              lambda a=arguments: self.client.list_objects_v2(**a))
            found.extend(ObjectInfo(item["Key"], int(item["Size"]),
                                    int(item["LastModified"].timestamp() * 1000))
                         for item in page.get("Contents", []))
            token = page.get("NextContinuationToken")
            if not page.get("IsTruncated") or not token:
                break
        found.sort(key=lambda info: info.key)
        yield from found

    def delete(self, bucket: str, key: str) -> None:
        check_bucket(bucket)
        check_key(key)
        try:
            self._call(bucket, key, lambda: self.client.delete_object(Bucket=bucket, Key=key))
        except KeyError:
            return

    def _call(self, bucket: str, key: str, action: Callable[[], T]) -> T:
        """Run ``action``, trying transient failures again; a missing key is KeyError, any
        other failure ObjectStoreError with what to do."""
        from botocore.exceptions import (
            ClientError,
            FlexibleChecksumError,
            HTTPClientError,
            IncompleteReadError,
            NoCredentialsError,
        )
        from botocore.exceptions import ConnectionError as BotoConnectionError

        attempt = 0
        while True:
            try:
                return action()
            except ClientError as e:
                error = e.response.get("Error", {})
                code = str(error.get("Code", ""))
                status = int(e.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
                if code == "NoSuchKey" or (status == 404 and code != "NoSuchBucket"):
                    raise KeyError(key) from None
                transient = code in _TRANSIENT_CODES or status >= 500
                if not transient or attempt >= self.retries:
                    raise self._explain(bucket, code, status, str(error.get("Message", e)),
                                        attempt) from e
            except NoCredentialsError as e:
                raise ObjectStoreError(
                    f"no S3 credentials for {self.describe()}: set object_store.s3.access_key "
                    "and object_store.s3.secret_key, or give boto3 its own (AWS_ACCESS_KEY_ID "
                    "and AWS_SECRET_ACCESS_KEY, ~/.aws/credentials, an instance role)") from e
            except (_ShortRead, IncompleteReadError) as e:
                if attempt >= self.retries:
                    raise ObjectStoreError(
                        f"[{key}] in bucket [{bucket}] at {self.describe()} arrived short "
                        f"{attempt + 1} times: {e}") from e
            except (BotoConnectionError, HTTPClientError) as e:
                if attempt >= self.retries:
                    raise ObjectStoreError(
                        f"cannot reach {self.describe()} after {attempt + 1} attempts: {e}; "
                        "check object_store.s3.endpoint and that the server is up") from e
            except FlexibleChecksumError as e:
                if attempt >= self.retries:
                    raise ObjectStoreError(
                        f"[{key}] in bucket [{bucket}] at {self.describe()} failed its "
                        f"integrity check {attempt + 1} times: {e}") from e
            time.sleep(self.backoff_s * (2 ** attempt))
            attempt += 1

    def _explain(self, bucket: str, code: str, status: int, message: str,
                 attempt: int) -> ObjectStoreError:
        where = self.describe()
        if code == "NoSuchBucket":
            return ObjectStoreError(f"bucket [{bucket}] does not exist at {where}: create it "
                                    f"(aws s3 mb s3://{bucket}) or name another one")
        if code in _DENIED_CODES or status == 403:
            return ObjectStoreError(
                f"access to bucket [{bucket}] at {where} was denied ({code}: {message}): check "
                "object_store.s3.access_key and object_store.s3.secret_key and the key's "
                "permissions on the bucket")
        if code in _TRANSIENT_CODES or status >= 500:
            return ObjectStoreError(
                f"{where} kept failing after {attempt + 1} attempts ({code or status}: "
                f"{message}); try again later or check the server's health")
        return ObjectStoreError(f"{where} refused the request on bucket [{bucket}] "
                                f"({code or status}: {message})")


def _write_chunks(chunks: Iterator[bytes], path: Path) -> int:
    """Write pieces into a new file at ``path`` (beside it, renamed when all arrived): a
    :meth:`ObjectStore.get_file` over :meth:`ObjectStore.get_chunks`; the bytes written."""
    with atomic_writer(path) as handle:
        for chunk in chunks:
            handle.write(chunk)
        return handle.tell()


def _sha256(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def _info(key: str, answer: dict[str, Any]) -> ObjectInfo:
    return ObjectInfo(key, int(answer["ContentLength"]),
                      int(answer["LastModified"].timestamp() * 1000))


class _ShortRead(Exception):
    """Fewer bytes of an object arrived than it has (the connection broke mid-body)."""


def object_store(config: Config) -> ObjectStore:
    """The node's object store from ``object_store.*`` settings: ``local`` (a folder; a
    relative ``object_store.path`` is under ``path.data``) or ``s3``."""
    kind = config.object_store_type.strip().lower()
    if kind == "local":
        path = Path(config.object_store_path)
        return LocalObjectStore(path if path.is_absolute() else Path(config.data_dir) / path)
    if kind == "s3":
        return S3ObjectStore(endpoint=config.object_store_s3_endpoint,
                             region=config.object_store_s3_region,
                             access_key=config.object_store_s3_access_key,
                             secret_key=config.object_store_s3_secret_key,
                             path_style=config.object_store_s3_path_style)
    raise ObjectStoreError(f"unknown object_store.type [{config.object_store_type}]: "
                           "use local or s3")
