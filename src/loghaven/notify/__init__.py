"""Notifications: channel configurations (OpenSearch's Notifications plugin) and their
delivery to Slack, Chime, Microsoft Teams, custom webhooks, email over SMTP and SNS."""
