"""Metric aggregations: leaves that compute values over a bucket's documents."""
