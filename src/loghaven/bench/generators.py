"""Seeded, streaming generators of the log types in the seed articles.

Every generator yields plain dicts one at a time, so a benchmark of millions of
documents never holds them all in memory and no data file is ever committed.
The same ``(n, seed, end_ms)`` always yields the same documents, byte for byte
once serialised, so runs on different days and machines index the same input.

Timestamps are spread evenly (with jitter, never going backwards) over the
``span_ms`` before ``end_ms``; the default end is a fixed instant rather than
"now" so that queries over "the last 15 minutes" or "24 h of 1-minute buckets"
are reproducible.
"""

from __future__ import annotations

import math
import random
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import accumulate
from typing import Any

import orjson

DAY_MS = 86_400_000
#: 2023-11-15T00:00:00Z: the generated day is 2023-11-14 UTC.
DEFAULT_END_MS = 1_700_006_400_000
DEFAULT_SEED = 42
#: Size of the client address pool and the Zipf exponent of its popularity.
IP_POOL_SIZE = 50_000
ZIPF_S = 1.07
#: Share of WAF requests that are blocked.
WAF_BLOCK_RATE = 0.10

ACCOUNT_ID = "123456789012"
REGIONS = [
    "us-east-1",
    "us-east-1",
    "us-east-1",
    "us-west-2",
    "eu-west-1",
    "eu-west-3",
    "ap-southeast-2",
    "cn-northwest-1",
]
COUNTRIES = [
    "US",
    "US",
    "US",
    "US",
    "DE",
    "GB",
    "FR",
    "NL",
    "BR",
    "IN",
    "CN",
    "RU",
    "JP",
    "KR",
    "CA",
    "AU",
    "SG",
    "UA",
    "VN",
    "ID",
]

Doc = dict[str, Any]


# --------------------------------------------------------------------------- shared pieces


def ip_pool(seed: int = DEFAULT_SEED, size: int = IP_POOL_SIZE) -> list[str]:
    """Distinct public-looking IPv4 addresses, most popular first.

    WAF clients, CloudTrail callers and VPC flow peers all draw from the same
    pool so that one address can be followed across the three log types.
    """
    rng = random.Random(f"ip-pool-{seed}")
    seen: set[int] = set()
    out: list[str] = []
    while len(out) < size:
        value = rng.getrandbits(32)
        first = value >> 24
        if first in (0, 10, 127, 169, 172, 192, 198) or first >= 224 or value in seen:
            continue
        seen.add(value)
        out.append(f"{first}.{(value >> 16) & 255}.{(value >> 8) & 255}.{value & 255}")
    return out


def zipf_cum_weights(size: int = IP_POOL_SIZE, s: float = ZIPF_S) -> list[float]:
    """Cumulative Zipf weights for ``random.choices(..., cum_weights=...)``."""
    return list(accumulate(1.0 / (rank**s) for rank in range(1, size + 1)))


class _ZipfIps:
    """Draws addresses from the shared pool with Zipf-distributed popularity."""

    def __init__(self, seed: int, size: int = IP_POOL_SIZE) -> None:
        self.pool = ip_pool(seed, size)
        self.cum = zipf_cum_weights(size)
        self.countries = [COUNTRIES[i % len(COUNTRIES)] for i in range(size)]
        random.Random(f"countries-{seed}").shuffle(self.countries)

    def draw(self, rng: random.Random) -> int:
        return rng.choices(range(len(self.pool)), cum_weights=self.cum)[0]


def _timestamps(rng: random.Random, n: int, end_ms: int, span_ms: int) -> Iterator[int]:
    """``n`` non-decreasing epoch-millis instants spread over ``[end-span, end)``."""
    start = end_ms - span_ms
    step = span_ms / max(n, 1)
    jitter = max(int(step) - 1, 0)
    for i in range(n):
        yield start + int(i * step) + (rng.randint(0, jitter) if jitter else 0)


