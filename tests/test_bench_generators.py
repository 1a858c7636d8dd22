"""The benchmark's data generators: deterministic per seed, shaped like the real logs."""

from __future__ import annotations

import ipaddress
from collections import Counter
from itertools import islice, pairwise

import orjson
import pytest

from loghaven.bench import cloud_logs, iot, sampling
from loghaven.bench import generators as g
from loghaven.bench.baseline import flatten


def _dump(docs: object) -> list[bytes]:
    return [orjson.dumps(d) for d in docs]  # type: ignore[attr-defined]


@pytest.mark.parametrize("kind", sorted(g.GENERATORS))
def test_same_seed_same_bytes_other_seed_other_bytes(kind: str) -> None:
    gen = g.GENERATORS[kind]
    assert _dump(gen(300, seed=7)) == _dump(gen(300, seed=7))
    assert _dump(gen(300, seed=7)) != _dump(gen(300, seed=8))


@pytest.mark.parametrize("kind", sorted(g.GENERATORS))
def test_streams_exactly_n_in_time_order_within_the_day(kind: str) -> None:
    docs = list(g.GENERATORS[kind](1000, seed=1))
    assert len(docs) == 1000
    if kind == "cloudtrail":
        stamps = [d["eventTime"] for d in docs]  # ISO strings sort like instants
        assert stamps[0] >= sampling.iso_millis(sampling.DEFAULT_END_MS - sampling.DAY_MS)[:19]
    else:
        stamps = [d.get("timestamp", 0) for d in docs if "timestamp" in d]
        assert all(sampling.DEFAULT_END_MS - sampling.DAY_MS <= t < sampling.DEFAULT_END_MS for t in stamps)
    assert stamps == sorted(stamps)


def test_generator_is_lazy() -> None:
    # A 10-billion document stream must not be materialised to take its head.
    head = list(islice(g.waf_logs(10_000_000_000), 3))
    assert len(head) == 3


def test_waf_shape() -> None:
    doc = next(g.waf_logs(1))
    assert isinstance(doc["timestamp"], int) and doc["timestamp"] > 1_600_000_000_000
    assert doc["action"] in ("ALLOW", "BLOCK")
    for key in (
        "webaclId",
        "terminatingRuleId",
        "terminatingRuleType",
        "httpSourceName",
        "httpSourceId",
        "ruleGroupList",
    ):
        assert key in doc
    req = doc["httpRequest"]
    ipaddress.IPv4Address(req["clientIp"])
    assert len(req["country"]) == 2
    assert {"name", "value"} <= set(req["headers"][0])
    assert {h["name"] for h in req["headers"]} >= {"Host", "User-Agent"}
    for key in ("uri", "args", "httpVersion", "httpMethod", "requestId"):
        assert isinstance(req[key], str)
    assert isinstance(doc["responseTimeMs"], float)
    # Every mapped field is present in the flattened document under its dotted path,
    # and nothing the mapping misses carries a value.
    flat = flatten(doc)
    assert {k for k in flat if k in g.WAF_FIELDS} >= {
        k for k in g.WAF_FIELDS if not k.startswith("ruleGroupList.")
    }
    assert set(flat) <= set(g.WAF_FIELDS)


def test_waf_about_ten_percent_blocked_and_badname_args() -> None:
    docs = list(g.waf_logs(20_000, seed=3))
    actions = Counter(d["action"] for d in docs)
    assert 0.09 <= actions["BLOCK"] / len(docs) <= 0.11
    badname = [d for d in docs if d["httpRequest"]["args"] == "name=badname"]
    assert badname and sum(d["action"] == "BLOCK" for d in badname) / len(badname) > 0.8
    blocked = [d for d in docs if d["action"] == "BLOCK"]
    assert all(d["terminatingRuleId"] != "Default_Action" for d in blocked)


