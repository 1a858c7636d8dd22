"""Splunk's HTTP Event Collector on the main port (api/hec.py): JSON events and raw lines in,
written through the write service; tokens bound to allowed indexes and a default index;
indexer acknowledgements per channel that turn true only when the events are durable.

errors.py (Splunk's status codes), events.py (bodies → documents), acks.py (channels and
ackIds over the write-ahead log's fsynced mark), service.py (``node.hec``: the token of a
request, its writes, acks, health). Tokens are security/hec_tokens.py's; Splunk's token
endpoints are api/hec_inputs.py.
"""