def _hex(rng: random.Random, bits: int) -> str:
    return f"{rng.getrandbits(bits):0{bits // 4}x}"


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def iso_millis(ms: int) -> str:
    """Epoch millis as ``2023-11-14T12:34:56.789Z`` (what Kibana sends in range queries)."""
    dt = datetime.fromtimestamp(ms / 1000, tz=UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


# --------------------------------------------------------------------------- AWS WAF

_WEB_ACLS = [
    f"arn:aws:wafv2:us-east-1:{ACCOUNT_ID}:regional/webacl/prod-web/3f5c0a1e-6a2b-4bd7-9d4e-1c2f7a9b8e01",
    f"arn:aws:wafv2:us-east-1:{ACCOUNT_ID}:global/webacl/owasp-top10/9a1d2c3b-4e5f-4a6b-8c7d-0e1f2a3b4c5d",
    f"arn:aws:wafv2:eu-west-1:{ACCOUNT_ID}:regional/webacl/api-gw/7b8c9d0e-1f2a-4b3c-9d4e-5f6a7b8c9d0e",
]
_SOURCES = [
    ("ALB", f"{ACCOUNT_ID}-app/prod-alb/4f3c2b1a0e9d8c7b"),
    ("CF", "E2QWRUHAPOMQZL"),
    ("APIGW", f"{ACCOUNT_ID}:a1b2c3d4e5:prod"),
]
_RULE_GROUPS = [
    "AWS#AWSManagedRulesCommonRuleSet",
    "AWS#AWSManagedRulesSQLiRuleSet",
    "AWS#AWSManagedRulesKnownBadInputsRuleSet",
]
_USER_AGENTS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/119.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.1 Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
    "Gecko) Version/17.1 Mobile/15E148 Safari/604.1",
    "curl/8.4.0",
    "python-requests/2.31.0",
    "Go-http-client/1.1",
    "sqlmap/1.7.11#stable (https://sqlmap.org)",
]
_URIS = [
    "/",
    "/index.html",
    "/login",
    "/logout",
    "/api/v1/orders",
    "/api/v1/orders/{id}",
    "/api/v1/users/{id}",
    "/api/v1/cart",
    "/search",
    "/static/app.{id}.js",
    "/static/style.css",
    "/images/product/{id}.jpg",
    "/health",
    "/checkout",
]
_ATTACK_URIS = [
    "/wp-login.php",
    "/.env",
    "/admin/config.php",
    "/cgi-bin/luci",
    "/.git/config",
    "/api/v1/users/1%27%20OR%201=1--",
]
_ARGS = [
    "",
    "",
    "",
    "",
    "page={id}",
    "q=shoes&page={id}",
    "id={id}",
    "sort=price&order=asc",
    "utm_source=newsletter&utm_campaign=nov",
]


