"""Snapshot repositories: where a repository's objects live and how its settings are read.

``fs`` keeps its objects in a folder (``settings.location``, absolute or relative to the first
``path.repo`` entry, and refused outside every ``path.repo`` folder as ES refuses it), through
storage/objects.py's LocalObjectStore under :data:`FS_BUCKET`. ``s3`` keeps them in
``settings.bucket`` under ``settings.base_path`` through S3ObjectStore, with the client
settings OpenSearch's repository-s3 reads (``endpoint``, ``region``, ``path_style_access``,
``protocol``, and the deprecated ``access_key``/``secret_key`` repository settings); what a
repository does not set comes from the node's ``object_store.s3.*`` settings, then from
boto3's own chain (``AWS_*`` variables, ~/.aws). The node's keys go only to the node's own
endpoint: a repository naming another endpoint brings its own keys (or boto3's chain), so a
caller cannot have the node sign requests to a server of theirs. Credentials are stored
(the repository must work after a restart) but never returned or logged, and a failed
verification answers a fixed reason (the backend's error text is logged, not returned).
"""

from __future__ import annotations

import logging
import os
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from loghaven.config import flatten_keys
from loghaven.lifecycle.snapshots.errors import (
    RepositoryError,
    RepositoryVerification,
    validate_repository_name,
)
from loghaven.params import parse_bool
from loghaven.storage.blobs import BlobStore
from loghaven.storage.objects import (
    LocalObjectStore,
    ObjectStore,
    ObjectStoreError,
    S3ObjectStore,
    check_bucket,
    check_key,
)

if TYPE_CHECKING:
    from loghaven.config import Config

log = logging.getLogger("loghaven.snapshots")
#: The metastore kind of registered repositories (name → ``{"type", "settings"}``).
KIND = "snapshot_repository"
#: The folder inside an ``fs`` location that holds the repository's objects (an object
#: store's bucket: storage/objects.py keeps ``<root>/<bucket>/<key>``).
FS_BUCKET = "loghaven-repository"
#: Settings never shown by ``GET _snapshot``.
SECRET_SETTINGS = frozenset({"access_key", "secret_key", "session_token"})
_COMMON = {"compress", "readonly", "chunk_size", "max_restore_bytes_per_sec",
           "max_snapshot_bytes_per_sec"}
_FS = _COMMON | {"location"}
_S3 = _COMMON | {"bucket", "base_path", "client", "endpoint", "region", "path_style_access",
                 "protocol", "server_side_encryption", "storage_class", "canned_acl",
                 "buffer_size", *SECRET_SETTINGS}


@dataclass
class Repository:
    """An opened repository: its objects are ``prefix + key`` in ``bucket`` of ``store``."""

    name: str
    type: str
    settings: dict[str, str]
    store: ObjectStore
    bucket: str
    prefix: str
    compress: bool
    readonly: bool
    #: Where the objects are (the folder, or endpoint, bucket and prefix): one per writer.
    location: str

    def key(self, relative: str) -> str:
        return self.prefix + relative

    def blobs(self, level: int) -> BlobStore:
        return BlobStore(self.store, self.bucket, level=level)

    def describe(self) -> str:
        return f"{self.store.describe()} bucket [{self.bucket}] prefix [{self.prefix}]"


def parse(name: str, body: dict[str, Any], config: Config) -> dict[str, Any]:
    """The record to store for ``PUT _snapshot/<name>``: type and settings, as strings (ES
    keeps repository settings as strings), checked so that :func:`open_repository` works."""
    validate_repository_name(name)
    kind = body.get("type")
    if not isinstance(kind, str) or not kind:
        raise RepositoryError(name, "repository type is missing")
    settings = body.get("settings") or {}
    if not isinstance(settings, dict):
        raise RepositoryError(name, "repository settings must be an object")
    flat = {str(k): _text(v) for k, v in flatten_keys(settings).items()}
    if kind not in ("fs", "s3"):
        raise RepositoryError(name, f"repository type [{kind}] does not exist")
    known = _FS if kind == "fs" else _S3
    for key in flat:
        if key not in known:
            raise RepositoryError(name, f"unknown setting [{key}] for repository type [{kind}]")
    record = {"type": kind, "settings": flat}
    open_repository(name, record, config)  # every check the opening makes, before storing
    return record


def public_settings(record: dict[str, Any]) -> dict[str, str]:
    """A repository's settings as ``GET _snapshot`` shows them: without credentials."""
    return {k: v for k, v in record["settings"].items() if k not in SECRET_SETTINGS}


