"""The error log and the search and indexing slow logs (service.py wires them to a node)."""
