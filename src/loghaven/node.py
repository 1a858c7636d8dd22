"""A Loghaven node: the configuration and the engine state that the API serves."""

from __future__ import annotations

import time
import uuid

from loghaven import __version__
from loghaven.alerting.alerts import AlertStore
from loghaven.alerting.findings import FindingStore
from loghaven.alerting.history import HistoryPolicy
from loghaven.alerting.runner import RunContext
from loghaven.alerting.service import AlertingService
from loghaven.config import Config
from loghaven.dashboards import builtin
from loghaven.dashboards.objects import SavedObjects
from loghaven.engine.catalog import Catalog
from loghaven.engine.dates.durations import parse_duration_ms
from loghaven.engine.recovery import open_metastore
from loghaven.hec.service import HecService
from loghaven.ingest import grok, parsers
from loghaven.ingest.processors import geoip, user_agent
from loghaven.ingest.service import WriteService
from loghaven.ingest.workers import IngestWorkers
from loghaven.lifecycle.ism.context import IsmContext
from loghaven.lifecycle.ism.runner import IsmRunner
from loghaven.lifecycle.ism.service import IsmService
from loghaven.lifecycle.ism.store import IsmStore
from loghaven.lifecycle.migration import WarmMigrations
from loghaven.lifecycle.sm.service import SnapshotPolicies
from loghaven.lifecycle.snapshots.service import SnapshotService
from loghaven.notify.service import NotificationService
from loghaven.notify.topics.service import TopicService
from loghaven.ops import host
from loghaven.ops.alarms import Alarms
from loghaven.ops.history import MetricsHistory
from loghaven.ops.logs.service import NodeLogs
from loghaven.ops.metrics import NodeMetrics, memory_limit
from loghaven.ops.observe import Observers
from loghaven.reports.service import ReportsService
from loghaven.scheduler import Scheduler
from loghaven.scripting.stored import StoredScripts
from loghaven.search import limits
from loghaven.search.service import SearchService
from loghaven.security.audit import AuditLog
from loghaven.security.service import SecurityService
from loghaven.sql.service import SqlService
from loghaven.sql.settings import SqlSettings
from loghaven.storage.objects import object_store
from loghaven.storage.splits import LocalSplitStorage, TieredSplitStorage
from loghaven.storage.warm import WarmTier
from loghaven.storage.warm_gc import OrphanSweep
from loghaven.streams.service import StreamService
from loghaven.tasks import TaskManager

#: The OpenSearch version we present ourselves as to clients.
COMPAT_VERSION = "2.11.0"


