"""OpenSearch's snapshot management: policies that create snapshots on a cron schedule and
delete them by count and age (``_plugins/_sm/policies``), as scheduler jobs."""