def waf_logs(
    n: int, seed: int = DEFAULT_SEED, end_ms: int = DEFAULT_END_MS, span_ms: int = DAY_MS
) -> Iterator[Doc]:
    """AWS WAF full logs as Kinesis Firehose delivers them (about 1.3 KB each).

    ``action`` is BLOCK for about 10% of requests; ``httpRequest.clientIp`` is
    Zipf-distributed over 50k addresses; some blocked requests carry
    ``args == "name=badname"`` (the seed article's example search).
    """
    rng = random.Random(f"waf-{seed}")
    ips = _ZipfIps(seed)
    for ts in _timestamps(rng, n, end_ms, span_ms):
        ip_rank = ips.draw(rng)
        blocked = rng.random() < WAF_BLOCK_RATE
        acl = rng.choice(_WEB_ACLS)
        source_name, source_id = rng.choice(_SOURCES)
        num = rng.randint(1, 99_999)
        uri = rng.choice(_URIS).replace("{id}", str(num))
        args = rng.choice(_ARGS).replace("{id}", str(num % 50))
        ua = rng.choice(_USER_AGENTS)
        rule_groups: list[Doc] = [
            {
                "ruleGroupId": _RULE_GROUPS[0],
                "terminatingRule": None,
                "nonTerminatingMatchingRules": [],
                "excludedRules": None,
            }
        ]
        if blocked:
            kind = rng.random()
            if kind < 0.3:
                rule_id, rule_type, args = "BlockBadNames", "REGULAR", "name=badname"
            elif kind < 0.7:
                rule_id, rule_type = "AWS-AWSManagedRulesSQLiRuleSet", "MANAGED_RULE_GROUP"
                uri = rng.choice(_ATTACK_URIS)
                ua = _USER_AGENTS[-1]
                rule_groups.append(
                    {
                        "ruleGroupId": _RULE_GROUPS[1],
                        "terminatingRule": {"ruleId": "SQLi_QUERYARGUMENTS", "action": "BLOCK"},
                        "nonTerminatingMatchingRules": [],
                        "excludedRules": None,
                    }
                )
            else:
                rule_id, rule_type = "RateLimit-2000", "RATE_BASED"
        else:
            rule_id, rule_type = "Default_Action", "REGULAR"
            if rng.random() < 0.003:
                args = "name=badname"  # counted, not blocked: the rule runs in COUNT mode here
                rule_groups[0]["nonTerminatingMatchingRules"] = [
                    {"ruleId": "BlockBadNames", "action": "COUNT"}
                ]
        host = "shop.example.com" if source_name != "APIGW" else "api.example.com"
        headers = [
            {"name": "Host", "value": host},
            {"name": "User-Agent", "value": ua},
            {
                "name": "Accept",
                "value": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
            },
            {
                "name": "Accept-Language",
                "value": rng.choice(
                    ["en-US,en;q=0.5", "de-DE,de;q=0.9", "fr-FR,fr;q=0.8", "ja-JP"]
                ),
            },
            {"name": "Accept-Encoding", "value": "gzip, deflate, br"},
        ]
        if rng.random() < 0.5:
            headers.append({"name": "Referer", "value": f"https://{host}/search?q=item{num % 97}"})
        if rng.random() < 0.6:
            headers.append({"name": "Cookie", "value": f"session={_hex(rng, 96)}"})
        response_ms = round(
            rng.lognormvariate(3.0, 0.8) if not blocked else rng.uniform(0.2, 2.0), 3
        )
        yield {
            "timestamp": ts,
            "formatVersion": 1,
            "webaclId": acl,
            "terminatingRuleId": rule_id,
            "terminatingRuleType": rule_type,
            "action": "BLOCK" if blocked else "ALLOW",
            "terminatingRuleMatchDetails": [],
            "httpSourceName": source_name,
            "httpSourceId": source_id,
            "ruleGroupList": rule_groups,
            "rateBasedRuleList": [],
            "nonTerminatingMatchingRules": [],
            "httpRequest": {
                "clientIp": ips.pool[ip_rank],
                "country": ips.countries[ip_rank],
                "headers": headers,
                "uri": uri,
                "args": args,
                "httpVersion": rng.choice(["HTTP/1.1", "HTTP/2.0"]),
                "httpMethod": "POST"
                if uri in ("/login", "/checkout", "/api/v1/cart")
                else rng.choice(["GET", "GET", "GET", "GET", "HEAD", "OPTIONS"]),
                "requestId": f"1-{ts // 1000:08x}-{_hex(rng, 96)}",
            },
            "responseTimeMs": response_ms,
        }


#: Every leaf field of a WAF document with its Elasticsearch type. The HTTP
#: scenario's index mapping and the raw-tantivy baseline schema are both built
#: from this one list, so both sides index exactly the same fields.
WAF_FIELDS: dict[str, str] = {
    "timestamp": "date",
    "formatVersion": "long",
    "webaclId": "keyword",
    "terminatingRuleId": "keyword",
    "terminatingRuleType": "keyword",
    "action": "keyword",
    "httpSourceName": "keyword",
    "httpSourceId": "keyword",
    "ruleGroupList.ruleGroupId": "keyword",
    "ruleGroupList.terminatingRule.ruleId": "keyword",
    "ruleGroupList.terminatingRule.action": "keyword",
    "ruleGroupList.nonTerminatingMatchingRules.ruleId": "keyword",
    "ruleGroupList.nonTerminatingMatchingRules.action": "keyword",
    "httpRequest.clientIp": "ip",
    "httpRequest.country": "keyword",
    "httpRequest.headers.name": "keyword",
    "httpRequest.headers.value": "text",
    "httpRequest.uri": "text",
    "httpRequest.args": "text",
    "httpRequest.httpVersion": "keyword",
    "httpRequest.httpMethod": "keyword",
    "httpRequest.requestId": "keyword",
    "responseTimeMs": "double",
}