class Node:
    def __init__(self, config: Config) -> None:
        self.config = config
        config.data_dir.mkdir(parents=True, exist_ok=True)
        #: MetastoreLost: never start on a lost metastore.
        self.metastore = open_metastore(config.data_dir)
        #: Buckets of objects (a local folder or S3): the warm tier, the delivery streams'
        #: backups.
        self.object_store = object_store(config)
        #: Warm splits in the object store and their local cache (storage/warm.py).
        self.warm = WarmTier(config, self.object_store)
        self.catalog = Catalog(config.data_dir, self.metastore, split_storage=TieredSplitStorage(
            LocalSplitStorage(config.data_dir), self.warm))
        limits.configure(max_clause_count=config.max_clause_count,
                         max_nested_depth=config.max_nested_depth)
        self.catalog.add_settings_consumer(limits.apply_cluster_settings)
        grok.configure(max_execution_ms=parse_duration_ms(
            config.grok_max_execution_time, "ingest.grok.watchdog.max_execution_time"))
        geoip.lookup.configure(config.geoip_cache_size)
        user_agent.parse.configure(config.user_agent_cache_size)
        #: All background work of the node: the engine's refresh and merges, and later the
        #: features' jobs (monitors, lifecycle, snapshots, streams, reports).
        self.scheduler = Scheduler(self.metastore)
        #: Users, roles, API keys and sessions; authentication (security/service.py).
        self.security = SecurityService(self.metastore, config)
        self.started = time.time()
        self.version = __version__
        self.node_id = self._node_id()
        #: Listeners of every search and write (operations metrics, slow logs).
        self.observers = Observers()
        #: Counters and latency histograms of those searches and writes (ops/metrics.py).
        self.metrics = NodeMetrics(memory_limit(config.node_memory_limit,
                                                host.memory_stats()["machine_total"]))
        self.metrics.listen(self.observers)
        #: Every write to the node's indices, for the API and the node's own features.
        self.write_service = WriteService(self.catalog, IngestWorkers(config.ingest_workers),
                                          self.observers)
        #: The long operations (``_reindex``, by query) as ES tasks, for the ``_tasks`` API;
        #: background results kept in the metastore.
        self.tasks = TaskManager(self.metastore, self.node_id)
        #: Every search of the node's indices, for the API and the node's own features; its
        #: by-query and reindex operations write through the write service, as tasks.
        #: Stored scripts (``_scripts``), which searches resolve when they name one.
        self.scripts = StoredScripts(self.metastore)
        self.search_service = SearchService(self.catalog, self.node_id, self.write_service,
                                            salt=config.compliance_salt, tasks=self.tasks,
                                            scripts=self.scripts, observers=self.observers)
        #: SQL and PPL over the node's indices, planned onto the search service.
        sql_defaults = SqlSettings.of(config)
        sql_settings = SqlSettings(**sql_defaults.__dict__)
        self.catalog.add_settings_consumer(sql_settings.follow(sql_defaults))
        self.sql = SqlService(self.search_service, sql_settings,
                              cluster_name=config.cluster_name)
        #: The error log and the search and indexing slow logs (files and hidden indices).
        self.logs = NodeLogs(config, self.catalog, self.write_service, self.observers)
        #: Splunk's HTTP Event Collector: tokens, events through the write service, acks.
        self.hec = HecService(config, self.security, self.write_service, self.catalog)
        #: Authentication and authorization decisions, to a file and a hidden daily index.
        self.audit = AuditLog(config, self.write_service, self.node_id)
        self.security.audit = self.audit
        #: Hosted SNS-style topics; their channel subscriptions send through the
        #: notifications service, made after them.
        self.topics = TopicService(self.metastore, config, lambda: self.notifications)
        #: Channels and their delivery (notify/service.py); SNS channels of hosted topics
        #: publish through node.topics.
        self.notifications = NotificationService(self.metastore, self.security.node_key,
                                                 config, topics=self.topics)
        #: Alerting's alert and finding indices (OpenSearch's), read and written by the
        #: monitors' runs and the alerts API.
        self.alerts = AlertStore(self.write_service, self.search_service,
                                 policy=HistoryPolicy.of(config, "alert"))
        self.findings = FindingStore(self.write_service, self.search_service,
                                     policy=HistoryPolicy.of(config, "finding"))
        #: Monitors: their API, their runs (one scheduler job each) and their stats.
        self.alerting = AlertingService(
            self.metastore, self.scheduler, self.security,
            RunContext(self.search_service, self.write_service, self.alerts, self.findings,
                       self.notifications),
            workers=config.alerting_monitor_workers)
        #: The recommended alarms: monitors over the metrics history (ops/alarms.py).
        self.alarms = Alarms(config, self.node_id, self.alerting, self.notifications)
        #: Delivery streams (Firehose's API): their buffers, and their deliveries as
        #: scheduler jobs through the write service.
        self.streams = StreamService(config, self.metastore, self.scheduler,
                                     self.write_service, self.security, self.object_store)
        #: The UI's saved objects (index patterns, searches, visualizations, dashboards).
        self.saved_objects = SavedObjects(
            self.metastore,
            max_import_export_size=config.saved_objects_max_import_export_size)
        #: Indices moved to the warm tier and back (UltraWarm's API), as resumable steps.
        self.migrations = WarmMigrations(self.catalog, self.metastore, self.scheduler,
                                         self.warm)
        #: Deletes warm objects nothing references any more (a crash during a delete).
        self.warm_sweep = OrphanSweep(
            self.warm, self.metastore,
            parse_duration_ms(config.warm_orphan_grace, "warm.orphan_grace"),
            pinned=self.migrations.warm_references)
        #: Snapshot repositories and snapshots (``_snapshot``), and the policies that take
        #: and expire them on a schedule (``_plugins/_sm``).
        self.snapshots = SnapshotService(config, self.catalog, self.metastore, self.scheduler,
                                         self.write_service.pipelines, self.scripts)
        self.sm = SnapshotPolicies(self.metastore, self.scheduler, self.snapshots,
                                   self.notifications, enabled=config.sm_enabled)
        #: Index State Management: policies, managed indices and their runs.
        ism_store = IsmStore(self.metastore)
        self.ism = IsmService(ism_store, self.catalog, self.security)
        self.ism_runner = IsmRunner(
            ism_store, IsmContext(self.catalog, self.write_service, self.search_service,
                                  self.migrations, self.snapshots, self.notifications),
            interval=config.ism_job_interval)
        #: The node-metrics history (``.loghaven-metrics-*``), sampled every
        #: ``ops.metrics.interval``.
        self.metrics_history = MetricsHistory(self)
        #: Report definitions, their scheduled and on-demand runs and the generated reports
        #: (the Reporting plugin's API); ``reports.enabled: false`` stops the schedules.
        self.reports = ReportsService(self.metastore, self.scheduler, self.security,
                                      self.search_service, self.saved_objects,
                                      self.notifications, enabled=config.reports_enabled)

    def _node_id(self) -> str:
        stored = self.metastore.get("cluster", "node")
        if stored is None:
            stored = {"id": uuid.uuid4().hex[:22]}
            self.metastore.put("cluster", "node", stored)
        return stored["id"]

    def start(self) -> None:
        if self.config.ingest_parsers_install:
            parsers.install(self.write_service.pipelines, self.metastore)
        if self.config.dashboards_builtin_install:
            builtin.install(self.saved_objects)
        self.catalog.schedule(self.scheduler)
        self.search_service.schedule(self.scheduler)
        self.audit.schedule(self.scheduler)
        self.logs.start(self.scheduler)
        self.alerts.schedule(self.scheduler)
        self.findings.schedule(self.scheduler)
        self.topics.start()
        self.alerting.start()
        self.alarms.start()
        self.streams.start()
        self.migrations.start()
        self.warm_sweep.schedule(self.scheduler)
        self.metrics_history.schedule(self.scheduler)
        self.snapshots.start()
        self.sm.start()
        if self.config.ism_enabled:
            self.ism.start()
            self.ism_runner.schedule(self.scheduler)
        self.reports.start()
        self.scheduler.start()

    def stopping(self) -> None:
        """Called as soon as a stop is asked for (SIGTERM), before the server waits for the
        requests in flight: running searches end at their next split instead of their last."""
        self.search_service.cancel_all("node is shutting down")

    def close(self) -> None:
        """Stop searches and background work first, so that no job runs against a closing
        index."""
        self.stopping()
        self.tasks.close()  # background tasks stop between batches and record their results
        self.topics.close()
        self.scheduler.stop()
        self.streams.close()  # after their jobs stopped; what is buffered stays on disk
        self.ism_runner.close()  # after its job: a run in flight ends after its step
        self.migrations.close()  # between steps: what is recorded resumes at the next start
        self.snapshots.close()
        self.notifications.close()
        self.audit.close()  # the last events, while the indices are still open
        self.logs.close()
        self.search_service.close()
        self.write_service.close()
        self.catalog.close()
        self.warm.close()
