"""Server configuration: defaults, then ``loghaven.yml``, then ``LOGHAVEN_*``, then flags."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import yaml

from loghaven.params import parse_byte_size

#: OpenSearch's default ``plugins.security.compliance.salt`` (ConfigConstants): the salt of
#: masked fields' hashes (search/field_security.py).
DEFAULT_SALT = "e1ukloTsQlOgPquJ"

#: ``loghaven.yml`` keys (ES-style dotted names) → Config attributes.
FILE_KEYS = {
    "http.host": "host",
    "network.host": "host",
    "http.port": "port",
    "path.data": "data_dir",
    "http.elastic_product_header": "elastic_product_header",
    "http.max_content_length": "max_content_length",
    "cluster.name": "cluster_name",
    "node.name": "node_name",
    "logger.level": "log_level",
    "ingest.workers": "ingest_workers",
    "indices.query.bool.max_clause_count": "max_clause_count",
    "indices.query.bool.max_nested_depth": "max_nested_depth",
    "ingest.grok.watchdog.max_execution_time": "grok_max_execution_time",
    "ingest.parsers.install": "ingest_parsers_install",
    "ingest.geoip.cache_size": "geoip_cache_size",
    "ingest.user_agent.cache_size": "user_agent_cache_size",
    "http.allow_anonymous": "allow_anonymous",
    "http.allowed_hosts": "allowed_hosts",
    "http.cors.enabled": "cors_enabled",
    "http.cors.allow-origin": "cors_allow_origin",
    "http.cors.max-age": "cors_max_age",
    "http.cors.allow-methods": "cors_allow_methods",
    "http.cors.allow-headers": "cors_allow_headers",
    "http.cors.allow-credentials": "cors_allow_credentials",
    "http.cors.expose-headers": "cors_expose_headers",
    "security.enabled": "security_enabled",
    "http.ssl.certificate": "ssl_certificate",
    "http.ssl.key": "ssl_key",
    "security.audit.enabled": "audit_enabled",
    "security.audit.log_granted": "audit_log_granted",
    "security.login.allowed_tries": "login_allowed_tries",
    "security.login.time_window": "login_time_window",
    "security.login.block_expiry": "login_block_expiry",
    "security.session.timeout": "session_timeout",
    "security.api_tokens.max_tokens": "api_tokens_max_tokens",
    "security.api_tokens.max_duration_seconds": "api_tokens_max_duration_seconds",
    "security.compliance.salt": "compliance_salt",
    "notifications.retry.attempts": "notifications_retry_attempts",
    "notifications.retry.backoff": "notifications_retry_backoff",
    "notifications.timeout": "notifications_timeout",
    "notifications.max_concurrent_sends": "notifications_max_concurrent_sends",
    "notifications.vendor_url_check": "notifications_vendor_url_check",
    "notifications.sns.endpoint_url": "notifications_sns_endpoint_url",
    "plugins.alerting.alert_history_rollover_period": "alert_history_rollover_period",
    "plugins.alerting.alert_history_max_age": "alert_history_max_age",
    "plugins.alerting.alert_history_max_docs": "alert_history_max_docs",
    "plugins.alerting.alert_history_retention_period": "alert_history_retention_period",
    "plugins.alerting.alert_finding_rollover_period": "finding_history_rollover_period",
    "plugins.alerting.finding_history_max_age": "finding_history_max_age",
    "plugins.alerting.alert_finding_max_docs": "finding_history_max_docs",
    "plugins.alerting.finding_history_retention_period": "finding_history_retention_period",
    "notifications.topics.region": "topics_region",
    "notifications.topics.account_id": "topics_account_id",
    "notifications.topics.public_url": "topics_public_url",
    "notifications.topics.workers": "topics_workers",
    "notifications.topics.retry.attempts": "topics_retry_attempts",
    "notifications.topics.retry.backoff": "topics_retry_backoff",
    "notifications.topics.timeout": "topics_timeout",
    "notifications.topics.email_account": "topics_email_account",
    "plugins.alerting.monitor_workers": "alerting_monitor_workers",
    "streams.region": "streams_region",
    "streams.account_id": "streams_account_id",
    "streams.workers": "streams_workers",
    "streams.buffer.max_bytes": "streams_buffer_max_bytes",
    "streams.transform.timeout": "streams_transform_timeout",
    "object_store.type": "object_store_type",
    "object_store.path": "object_store_path",
    "object_store.s3.endpoint": "object_store_s3_endpoint",
    "object_store.s3.region": "object_store_s3_region",
    "object_store.s3.access_key": "object_store_s3_access_key",
    "object_store.s3.secret_key": "object_store_s3_secret_key",
    "object_store.s3.path_style": "object_store_s3_path_style",
    "hec.enabled": "hec_enabled",
    "hec.tokens": "hec_tokens",
    "hec.ack.channel_timeout": "hec_ack_channel_timeout",
    "hec.ack.max_pending": "hec_ack_max_pending",
    "dashboards.builtin.install": "dashboards_builtin_install",
    "warm.bucket": "warm_bucket",
    "warm.compression_level": "warm_compression_level",
    "warm.cache.path": "warm_cache_path",
    "warm.cache.size": "warm_cache_size",
    "warm.cache.prefetch_threads": "warm_prefetch_threads",
    "warm.orphan_grace": "warm_orphan_grace",
    "path.repo": "path_repo",
    "plugins.index_state_management.enabled": "ism_enabled",
    "plugins.index_state_management.job_interval": "ism_job_interval",
    "plugins.snapshot_management.enabled": "sm_enabled",
    "node.memory.limit": "node_memory_limit",
    "ops.metrics.interval": "ops_metrics_interval",
    "ops.metrics.retention": "ops_metrics_retention",
    "ops.alarms.enabled": "ops_alarms_enabled",
    "ops.alarms.channel": "ops_alarms_channel",
    "logs.path": "logs_path",
    "logs.max_size": "logs_max_size",
    "logs.max_files": "logs_max_files",
    "ops.logs.retention": "ops_logs_retention",
    "plugins.reports.enabled": "reports_enabled",
    "plugins.sql.enabled": "sql_enabled",
    "plugins.ppl.enabled": "ppl_enabled",
    "plugins.query.size_limit": "sql_size_limit",
    "plugins.sql.cursor.keep_alive": "sql_cursor_keep_alive",
    "savedObjects.maxImportPayloadBytes": "saved_objects_max_import_payload_bytes",
    "savedObjects.maxImportExportSize": "saved_objects_max_import_export_size",
}


@dataclass
class Config:
    host: str = "127.0.0.1"
    port: int = 9200
    data_dir: Path = Path("data")
    elastic_product_header: bool = False
    max_content_length: int = 100 * 1024 * 1024
    cluster_name: str = "loghaven"
    node_name: str = "loghaven-1"
    log_level: str = "info"
    #: Processes that prepare bulk documents beside the server's (ingest/workers.py).
    ingest_workers: int = field(default_factory=lambda: max(0, (os.cpu_count() or 1) - 1))
    #: Static search limits, as ES's node settings of the same names (search/limits.py).
    max_clause_count: int = 1024
    max_nested_depth: int = 20
    #: How long one grok match may run before it fails (ES's static node setting and
    #: default; ingest/grok).
    grok_max_execution_time: str = "1s"
    #: Store the built-in parsers' pipelines and index templates that are missing at start
    #: (ingest/parsers).
    ingest_parsers_install: bool = True
    #: Entries of the geoip and user_agent processors' lookup caches, per process (ES's
    #: static node settings and defaults; 0: no cache).
    geoip_cache_size: int = 1000
    user_agent_cache_size: int = 1000
    #: Listen beyond loopback although there is no authentication (network.py).
    allow_anonymous: bool = False
    #: Extra names clients may send in ``Host`` (DNS-rebinding defence, api/host_check.py).
    allowed_hosts: list[str] = field(default_factory=list)
    #: Elasticsearch's ``http.cors.*`` settings and defaults (api/cors.py).
    cors_enabled: bool = False
    cors_allow_origin: str = ""
    cors_max_age: int = 1728000
    cors_allow_methods: str = "OPTIONS,HEAD,GET,POST,PUT,DELETE"
    cors_allow_headers: str = "X-Requested-With,Content-Type,Content-Length"
    cors_allow_credentials: bool = False
    cors_expose_headers: str = "X-elastic-product"
    #: Authentication and authorization (security/); off by default on loopback.
    security_enabled: bool = False
    #: PEM certificate (chain) and key files: HTTPS when both are set.
    ssl_certificate: str = ""
    ssl_key: str = ""
    #: The audit log (security/audit.py); granted requests only when asked for.
    audit_enabled: bool = True
    audit_log_granted: bool = False
    #: Failed-login throttling per user and per address, as OpenSearch's auth-failure
    #: listeners: this many failures within the window (seconds) block for the expiry.
    login_allowed_tries: int = 10
    login_time_window: int = 3600
    login_block_expiry: int = 600
    #: Seconds a UI session lives without use.
    session_timeout: int = 3600
    #: OpenSearch's ``config.dynamic.api_tokens`` limits: keys kept (revoked ones count; at
    #: most 1000), and the longest ``duration_seconds`` (90 days; 0: no maximum, and then
    #: only may a key never expire).
    api_tokens_max_tokens: int = 100
    api_tokens_max_duration_seconds: int = 7_776_000
    #: The salt of masked fields' hashes (search/field_security.py): its first 16 bytes.
    compliance_salt: str = DEFAULT_SALT
    #: Channel deliveries (notify/service.py): attempts per send, the first retry's wait in
    #: seconds (doubling), each attempt's timeout in seconds, and sends at once.
    notifications_retry_attempts: int = 3
    notifications_retry_backoff: str = "1s"
    notifications_timeout: str = "10s"
    notifications_max_concurrent_sends: int = 8
    #: OpenSearch's checks that Slack, Chime and Teams URLs are those services' webhook hosts.
    notifications_vendor_url_check: bool = True
    #: The SNS endpoint for topics not hosted here (boto3's default, from the ARN's region).
    notifications_sns_endpoint_url: str = ""
    #: OpenSearch Alerting's history indices (alerting/history.py): how often rollover and
    #: expiry run, when the write index rolls over (age, documents), and how long an index
    #: is kept; the alerts' and the findings' (time values as ES writes them).
    alert_history_rollover_period: str = "12h"
    alert_history_max_age: str = "30d"
    alert_history_max_docs: int = 1000
    alert_history_retention_period: str = "60d"
    finding_history_rollover_period: str = "12h"
    finding_history_max_age: str = "30d"
    finding_history_max_docs: int = 1000
    finding_history_retention_period: str = "60d"
    #: Hosted SNS-style topics (notify/topics/): the region and account of their ARNs, the
    #: node's URL in envelopes' ``UnsubscribeURL`` (empty: ``http://<host>:<port>``), the
    #: delivery threads, attempts per HTTP subscription (SNS's default: the first and 3
    #: retries), the first retry's delay (doubling), each HTTP attempt's timeout, and the
    #: ``smtp_account`` channel that ``email``/``email-json`` subscriptions send through.
    topics_region: str = "us-east-1"
    topics_account_id: str = "000000000000"
    topics_public_url: str = ""
    topics_workers: int = 4
    topics_retry_attempts: int = 4
    topics_retry_backoff: str = "1s"
    topics_timeout: str = "10s"
    topics_email_account: str = ""
    #: Threads that run monitors (the scheduler's ``alerting`` pool): as many monitor runs at
    #: once; a run waiting on a slow search or destination holds one, never the engine's.
    alerting_monitor_workers: int = 16
    #: Delivery streams (streams/): the region and account of their ARNs, the threads that
    #: deliver them, each stream's bound on buffered records (PutRecord then answers
    #: ServiceUnavailableException), and how long a transform function may take.
    streams_region: str = "us-east-1"
    streams_account_id: str = "000000000000"
    streams_workers: int = 4
    streams_buffer_max_bytes: int = 1 << 30
    streams_transform_timeout: str = "60s"
    #: Object storage of stream backups (and later the warm tier): ``local`` (a folder per
    #: bucket under ``object_store_path``, relative to the data folder) or ``s3``
    #: (storage/objects.py); the S3 credentials default to boto3's own chain.
    object_store_type: str = "local"
    object_store_path: Path = Path("buckets")
    object_store_s3_endpoint: str = ""
    object_store_s3_region: str = "us-east-1"
    object_store_s3_access_key: str = ""
    object_store_s3_secret_key: str = ""
    object_store_s3_path_style: bool = True
    #: Splunk's HTTP Event Collector (hec/): on or off, tokens from this file (each a mapping
    #: with Splunk's fields and ``token``), and its indexer acknowledgements' bounds.
    hec_enabled: bool = True
    hec_tokens: list[Any] = field(default_factory=list)
    hec_ack_channel_timeout: str = "600s"
    hec_ack_max_pending: int = 1000000
    #: The UI's saved objects (dashboards/): install the built-in WAF and PCI-DSS dashboards
    #: at start, and OpenSearch Dashboards' import bounds (its setting names and defaults).
    dashboards_builtin_install: bool = True
    saved_objects_max_import_payload_bytes: int = 26214400
    saved_objects_max_import_export_size: int = 10000
    #: The warm tier (storage/warm.py): the bucket of the object store above that holds warm
    #: indices' splits, the zstd level their files are stored with, the local cache of
    #: fetched splits (relative to the data folder) and its bound in bytes (LRU by bytes),
    #: and the threads that fetch splits ahead of the searches that need them.
    warm_bucket: str = "loghaven-warm"
    warm_compression_level: int = 9
    warm_cache_path: Path = Path("cache/warm")
    warm_cache_size: int = 10 * 1024 ** 3
    warm_prefetch_threads: int = 4
    #: How old an unreferenced warm object must be before the orphan sweep deletes it
    #: (storage/warm_gc.py): longer than any upload takes.
    warm_orphan_grace: str = "1h"
    #: ES's ``path.repo``: the folders ``fs`` snapshot repositories may be created under
    #: (lifecycle/snapshots/); none: no ``fs`` repository.
    path_repo: list[str] = field(default_factory=list)
    #: OpenSearch's Index State Management (lifecycle/ism/): on or off, and how often each
    #: managed index's job runs (OpenSearch: minutes, default 5; a time value such as
    #: ``10s`` is accepted too, so that tests run fast).
    ism_enabled: bool = True
    ism_job_interval: str = "5m"
    #: OpenSearch's snapshot management policies (lifecycle/sm/): on or off.
    sm_enabled: bool = True
    #: The memory the process may use (ops/: JVMMemoryPressure's denominator): a size
    #: (``4gb``) or a share of the machine's memory (``80%``).
    node_memory_limit: str = "80%"
    #: The node-metrics history (ops/history.py): how often a sample is taken into
    #: ``.loghaven-metrics-*``, and how long samples are kept.
    ops_metrics_interval: str = "1m"
    ops_metrics_retention: str = "14d"
    #: The recommended alarms (ops/alarms.py): installed at start when on, and the
    #: notification channel id they notify (none: alerts only, no message).
    ops_alarms_enabled: bool = False
    ops_alarms_channel: str = ""
    #: The error and slow logs (ops/logs): their folder (default ``<data>/logs``), each
    #: file's size before it rotates, how many rotated files are kept, and how long the
    #: ``.loghaven-logs-*`` indices keep entries.
    logs_path: str = ""
    logs_max_size: int = 100 * 1024 ** 2
    logs_max_files: int = 5
    ops_logs_retention: str = "7d"
    #: Scheduled and on-demand reports (reports/).
    reports_enabled: bool = True
    #: SQL and PPL (sql/): each endpoint on or off, the most rows a query may pull from the
    #: indices to compute its answer (refused above it, never truncated), and how long an
    #: idle cursor stays open; the defaults of the dynamic cluster settings of the same names.
    sql_enabled: bool = True
    ppl_enabled: bool = True
    sql_size_limit: int = 10_000
    sql_cursor_keep_alive: str = "1m"

    def set(self, key: str, value: Any) -> None:
        """Set one attribute from text or YAML, converting to the attribute's type."""
        current = getattr(self, key)
        if isinstance(current, bool):
            value = value if isinstance(value, bool) else str(value).lower() in ("1", "true",
                                                                                  "yes", "on")
        elif isinstance(current, list):
            items = value if isinstance(value, list) else str(value).split(",")
            value = [item if isinstance(item, dict) else str(item).strip() for item in items
                     if isinstance(item, dict) or str(item).strip()]
        elif isinstance(current, float):
            value = float(value)
        elif isinstance(current, int):
            value = _size(key, value) if key in ("max_content_length", "streams_buffer_max_bytes",
                                            "saved_objects_max_import_payload_bytes",
                                            "warm_cache_size", "logs_max_size") \
                else int(value)
        elif isinstance(current, Path):
            value = Path(value)
        else:
            value = str(value)
        setattr(self, key, value)


