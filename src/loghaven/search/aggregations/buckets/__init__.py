"""Bucket aggregations: nodes that split documents into buckets holding sub-aggregations."""
