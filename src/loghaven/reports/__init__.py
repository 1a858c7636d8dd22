"""Scheduled reports: OpenSearch's Reporting plugin API over saved searches and queries,
rendered into messages (text, HTML, CSV) and sent to notification channels; the PCI-DSS pack."""