def es_mapping(fields: dict[str, str]) -> Doc:
    """Nested Elasticsearch ``properties`` for dotted ``{path: type}`` pairs.

    ``date`` means epoch milliseconds; ``date_iso`` is a date in the default
    ISO 8601 format.
    """
    root: Doc = {}
    for path, es_type in fields.items():
        node = root
        *parents, leaf = path.split(".")
        for part in parents:
            node = node.setdefault(part, {"properties": {}})["properties"]
        if es_type == "date":
            node[leaf] = {"type": "date", "format": "epoch_millis"}
        elif es_type == "date_iso":
            node[leaf] = {"type": "date"}
        else:
            node[leaf] = {"type": es_type}
    return {"properties": root}


# --------------------------------------------------------------------------- CloudTrail

_USERS = [
    "alice",
    "bob",
    "carol",
    "dave",
    "erin",
    "frank",
    "grace",
    "heidi",
    "deploy-bot",
    "ci-runner",
    "backup-svc",
    "mallory",
]
# (eventSource, eventName, readOnly, weight)
_CT_EVENTS: list[tuple[str, str, bool, int]] = [
    ("ec2.amazonaws.com", "DescribeInstances", True, 30),
    ("s3.amazonaws.com", "GetObject", True, 25),
    ("s3.amazonaws.com", "PutObject", False, 10),
    ("sts.amazonaws.com", "AssumeRole", True, 15),
    ("iam.amazonaws.com", "ListRoles", True, 5),
    ("signin.amazonaws.com", "ConsoleLogin", False, 6),
    ("ec2.amazonaws.com", "AuthorizeSecurityGroupIngress", False, 2),
    ("ec2.amazonaws.com", "CreateVpc", False, 1),
    ("ec2.amazonaws.com", "CreateRoute", False, 1),
    ("ec2.amazonaws.com", "CreateSubnet", False, 1),
    ("ec2.amazonaws.com", "CreateNetworkAclEntry", False, 1),
    ("iam.amazonaws.com", "CreateUser", False, 1),
    ("iam.amazonaws.com", "AttachRolePolicy", False, 1),
    ("rds.amazonaws.com", "ModifyDBInstance", False, 1),
    ("cloudtrail.amazonaws.com", "StopLogging", False, 1),
    ("cloudtrail.amazonaws.com", "UpdateTrail", False, 1),
    ("logs.amazonaws.com", "DeleteLogGroup", False, 1),
]
_CT_CUM = list(accumulate(w for *_, w in _CT_EVENTS))
_CT_AGENTS = [
    "aws-cli/2.13.25 Python/3.11.5 Linux/5.10 exe/x86_64.amzn.2",
    "Boto3/1.28.62 md/Botocore#1.31.62 ua/2.0 os/linux#5.10 lang/python#3.11.5",
    "console.amazonaws.com",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) "
    "AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.0.0 Safari/537.36",
    "terraform/1.6.3 aws-sdk-go-v2/1.21.2",
]


def _ct_request_parameters(rng: random.Random, name: str) -> Doc | None:
    """A small, fixed set of key shapes so dynamic mapping stays bounded."""
    if name == "DescribeInstances":
        return {"instancesSet": {"items": [{"instanceId": f"i-{_hex(rng, 68)}"}]}}
    if name in ("GetObject", "PutObject"):
        bucket = rng.choice(["prod-assets", "cloudtrail-logs-123456789012", "data-lake-raw"])
        return {"bucketName": bucket, "key": f"{rng.randint(2020, 2023)}/{_hex(rng, 32)}.json"}
    if name == "AssumeRole":
        return {
            "roleArn": f"arn:aws:iam::{ACCOUNT_ID}:role/{rng.choice(['deploy', 'readonly'])}",
            "roleSessionName": _hex(rng, 32),
        }
    if name == "AuthorizeSecurityGroupIngress":
        return {
            "groupId": f"sg-{_hex(rng, 68)}",
            "ipPermissions": {"items": [{"ipProtocol": "tcp", "fromPort": 22, "toPort": 22}]},
        }
    if name in ("CreateUser", "AttachRolePolicy"):
        return {"userName": rng.choice(_USERS)}
    if name in ("StopLogging", "UpdateTrail"):
        return {"name": f"arn:aws:cloudtrail:us-east-1:{ACCOUNT_ID}:trail/management"}
    if name == "ModifyDBInstance":
        return {"dBInstanceIdentifier": "orders-db", "applyImmediately": True}
    return None


