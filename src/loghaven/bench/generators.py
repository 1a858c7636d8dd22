"""Seeded, streaming generators of the log types in the seed articles.

Every generator yields plain dicts one at a time, so a benchmark of millions of
documents never holds them all in memory and no data file is ever committed.
The same ``(n, seed, end_ms)`` always yields the same documents, byte for byte
once serialised, so runs on different days and machines index the same input.

Timestamps are spread evenly (with jitter, never going backwards) over the
``span_ms`` before ``end_ms``; the default end is a fixed instant rather than
"now" so that queries over "the last 15 minutes" or "24 h of 1-minute buckets"
are reproducible.

The shared randomness is in ``sampling.py``, CloudTrail and VPC flow logs in ``cloud_logs.py``,
IoT metrics in ``iot.py``; this module has the WAF logs, the mappings of every log type, the
registry of generators and the ``_bulk`` bodies made from them.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import orjson

from loghaven.bench.cloud_logs import cloudtrail_events, vpc_flow_logs
from loghaven.bench.iot import iot_metrics
from loghaven.bench.sampling import (
    ACCOUNT_ID,
    DAY_MS,
    DEFAULT_END_MS,
    DEFAULT_SEED,
    WAF_BLOCK_RATE,
    Doc,
    ZipfIps,
    random_hex,
    timestamps,
)

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
    ips = ZipfIps(seed)
    for ts in timestamps(rng, n, end_ms, span_ms):
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
            headers.append({"name": "Cookie", "value": f"session={random_hex(rng, 96)}"})
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
                "requestId": f"1-{ts // 1000:08x}-{random_hex(rng, 96)}",
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
