"""With security on, a stream delivers as the user who created it (as monitors run as their
owner): into the indices that user may write, and never into the others, whose records are
retried and then backed up as ``elasticsearch-failed`` with the 403."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import httpx
import orjson
import pytest
from botocore.config import Config as BotoConfig
from tests.streams.streamkit import index_stream, today

from conftest import wait_for
from security.conftest import SecureServer, role_user


@pytest.fixture(scope="module")
def secure(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecureServer]:
    instance = SecureServer(tmp_path_factory.mktemp("streams-owner") / "data").start()
    yield instance
    instance.stop()


def producer(secure: SecureServer) -> Any:
    """boto3's client with the access key of a user who may run streams and write
    ``owned-*`` only."""
    role = {"cluster_permissions": ["cluster:admin/loghaven/firehose/*"],
            "index_permissions": [{"index_patterns": ["owned-*"],
                                   "allowed_actions": ["indices:data/write/*",
                                                       "indices:admin/create"]}]}
    with httpx.Client(base_url=secure.url, auth=secure.auth, timeout=30) as admin, \
            role_user(secure, admin, "deliverer", role) as user:
        made = user.post("/_plugins/_security/api/accesskeys", json={"description": "fh"})
        assert made.status_code in (200, 201), made.text
    key = made.json()
    return boto3.client("firehose", endpoint_url=secure.url, region_name="us-east-1",
                        aws_access_key_id=key["access_key_id"],
                        aws_secret_access_key=key["secret_access_key"],
                        config=BotoConfig(retries={"total_max_attempts": 1}))


def stream_metrics(secure: SecureServer, name: str) -> dict[str, Any]:
    nodes = httpx.get(f"{secure.url}/_nodes/stats/streams", auth=secure.auth,
                      timeout=10).json()["nodes"]
    return next(iter(nodes.values()))["streams"][name]


def test_deliveries_act_as_the_stream_s_owner(secure: SecureServer) -> None:
    client = producer(secure)
    client.create_delivery_stream(**index_stream("mine", index="owned"))
    client.create_delivery_stream(**index_stream("theirs", index="forbidden", retry=1))
    for name in ("mine", "theirs"):
        client.put_record_batch(DeliveryStreamName=name, Records=[
            {"Data": orjson.dumps({"n": n})} for n in range(2)])
    wait_for(lambda: stream_metrics(secure, "mine")["delivered_records"] == 2,
             what="the owner's delivery")
    seen = wait_for(lambda: stream_metrics(secure, "theirs")["buffered_records"] == 0
                    and stream_metrics(secure, "theirs"), what="the refused delivery")
    assert seen["delivered_records"] == 0 and seen["failed_records"] == 2
    assert seen["retries"] >= 1 and "security_exception" in seen["last_error"]
    with httpx.Client(base_url=secure.url, auth=secure.auth, timeout=30) as admin:
        admin.post(f"/{today('owned')}/_refresh")
        assert admin.get(f"/{today('owned')}/_count").json()["count"] == 2
        assert admin.head(f"/{today('forbidden')}").status_code == 404
    failed = list((secure.data_dir / "buckets" / "backups" / "elasticsearch-failed")
                  .rglob("*"))
    lines = [orjson.loads(line) for path in failed if path.is_file()
             for line in path.read_bytes().splitlines()]
    assert len(lines) == 2 and {line["errorCode"] for line in lines} == {"403"}
