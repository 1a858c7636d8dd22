"""Delivery streams, as Kinesis Data Firehose has them: producers put records (api/firehose.py),
each stream keeps them in a durable buffer on disk (buffer.py), and a scheduler job per stream
flushes them by size and time (delivery.py): optional transformation (transform.py), delivery to
an index that rotates or to a Splunk HEC endpoint with retries, and backups of all or only the
failed records to object storage in Firehose's layout (backup.py over storage/objects.py).
The streams' configuration is in the metastore (store.py); service.py is their one entry point.
"""
