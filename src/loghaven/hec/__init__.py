"""Splunk's HTTP Event Collector on the main port (api/hec.py): JSON events and raw lines in,
written through the write service; tokens bound to allowed indexes and a default index;
indexer acknowledgements per channel that turn true only when the events are durable.
"""
