"""Loghaven: log analytics and search on tantivy, speaking the OpenSearch REST API."""

__version__ = "0.1.0"
