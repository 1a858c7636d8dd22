"""A maintained HEC client from PyPI, ``splunk-data-sender`` (gzip bodies, the channel in
the URL or the header, indexer acknowledgement), pointed at Loghaven over loopback."""

from __future__ import annotations

import time
import uuid

import pytest
from splunk_data_sender import SplunkSender

from conftest import Server

from .conftest import TOKENS, sources


def sender(server: Server, token: str, **options: object) -> SplunkSender:
    return SplunkSender(endpoint="127.0.0.1", port=str(server.port), protocol="http",
                        verify=False, token=token, retry_count=0, timeout=10, **options)


@pytest.mark.parametrize("channel_in", ["url", "header"])
def test_events_with_indexer_acknowledgement(hec: Server, channel_in: str) -> None:
    index = f"hec-client-{channel_in}"
    client = sender(hec, TOKENS["acked"], index=index, source="billing", hostname="app-7",
                    source_type="_json", channel=str(uuid.uuid4()), channel_in=channel_in,
                    allow_overrides=True)
    assert client.get_health() is True
    answer = client.send_data([{"invoice": 1, "total": 9.5}, {"invoice": 2, "total": 3.0}])
    assert answer == {"text": "Success", "code": 0, "ackId": 0}
    deadline = time.monotonic() + 10
    acked = client.send_acks(answer["ackId"])
    while acked["acks"] != {"0": True} and time.monotonic() < deadline:
        time.sleep(0.05)
        acked = client.send_acks(answer["ackId"])
    assert acked == {"acks": {"0": True}}
    found = sources(hec, index)
    assert [(d["invoice"], d["total"]) for d in found] == [(1, 9.5), (2, 3.0)]
    # with sourcetype _json the client also sends the record as indexed fields: each name
    # is the event's already, so they are kept under splunk.fields
    assert found[0]["splunk"] == {"host": "app-7", "source": "billing", "sourcetype": "_json",
                                  "index": index, "fields": {"invoice": 1, "total": 9.5}}


def test_refusals_reach_the_client(hec: Server) -> None:
    client = sender(hec, "0b7c1d8e-0000-4000-8000-0000000000aa", index="main")
    with pytest.raises(Exception, match="403"):
        client.send_data({"event": "x"})
