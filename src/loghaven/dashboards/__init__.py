"""Saved objects of the UI (index patterns, searches, visualizations, dashboards, config):
stored in the metastore, imported and exported in OpenSearch Dashboards' NDJSON format and
Kibana 6's ``export.json``, and the built-in WAF and PCI-DSS dashboards installed at start.

The UI (ui/static) renders these objects; this package only keeps and moves them. Their
attributes are OpenSearch Dashboards' own (``visState``, ``panelsJSON``,
``kibanaSavedObjectMeta.searchSourceJSON`` as JSON strings, ``references``), so an export from
OpenSearch Dashboards imports here and ours imports there.
"""