def _size(key: str, value: Any) -> int:
    """A size setting: bytes, or a size with ES's units (``10mb``)."""
    text = str(value).strip()
    name = next((dotted for dotted, attribute in FILE_KEYS.items() if attribute == key), key)
    return int(text) if text.isdigit() else parse_byte_size(text, name)


def flatten_keys(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested mappings as ES's dotted keys (``loghaven.yml``, repository settings)."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, dict):
            out.update(flatten_keys(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def load_config(config_file: Path | None = None, overrides: dict[str, Any] | None = None,
                environ: dict[str, str] | None = None) -> Config:
    config = Config()
    environ = dict(os.environ if environ is None else environ)
    path = config_file or Path(environ.get("LOGHAVEN_CONFIG", "loghaven.yml"))
    if path.exists():
        data = yaml.safe_load(path.read_text()) or {}
        for key, value in flatten_keys(data).items():
            attr = FILE_KEYS.get(key)
            if attr is None:
                raise ValueError(f"{path}: unknown setting [{key}]; known: "
                                 f"{', '.join(sorted(FILE_KEYS))}")
            config.set(attr, value)
    elif config_file is not None:
        raise FileNotFoundError(f"config file {config_file} does not exist")
    for f in fields(Config):
        env_value = environ.get(f"LOGHAVEN_{f.name.upper()}")
        if env_value is not None:
            config.set(f.name, env_value)
    for key, value in (overrides or {}).items():
        if value is not None:
            config.set(key, value)
    return config
