"""The SigV4 check and the sealing of secrets as modules: AWS's published test vectors
(aws-sig-v4-test-suite), and the node key's file and its refusals."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest

from loghaven.security import sigv4
from loghaven.security.sealing import NodeKey, SealingError

# The suite's credentials and time (docs.aws.amazon.com, "Signature Version 4 test suite").
KEY_ID, SECRET = "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
AMZ_DATE = "20150830T123600Z"
NOW = datetime.datetime(2015, 8, 30, 12, 36, tzinfo=datetime.UTC).timestamp()


def suite_request(method: str, path: str, query: str, signature: str) -> sigv4.SignedRequest:
    headers = {"host": ["example.amazonaws.com"], "x-amz-date": [AMZ_DATE]}
    authorization = sigv4.Authorization(KEY_ID, "20150830", "us-east-1", "service",
                                        ("host", "x-amz-date"), signature)
    return sigv4.SignedRequest(method, path, query, lambda name: headers.get(name, []), b"",
                               authorization)


@pytest.mark.parametrize(("path", "query", "signature"), [
    ("/", "", "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"),
    ("/", "Param2=value2&Param1=value1",
     "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"),
])
def test_aws_test_suite_vectors(path: str, query: str, signature: str) -> None:
    sigv4.verify(suite_request("GET", path, query, signature), SECRET, NOW)
    with pytest.raises(sigv4.SignatureError, match="does not match"):
        sigv4.verify(suite_request("GET", path, query, signature), SECRET[:-1] + "Z", NOW)
    with pytest.raises(sigv4.SignatureError, match="Signature expired"):
        sigv4.verify(suite_request("GET", path, query, signature), SECRET, NOW + 15 * 60 + 1)


def test_canonical_uri_normalizes_and_encodes_again() -> None:
    assert sigv4.canonical_uri("") == "/"
    assert sigv4.canonical_uri("/a/./b/../c//d/") == "/a/c/d/"
    assert sigv4.canonical_uri("/logs-%2A/_doc/a%20b") == "/logs-%252A/_doc/a%2520b"


def test_authorization_header() -> None:
    parsed = sigv4.parse_authorization(
        "Credential=LHAKABCDEFGHIJKLMNOP/20260101/eu-west-3/firehose/aws4_request, "
        "SignedHeaders=host;x-amz-date, Signature=ABCDEF")
    assert parsed == sigv4.Authorization("LHAKABCDEFGHIJKLMNOP", "20260101", "eu-west-3",
                                         "firehose", ("host", "x-amz-date"), "abcdef")
    with pytest.raises(sigv4.SignatureError, match="requires 'Signature'"):
        sigv4.parse_authorization("Credential=a/b/c/es/aws4_request, SignedHeaders=host")
    with pytest.raises(sigv4.SignatureError, match="correct service"):
        sigv4.parse_authorization("Credential=a/b/c/s3/aws4_request, SignedHeaders=host, "
                                  "Signature=00")


def test_node_key_file_and_sealing(tmp_path: Path) -> None:
    key = NodeKey(tmp_path)
    sealed = key.seal("the secret", "LHAK1")
    assert "the secret" not in sealed
    assert key.path.stat().st_mode & 0o777 == 0o600
    assert NodeKey(tmp_path).unseal(sealed, "LHAK1") == "the secret"  # read from the file
    with pytest.raises(SealingError):
        key.unseal(sealed, "LHAK2")  # bound to its record
    with pytest.raises(SealingError):
        NodeKey(tmp_path / "other").unseal(sealed, "LHAK1")
    key.path.chmod(0o644)
    with pytest.raises(SealingError, match="readable by others"):
        NodeKey(tmp_path).seal("x", "y")