def cloudtrail_events(
    n: int, seed: int = DEFAULT_SEED, end_ms: int = DEFAULT_END_MS, span_ms: int = DAY_MS
) -> Iterator[Doc]:
    """CloudTrail records: API calls, console logins (some failed), a few by Root."""
    rng = random.Random(f"cloudtrail-{seed}")
    ips = _ZipfIps(seed)
    for ts in _timestamps(rng, n, end_ms, span_ms):
        source, name, read_only = _CT_EVENTS[
            rng.choices(range(len(_CT_EVENTS)), cum_weights=_CT_CUM)[0]
        ][:3]
        identity: Doc
        who = rng.random()
        if who < 0.01 or (name == "ConsoleLogin" and who < 0.05):
            identity = {
                "type": "Root",
                "principalId": ACCOUNT_ID,
                "arn": f"arn:aws:iam::{ACCOUNT_ID}:root",
                "accountId": ACCOUNT_ID,
            }
        elif who < 0.15 and name != "ConsoleLogin":
            identity = {
                "type": "AWSService",
                "invokedBy": rng.choice(
                    ["ec2.amazonaws.com", "lambda.amazonaws.com", "config.amazonaws.com"]
                ),
            }
        elif who < 0.45 and name != "ConsoleLogin":
            role = rng.choice(["deploy", "readonly", "lambda-exec"])
            identity = {
                "type": "AssumedRole",
                "principalId": f"AROA{_hex(rng, 64).upper()}",
                "arn": f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/{role}/session",
                "accountId": ACCOUNT_ID,
                "userName": role,
            }
        else:
            user = rng.choice(_USERS)
            identity = {
                "type": "IAMUser",
                "principalId": f"AIDA{_hex(rng, 64).upper()}",
                "arn": f"arn:aws:iam::{ACCOUNT_ID}:user/{user}",
                "accountId": ACCOUNT_ID,
                "userName": user,
            }
        event: Doc = {
            "eventVersion": "1.08",
            "userIdentity": identity,
            "eventTime": iso_millis(ts)[:19] + "Z",
            "eventSource": source,
            "eventName": name,
            "awsRegion": rng.choice(REGIONS),
            "sourceIPAddress": (
                ips.pool[ips.draw(rng)]
                if identity["type"] != "AWSService"
                else identity["invokedBy"]
            ),
            "userAgent": (
                "console.amazonaws.com" if name == "ConsoleLogin" else rng.choice(_CT_AGENTS)
            ),
            "requestParameters": _ct_request_parameters(rng, name),
            "responseElements": None,
            "requestID": _uuid(rng),
            "eventID": _uuid(rng),
            "readOnly": read_only,
            "eventType": "AwsConsoleSignIn" if name == "ConsoleLogin" else "AwsApiCall",
            "managementEvent": True,
            "recipientAccountId": ACCOUNT_ID,
        }
        if name == "ConsoleLogin":
            failed = rng.random() < 0.25
            event["responseElements"] = {"ConsoleLogin": "Failure" if failed else "Success"}
            event["additionalEventData"] = {
                "LoginTo": "https://console.aws.amazon.com/console/home",
                "MobileVersion": "No",
                "MFAUsed": rng.choice(["Yes", "No"]),
            }
            if failed:
                event["errorCode"] = "AccessDenied"
                event["errorMessage"] = "Failed authentication"
        elif rng.random() < 0.03:
            event["errorCode"] = rng.choice(["AccessDenied", "UnauthorizedOperation"])
            event["errorMessage"] = "User is not authorized to perform this operation"
        yield event


# --------------------------------------------------------------------------- VPC flow logs

VPC_FLOW_FIELDS = [
    "version",
    "account-id",
    "interface-id",
    "srcaddr",
    "dstaddr",
    "srcport",
    "dstport",
    "protocol",
    "packets",
    "bytes",
    "start",
    "end",
    "action",
    "log-status",
]
_VPC_INT = {"srcport", "dstport", "protocol", "packets", "bytes", "start", "end", "version"}


def parse_vpc_flow_line(line: str) -> Doc:
    """Parse a version-2 flow log line into named fields, dropping ``-`` placeholders."""
    doc: Doc = {"message": line}
    for key, raw in zip(VPC_FLOW_FIELDS, line.split(" "), strict=True):
        if raw == "-":
            continue
        doc[key] = int(raw) if key in _VPC_INT else raw
    if "start" in doc:
        doc["timestamp"] = doc["start"] * 1000
    return doc


