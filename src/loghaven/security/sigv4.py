"""AWS Signature Version 4: the ``Authorization: AWS4-HMAC-SHA256`` header and the check of a
request's signature against its access key's secret.

The node rebuilds the canonical request from what arrived (method, the path as sent, the
query, the signed headers, the SHA-256 of the body as sent) and compares HMACs, as AWS does
(https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html). The path is
normalized and encoded a second time (the rule of every service but S3, as botocore signs it).
The query is accepted in three canonical forms of the same parameters: AWS's (each name and
value decoded and re-encoded, ``%20`` for a space), botocore's when it signs a URL (the pairs
as sent, sorted) and opensearch-py's (re-encoded form style, ``+`` for a space); each form is
a function of the parameters the node reads, so none lets a signed request be read otherwise.
Payloads are always signed: ``UNSIGNED-PAYLOAD`` and the streaming forms are refused.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import parse_qsl, quote, quote_plus

ALGORITHM = "AWS4-HMAC-SHA256"
#: The services whose signatures the node accepts: the OpenSearch Service and Serverless
#: (``es``, ``aoss``), and the AWS JSON APIs the node speaks (Firehose, SNS).
SERVICES = frozenset({"es", "aoss", "firehose", "sns"})
#: AWS's limit between the signing time and the server's clock.
MAX_SKEW_SECONDS = 15 * 60
_DATE_FORMAT = "%Y%m%dT%H%M%SZ"
_HEX64 = re.compile(r"[0-9a-f]{64}")


class SignatureError(Exception):
    """A request that is not correctly signed; the message (AWS's wording) never contains the
    signature or the secret."""


@dataclass(frozen=True)
class Authorization:
    """The parts of an ``AWS4-HMAC-SHA256`` header."""

    access_key_id: str
    date: str
    region: str
    service: str
    signed_headers: tuple[str, ...]
    signature: str

    @property
    def scope(self) -> str:
        return f"{self.date}/{self.region}/{self.service}/aws4_request"


@dataclass(frozen=True)
class SignedRequest:
    """A request as it arrived: ``raw_path`` still percent-encoded, ``headers`` a lookup of
    every value of a (lower-case) header name."""

    method: str
    raw_path: str
    query: str
    headers: Callable[[str], Sequence[str]]
    body: bytes
    authorization: Authorization


def parse_authorization(credentials: str) -> Authorization:
    """The header's value after the algorithm name: ``Credential=<id>/<date>/<region>/
    <service>/aws4_request, SignedHeaders=a;b, Signature=<hex>``."""
    parts: dict[str, str] = {}
    for part in credentials.split(","):
        name, sep, value = part.strip().partition("=")
        if sep:
            parts[name.strip()] = value.strip()
    missing = [name for name in ("Credential", "SignedHeaders", "Signature")
               if not parts.get(name)]
    if missing:
        raise SignatureError(f"Authorization header requires '{missing[0]}' parameter.")
    scope = parts["Credential"].split("/")
    if len(scope) != 5 or scope[4] != "aws4_request" or not all(scope):
        raise SignatureError("Credential should be scoped to a valid region, and a correct "
                             "service, and end with 'aws4_request'.")
    key_id, date, region, service, _ = scope
    if service not in SERVICES:
        raise SignatureError(f"Credential should be scoped to correct service: one of "
                             f"[{', '.join(sorted(SERVICES))}], not '{service}'.")
    return Authorization(key_id, date, region, service,
                         tuple(parts["SignedHeaders"].split(";")), parts["Signature"].lower())


def check(request: SignedRequest, now: float) -> str:
    """The request's date and body hash checks; its ``X-Amz-Date`` (SignatureError when
    refused)."""
    auth = request.authorization
    dates = request.headers("x-amz-date")
    if not dates:
        raise SignatureError("Authorization header requires existence of either a "
                             "'X-Amz-Date' or a 'Date' header.")
    amz_date = dates[0].strip()
    try:
        signed_at = datetime.datetime.strptime(amz_date, _DATE_FORMAT).replace(
            tzinfo=datetime.UTC).timestamp()
    except ValueError:
        raise SignatureError(f"Date must be in ISO-8601 'basic format'. Got '{amz_date}'.") \
            from None
    if abs(now - signed_at) > MAX_SKEW_SECONDS:
        raise SignatureError(f"Signature expired: {amz_date} is now earlier or later than "
                             f"the server's time by more than 15 minutes.")
    if amz_date[:8] != auth.date:
        raise SignatureError(f"Credential should be scoped to a valid date: "
                             f"'{amz_date[:8]}', not '{auth.date}'.")
    if "host" not in auth.signed_headers:
        raise SignatureError("'Host' must be a signed header.")
    declared = request.headers("x-amz-content-sha256")
    if declared and not _HEX64.fullmatch(declared[0].strip()):
        raise SignatureError("Payloads must be signed: x-amz-content-sha256 must be the "
                             "SHA-256 of the body.")
    if declared and declared[0].strip() != hashlib.sha256(request.body).hexdigest():
        raise SignatureError("The provided 'x-amz-content-sha256' header does not match what "
                             "was computed.")
    return amz_date


def verify(request: SignedRequest, secret: str, now: float) -> None:
    """Whether the signature is the one ``secret`` makes of the request (SignatureError when
    not)."""
    auth = request.authorization
    amz_date = check(request, now)
    key = signing_key(secret, auth.date, auth.region, auth.service)
    for canonical in canonical_requests(request):
        to_sign = "\n".join([ALGORITHM, amz_date, auth.scope,
                             hashlib.sha256(canonical.encode()).hexdigest()])
        expected = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
        if hmac.compare_digest(expected, auth.signature):
            return
    raise SignatureError("The request signature we calculated does not match the signature "
                         "you provided. Check your AWS Secret Access Key and signing method.")


def signing_key(secret: str, date: str, region: str, service: str) -> bytes:
    key = ("AWS4" + secret).encode()
    for part in (date, region, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


def canonical_requests(request: SignedRequest) -> list[str]:
    """The canonical request in each accepted form of its query (usually one)."""
    auth = request.authorization
    headers = []
    for name in auth.signed_headers:
        values = request.headers(name)
        if not values:
            raise SignatureError(f"The signed header '{name}' is missing from the request.")
        headers.append(f"{name}:{','.join(' '.join(v.split()) for v in values)}")
    declared = request.headers("x-amz-content-sha256")
    payload = declared[0].strip() if declared else hashlib.sha256(request.body).hexdigest()
    head = [request.method.upper(), canonical_uri(request.raw_path)]
    tail = ["\n".join(headers) + "\n", ";".join(auth.signed_headers), payload]
    return ["\n".join([*head, query, *tail]) for query in canonical_queries(request.query)]


def canonical_uri(raw_path: str) -> str:
    """The path without dot segments and repeated slashes, encoded again (``%`` is ``%25``)."""
    return quote(_remove_dot_segments(raw_path) or "/", safe="/~")


def _remove_dot_segments(path: str) -> str:
    """RFC 3986 5.2.4, and empty segments dropped as AWS requires."""
    out: list[str] = []
    for segment in path.split("/"):
        if segment == "..":
            if out:
                out.pop()
        elif segment and segment != ".":
            out.append(segment)
    if not path:
        return ""
    trailing = "/" if path.endswith("/") and out else ""
    return ("/" if path.startswith("/") else "") + "/".join(out) + trailing


def canonical_queries(query: str) -> list[str]:
    """AWS's canonical query of the parameters the node reads (``+`` is a space, as in every
    form-encoded query), then botocore's and opensearch-py's forms of the same."""
    pairs = parse_qsl(query, keep_blank_values=True)
    forms = [_joined((quote(k, safe="-_.~"), quote(v, safe="-_.~")) for k, v in pairs),
             _joined((k, v) for k, _, v in (p.partition("=") for p in query.split("&") if p)),
             _joined((quote_plus(k), quote_plus(v)) for k, v in pairs)]
    return list(dict.fromkeys(forms))


def _joined(pairs: Iterable[tuple[str, str]]) -> str:
    return "&".join(f"{k}={v}" for k, v in sorted(pairs))
