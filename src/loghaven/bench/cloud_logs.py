"""Seeded CloudTrail events and VPC flow logs (the secondary indices of the benchmark)."""

from __future__ import annotations

import random
from collections.abc import Iterator
from itertools import accumulate

from loghaven.bench.sampling import (
    ACCOUNT_ID,
    DAY_MS,
    DEFAULT_END_MS,
    DEFAULT_SEED,
    REGIONS,
    Doc,
    ZipfIps,
    iso_millis,
    random_hex,
    random_uuid,
    timestamps,
)

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
        return {"instancesSet": {"items": [{"instanceId": f"i-{random_hex(rng, 68)}"}]}}
    if name in ("GetObject", "PutObject"):
        bucket = rng.choice(["prod-assets", "cloudtrail-logs-123456789012", "data-lake-raw"])
        return {"bucketName": bucket, "key": f"{rng.randint(2020, 2023)}/{random_hex(rng, 32)}.json"}
    if name == "AssumeRole":
        return {
            "roleArn": f"arn:aws:iam::{ACCOUNT_ID}:role/{rng.choice(['deploy', 'readonly'])}",
            "roleSessionName": random_hex(rng, 32),
        }
    if name == "AuthorizeSecurityGroupIngress":
        return {
            "groupId": f"sg-{random_hex(rng, 68)}",
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
    ips = ZipfIps(seed)
    for ts in timestamps(rng, n, end_ms, span_ms):
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
                "principalId": f"AROA{random_hex(rng, 64).upper()}",
                "arn": f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/{role}/session",
                "accountId": ACCOUNT_ID,
                "userName": role,
            }
        else:
            user = rng.choice(_USERS)
            identity = {
                "type": "IAMUser",
                "principalId": f"AIDA{random_hex(rng, 64).upper()}",
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
            "requestID": random_uuid(rng),
            "eventID": random_uuid(rng),
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
    ips = ZipfIps(seed)
    enis = [f"eni-{random_hex(rng, 68)}" for _ in range(40)]
    internal = [f"10.0.{rng.randint(0, 15)}.{rng.randint(2, 254)}" for _ in range(200)]
    services = [(443, 6), (80, 6), (22, 6), (3306, 6), (5432, 6), (53, 17), (123, 17)]
    for ts in timestamps(rng, n, end_ms, span_ms):
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