def test_waf_client_ips_are_zipf_skewed_over_the_pool() -> None:
    docs = list(g.waf_logs(50_000, seed=5))
    counts = Counter(d["httpRequest"]["clientIp"] for d in docs)
    ranked = [c for _ip, c in counts.most_common()]
    pool = sampling.ip_pool(5)
    assert len(set(pool)) == sampling.IP_POOL_SIZE
    # The most popular addresses are the pool's first ones, and popularity falls as 1/k^s.
    assert [ip for ip, _ in counts.most_common(3)] == pool[:3]
    assert 1.6 < ranked[0] / ranked[1] < 2.6
    assert 2.4 < ranked[0] / ranked[2] < 4.0
    # Heavy head, long tail: the top 1% of seen addresses carry a large share.
    top = sum(ranked[: len(ranked) // 100])
    assert top / len(docs) > 0.3
    assert len(counts) > 5_000


def test_cloudtrail_shape_root_and_failed_console_logins() -> None:
    events = list(cloud_logs.cloudtrail_events(5_000, seed=2))
    for key in (
        "eventTime",
        "eventSource",
        "eventName",
        "userIdentity",
        "sourceIPAddress",
        "awsRegion",
    ):
        assert all(key in e for e in events)
    assert any(e["userIdentity"]["type"] == "Root" for e in events)
    assert all(
        "arn" in e["userIdentity"]
        for e in events
        if e["userIdentity"]["type"] in ("Root", "IAMUser", "AssumedRole")
    )
    failed = [e for e in events if e["eventName"] == "ConsoleLogin" and "errorMessage" in e]
    assert failed
    assert all(e["errorMessage"] == "Failed authentication" and e["errorCode"] for e in failed)
    assert all(e["responseElements"] == {"ConsoleLogin": "Failure"} for e in failed)
    assert any(e["requestParameters"] for e in events)


def test_vpc_flow_lines_parse_into_fields() -> None:
    lines = list(cloud_logs.vpc_flow_lines(2_000, seed=4))
    assert all(len(line.split(" ")) == 14 and line.startswith("2 ") for line in lines)
    docs = [cloud_logs.parse_vpc_flow_line(line) for line in lines]
    assert docs == list(cloud_logs.vpc_flow_logs(2_000, seed=4))
    ok = [d for d in docs if d["log-status"] == "OK"]
    assert ok and all(d["action"] in ("ACCEPT", "REJECT") for d in ok)
    ipaddress.IPv4Address(ok[0]["srcaddr"])
    assert isinstance(ok[0]["bytes"], int) and ok[0]["end"] >= ok[0]["start"]
    nodata = [d for d in docs if d["log-status"] != "OK"]
    assert nodata and all("srcaddr" not in d for d in nodata)


def test_iot_patterns() -> None:
    docs = list(iot.iot_metrics(200 * 40, seed=9, devices=10))
    series: dict[tuple[str, str], list[float]] = {}
    for d in docs:
        series.setdefault((d["device"], d["metric"]), []).append(d["value"])
        assert set(d) == {"timestamp", "device", "sensor", "metric", "value"}
    uptime = series[("device-003", "uptime")]
    assert all(b > a for a, b in pairwise(uptime))
    cpu0 = series[("device-000", "cpu")]  # the failing device: 50% rising towards 100%
    assert cpu0 == sorted(cpu0) and 49 < cpu0[0] < 51 and 95 < cpu0[-1] <= 101
    hum = series[("device-001", "humidity")]
    assert max(hum) - min(hum) <= 3.0 + 1e-9
    temp = series[("device-001", "temperature")]
    assert max(temp) - min(temp) > 1.0


def test_bulk_bodies_are_ndjson_with_counts() -> None:
    bodies = list(g.ndjson_bulk_bodies("waf", 2_500, "bench-waf", seed=1, batch=1000))
    assert [b.docs for b in bodies] == [1000, 1000, 500]
    lines = bodies[0].body.split(b"\n")
    assert lines[-1] == b"" and len(lines) == 2001
    assert orjson.loads(lines[0]) == {"index": {"_index": "bench-waf"}}
    assert bodies[0].source_bytes == sum(len(x) + 1 for x in lines[1:-1:2])
    first_docs = [orjson.loads(x) for x in lines[1:-1:2]]
    assert first_docs == list(islice(g.waf_logs(2_500, seed=1), 1000))


def test_es_mapping_nests_dotted_paths() -> None:
    mapping = g.es_mapping(g.WAF_FIELDS)["properties"]
    assert mapping["timestamp"] == {"type": "date", "format": "epoch_millis"}
    assert mapping["httpRequest"]["properties"]["clientIp"] == {"type": "ip"}
    assert mapping["httpRequest"]["properties"]["headers"]["properties"]["value"] == {
        "type": "text"
    }
