"""Alerting, as OpenSearch's Alerting plugin: monitors, triggers, actions, alerts and findings."""