def open_repository(name: str, record: dict[str, Any], config: Config) -> Repository:
    settings: dict[str, str] = record["settings"]
    compress = _bool(name, settings, "compress")
    readonly = _bool(name, settings, "readonly")
    if record["type"] == "fs":
        folder = fs_location(name, settings.get("location", ""), config.path_repo)
        return Repository(name, "fs", settings, LocalObjectStore(folder), FS_BUCKET, "",
                          compress, readonly, f"fs:{folder}")
    bucket = settings.get("bucket", "")
    if not bucket:
        raise RepositoryError(name, "No bucket defined for s3 repository")
    try:
        check_bucket(bucket)
    except ObjectStoreError as e:
        raise RepositoryError(name, str(e)) from None
    base_path = settings.get("base_path", "").strip("/")
    prefix = base_path + "/" if base_path else ""
    if prefix:
        try:
            check_key(prefix + "x")
        except ObjectStoreError as e:
            raise RepositoryError(name, f"invalid base_path [{base_path}]: {e}") from None
    node_endpoint = _with_scheme(config.object_store_s3_endpoint, "https")
    endpoint = _with_scheme(settings.get("endpoint", config.object_store_s3_endpoint),
                            settings.get("protocol", "https"))
    path_style = _bool(name, settings, "path_style_access",
                       default=config.object_store_s3_path_style)
    node_keys = endpoint == node_endpoint  # the node's keys for the node's endpoint only
    try:
        store = S3ObjectStore(
            endpoint=endpoint, region=settings.get("region", config.object_store_s3_region),
            access_key=settings.get(
                "access_key", config.object_store_s3_access_key if node_keys else ""),
            secret_key=settings.get(
                "secret_key", config.object_store_s3_secret_key if node_keys else ""),
            path_style=path_style)
    except ObjectStoreError as e:
        raise RepositoryError(name, str(e)) from None
    return Repository(name, "s3", settings, store, bucket, prefix, compress, readonly,
                      f"s3:{endpoint or 'aws'}/{bucket}/{prefix}")


def _with_scheme(endpoint: str, protocol: str) -> str:
    return f"{protocol}://{endpoint}" if endpoint and "://" not in endpoint else endpoint


def fs_location(name: str, location: str, path_repo: list[str]) -> Path:
    """ES's ``FsRepository`` check: the location resolved against ``path.repo`` (a relative
    one against its first entry), symbolic links and ``..`` resolved, inside one of them."""
    if not location:
        raise RepositoryError(name, "missing location")
    roots = [Path(os.path.realpath(root)) for root in path_repo if root]
    if "\x00" in location:
        raise RepositoryError(name, f"location [{location}] is not a valid path")
    candidate = Path(location)
    if not roots:
        raise RepositoryError(name, f"location [{location}] doesn't match any of the "
                              "locations specified by path.repo because this setting is empty")
    if not candidate.is_absolute():
        candidate = roots[0] / candidate
    resolved = Path(os.path.realpath(candidate))
    for root in roots:
        if resolved == root or root in resolved.parents:
            return resolved
    raise RepositoryError(name, f"location [{location}] doesn't match any of the locations "
                          "specified by path.repo")


def verify(repository: Repository) -> None:
    """Write, read back and delete a test object (a read-only repository: list it), as ES's
    verification does; RepositoryVerification saying what failed."""
    try:
        if repository.readonly:
            next(iter(repository.store.list(repository.bucket, repository.key("index.json"))),
                 None)
            return
        key = repository.key(f"tests-{uuid.uuid4().hex}/master.dat")
        payload = uuid.uuid4().hex.encode()
        repository.store.put(repository.bucket, key, payload)
        try:
            if repository.store.get(repository.bucket, key) != payload:
                raise RepositoryVerification(
                    repository.name, f"store location [{repository.describe()}] returned "
                    "other bytes than were written")
        finally:
            repository.store.delete(repository.bucket, key)
    except (ObjectStoreError, KeyError, OSError) as e:
        log.warning("repository [%s] verification failed: %s: %s", repository.name,
                    type(e).__name__, e)
        raise RepositoryVerification(
            repository.name, f"store location [{repository.describe()}] is not accessible on "
            "the node") from None


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(_text(v) for v in value)
    return "" if value is None else str(value)


def _bool(name: str, settings: dict[str, str], key: str, *, default: bool = False) -> bool:
    if key not in settings:
        return default
    try:
        return parse_bool(settings[key], key)
    except Exception:
        raise RepositoryError(name, f"Failed to parse value [{settings[key]}] as only "
                              f"[true] or [false] are allowed.") from None