def vpc_flow_lines(
    n: int, seed: int = DEFAULT_SEED, end_ms: int = DEFAULT_END_MS, span_ms: int = DAY_MS
) -> Iterator[str]:
    """Version-2 space-separated flow log records, as CloudWatch Logs delivers them."""
    rng = random.Random(f"vpcflow-{seed}")
    ips = _ZipfIps(seed)
    enis = [f"eni-{_hex(rng, 68)}" for _ in range(40)]
    internal = [f"10.0.{rng.randint(0, 15)}.{rng.randint(2, 254)}" for _ in range(200)]
    services = [(443, 6), (80, 6), (22, 6), (3306, 6), (5432, 6), (53, 17), (123, 17)]
    for ts in _timestamps(rng, n, end_ms, span_ms):
        start = ts // 1000
        end = start + rng.randint(1, 60)
        eni = rng.choice(enis)
        if rng.random() < 0.01:
            status = rng.choice(["NODATA", "SKIPDATA"])
            yield f"2 {ACCOUNT_ID} {eni} - - - - - - - {start} {end} - {status}"
            continue
        port, proto = rng.choice(services)
        host = rng.choice(internal)
        peer = ips.pool[ips.draw(rng)]
        inbound = rng.random() < 0.6
        src, dst = (peer, host) if inbound else (host, peer)
        sport, dport = (
            (rng.randint(1024, 65535), port) if inbound else (port, rng.randint(1024, 65535))
        )
        reject = inbound and (port in (22, 3306, 5432) or rng.random() < 0.05)
        packets = rng.randint(1, 5) if reject else rng.randint(1, 2000)
        size = packets * rng.randint(40, 1500)
        action = "REJECT" if reject else "ACCEPT"
        yield (
            f"2 {ACCOUNT_ID} {eni} {src} {dst} {sport} {dport} {proto} {packets} {size} "
            f"{start} {end} {action} OK"
        )


def vpc_flow_logs(
    n: int, seed: int = DEFAULT_SEED, end_ms: int = DEFAULT_END_MS, span_ms: int = DAY_MS
) -> Iterator[Doc]:
    """Flow log records with the raw line in ``message`` and its parsed fields."""
    for line in vpc_flow_lines(n, seed, end_ms, span_ms):
        yield parse_vpc_flow_line(line)


# --------------------------------------------------------------------------- IoT metrics


@dataclass
class _Sensor:
    """One simulated sensor; ``report`` advances it one tick (the seed's simulator)."""

    sensor_id: str
    metric: str
    pattern: str  # sine | const | drift | monotonic
    value: float
    scale: float
    period_s: float = 3600.0

    def report(self, rng: random.Random, ts_ms: int) -> float:
        if self.pattern == "sine":
            phase = 2 * math.pi * (ts_ms / 1000.0) / self.period_s
            return round(self.value + self.scale * math.sin(phase), 3)
        if self.pattern == "const":
            return round(self.value + rng.uniform(-self.scale, self.scale), 3)
        if self.pattern == "drift":
            self.value += rng.gauss(0.0, self.scale)
            return round(self.value, 3)
        current = self.value  # monotonic: report, then step up by delta with fuzz
        self.value += self.scale * (1 + rng.uniform(-0.1, 0.1))
        return round(current, 3)


