"""Notifications: channels, hosted topics, delivery with retries."""
