"""The object stores the storage tests run against: a local folder and a real S3 server
(SeaweedFS, the session's ``s3`` fixture)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.conftest import S3Store
from tests.storage.test_objects import s3_store

from loghaven.storage.objects import LocalObjectStore, ObjectStore


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[ObjectStore, str]]:
    if request.param == "local":
        yield LocalObjectStore(tmp_path / "buckets"), "backups"
    else:
        s3: S3Store = request.getfixturevalue("s3")
        yield s3_store(s3), s3.bucket()