def iot_metrics(
    n: int,
    seed: int = DEFAULT_SEED,
    end_ms: int = DEFAULT_END_MS,
    span_ms: int = DAY_MS,
    devices: int = 50,
) -> Iterator[Doc]:
    """Device sensor reports: temperature (sine), humidity (constant with fuzz),
    cpu (drifting; on device 0 monotonically rising, the seed's failing device) and
    an uptime counter (monotonic)."""
    rng = random.Random(f"iot-{seed}")
    fleet: list[tuple[str, list[_Sensor]]] = []
    for d in range(devices):
        name = f"device-{d:03d}"
        cpu = (
            _Sensor(_uuid(rng), "cpu", "monotonic", 50.0, 0.0)
            if d == 0
            else _Sensor(_uuid(rng), "cpu", "drift", rng.uniform(10, 40), 0.5)
        )
        fleet.append(
            (
                name,
                [
                    _Sensor(
                        _uuid(rng),
                        "temperature",
                        "sine",
                        rng.uniform(18, 24),
                        rng.uniform(2, 6),
                        rng.choice([3600.0, 7200.0, 86400.0]),
                    ),
                    _Sensor(_uuid(rng), "humidity", "const", rng.uniform(35, 60), 1.5),
                    cpu,
                    _Sensor(_uuid(rng), "uptime", "monotonic", 0.0, 60.0),
                ],
            )
        )
    per_tick = sum(len(sensors) for _, sensors in fleet)
    ticks = max(1, -(-n // per_tick))
    fleet[0][1][2].scale = 50.0 / ticks  # device-000's cpu climbs from 50% to 100% over the span
    emitted = 0
    for ts in _timestamps(rng, ticks, end_ms, span_ms):
        for name, sensors in fleet:
            for sensor in sensors:
                if emitted == n:
                    return
                emitted += 1
                yield {
                    "timestamp": ts,
                    "device": name,
                    "sensor": sensor.sensor_id,
                    "metric": sensor.metric,
                    "value": sensor.report(rng, ts),
                }


# --------------------------------------------------------------------------- mappings

#: Explicit fields of the secondary indices. The benchmark creates every index
#: with ``"dynamic": false``, so the rest of a CloudTrail record stays in
#: ``_source`` only, unindexed.
CLOUDTRAIL_FIELDS: dict[str, str] = {
    "eventTime": "date_iso",
    "eventSource": "keyword",
    "eventName": "keyword",
    "userIdentity.type": "keyword",
    "userIdentity.userName": "keyword",
    "userIdentity.arn": "keyword",
    "sourceIPAddress": "keyword",
    "awsRegion": "keyword",
    "errorCode": "keyword",
    "errorMessage": "text",
}
VPC_FIELDS: dict[str, str] = {
    "message": "text",
    "version": "long",
    "account-id": "keyword",
    "interface-id": "keyword",
    "srcaddr": "ip",
    "dstaddr": "ip",
    "srcport": "long",
    "dstport": "long",
    "protocol": "long",
    "packets": "long",
    "bytes": "long",
    "start": "long",
    "end": "long",
    "action": "keyword",
    "log-status": "keyword",
    "timestamp": "date",
}
IOT_FIELDS: dict[str, str] = {
    "timestamp": "date",
    "device": "keyword",
    "sensor": "keyword",
    "metric": "keyword",
    "value": "double",
}
FIELDS: dict[str, dict[str, str]] = {
    "waf": WAF_FIELDS,
    "cloudtrail": CLOUDTRAIL_FIELDS,
    "vpcflow": VPC_FIELDS,
    "iot": IOT_FIELDS,
}


# --------------------------------------------------------------------------- bulk bodies

GENERATORS: dict[str, Callable[..., Iterator[Doc]]] = {
    "waf": waf_logs,
    "cloudtrail": cloudtrail_events,
    "vpcflow": vpc_flow_logs,
    "iot": iot_metrics,
}


@dataclass(frozen=True)
class BulkBody:
    """One ``_bulk`` request body and what it carries."""

    body: bytes
    docs: int
    #: Bytes of the document lines alone (with their newlines): the raw input size.
    source_bytes: int


def bulk_bodies(docs: Iterable[Doc], index: str, batch: int = 1000) -> Iterator[BulkBody]:
    """NDJSON ``_bulk`` bodies of ``batch`` index operations each (the last may be short)."""
    action = orjson.dumps({"index": {"_index": index}}) + b"\n"
    parts: list[bytes] = []
    count = source = 0
    for doc in docs:
        line = orjson.dumps(doc) + b"\n"
        parts.append(action)
        parts.append(line)
        count += 1
        source += len(line)
        if count == batch:
            yield BulkBody(b"".join(parts), count, source)
            parts, count, source = [], 0, 0
    if count:
        yield BulkBody(b"".join(parts), count, source)


def ndjson_bulk_bodies(
    kind: str,
    n: int,
    index: str,
    seed: int = DEFAULT_SEED,
    batch: int = 1000,
    end_ms: int = DEFAULT_END_MS,
) -> Iterator[BulkBody]:
    """``_bulk`` bodies for ``n`` generated documents of one log type."""
    return bulk_bodies(GENERATORS[kind](n, seed=seed, end_ms=end_ms), index, batch)
