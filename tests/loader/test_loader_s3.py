"""``loghaven ingest s3://bucket/prefix`` against a real S3 server (SeaweedFS), with the
endpoint and keys found as boto3 finds them."""

from __future__ import annotations

import gzip
import signal
from pathlib import Path

import httpx
from loadkit import count, current_count, docs, ingest, running, summary

from conftest import S3Store, Server, wait_for


def test_prefix_with_gzip_objects_and_checkpoints_by_etag(
        server: Server, es: httpx.Client, s3: S3Store, index_name: str,
        tmp_path: Path) -> None:
    bucket = s3.bucket()
    client = s3.client()
    client.put_object(Bucket=bucket, Key="logs/2026/11/26/a.ndjson", Body=b'{"n": 1}\n{"n": 2}\n')
    client.put_object(Bucket=bucket, Key="logs/2026/11/27/b.ndjson.gz",
                      Body=gzip.compress(b'{"n": 3}\n') + gzip.compress(b'{"n": 4}\n'))
    client.put_object(Bucket=bucket, Key="other/c.ndjson", Body=b'{"n": 99}\n')
    args = ["--url", server.url, "--index", index_name, f"s3://{bucket}/logs/"]
    result = ingest(*args, state=tmp_path, env=s3.env())
    assert result.returncode == 0, result.stdout + result.stderr
    assert summary(result)["files"] == "2 done, 0 skipped, 0 failed"
    assert [doc["n"] for doc in docs(es, index_name)] == [1, 2, 3, 4]

    # the endpoint given on the command line instead; the same objects are skipped (ETag)
    env = {**s3.env(), "AWS_ENDPOINT_URL_S3": "http://127.0.0.1:9"}
    again = ingest(*args, "--s3-endpoint-url", s3.endpoint_url, state=tmp_path, env=env)
    assert again.returncode == 0, again.stderr
    assert summary(again)["files"] == "0 done, 2 skipped, 0 failed"
    # an object replaced under the same key is another version
    client.put_object(Bucket=bucket, Key="logs/2026/11/26/a.ndjson", Body=b'{"n": 5}\n')
    replaced = ingest(*args, state=tmp_path, env=s3.env())
    assert summary(replaced)["files"] == "1 done, 1 skipped, 0 failed"
    assert count(es, index_name) == 5


def test_wrong_keys_and_missing_bucket_are_reported(server: Server, s3: S3Store,
                                                    tmp_path: Path) -> None:
    env = {**s3.env(), "AWS_SECRET_ACCESS_KEY": "wrong"}
    result = ingest("--url", server.url, "--index", "x", f"s3://{s3.bucket()}/", state=tmp_path,
                    env=env)
    assert result.returncode == 2 and "s3://" in result.stderr
    missing = ingest("--url", server.url, "--index", "x", "s3://no-such-bucket-here/",
                     state=tmp_path, env=s3.env())
    assert missing.returncode == 2 and "NoSuchBucket" in missing.stderr


def test_watch_a_prefix(server: Server, es: httpx.Client, s3: S3Store, index_name: str,
                        tmp_path: Path) -> None:
    bucket = s3.bucket()
    client = s3.client()
    client.put_object(Bucket=bucket, Key="in/a.ndjson", Body=b'{"n": 1}\n')
    with running("--url", server.url, "--index", index_name, "--watch", "--interval", "0.3",
                 f"s3://{bucket}/in/", state=tmp_path, env=s3.env()) as process:
        wait_for(lambda: current_count(es, index_name) == 1)
        client.put_object(Bucket=bucket, Key="in/b.ndjson.gz", Body=gzip.compress(b'{"n": 2}\n'))
        wait_for(lambda: current_count(es, index_name) == 2)
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert "files: 2 done, 0 skipped, 0 failed" in out.decode()
