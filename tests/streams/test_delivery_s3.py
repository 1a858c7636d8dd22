"""Backups in S3 (SeaweedFS, ``object_store.type: s3``): AllDocuments objects in the bucket,
in Firehose's key layout."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from tests.streams.streamkit import (
    batch,
    documents,
    index_stream,
    metrics,
    running_node,
    today,
)

from conftest import S3Store, wait_for
from loghaven.node import Node


@pytest.fixture
def node(tmp_path: Path, s3: S3Store) -> Iterator[Node]:
    with running_node(tmp_path / "data", object_store_type="s3",
                      object_store_s3_endpoint=s3.endpoint_url,
                      object_store_s3_access_key=s3.access_key,
                      object_store_s3_secret_key=s3.secret_key) as instance:
        yield instance


def objects(s3: S3Store, bucket: str) -> list[tuple[str, bytes]]:
    client = s3.client()
    listed = client.list_objects_v2(Bucket=bucket).get("Contents", [])
    return [(item["Key"], client.get_object(Bucket=bucket, Key=item["Key"])["Body"].read())
            for item in listed]


def waf(n: int) -> bytes:
    return orjson.dumps({"action": "ALLOW", "n": n})


def test_all_documents_backups_in_s3(node: Node, s3: S3Store) -> None:
    bucket = s3.bucket()
    node.streams.create(index_stream("s3all", index="s3all", mode="AllDocuments",
                                     bucket=bucket), owner=None)
    node.streams.put_record_batch(batch("s3all", [waf(1), waf(2)]))
    found = wait_for(lambda: objects(s3, bucket), what="the backup object in S3")
    ((key, content),) = found
    assert content == waf(1) + waf(2)
    assert key.count("/") == 4 and "/s3all-1-" in key  # YYYY/MM/DD/HH/<stream>-<version>-
    assert len(documents(node, today("s3all"))) == 2
    assert metrics(node, "s3all")["backed_up_records"] == 2

