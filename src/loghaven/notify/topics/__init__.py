"""Hosted SNS-style topics: topics and subscriptions in the metastore, publishing with a
durable queue, background fan-out with retries, and dead letters (TopicService = node.topics).
"""
