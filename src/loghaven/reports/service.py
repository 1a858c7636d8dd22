"""``node.reports``: report definitions, their runs and the history of generated reports
(OpenSearch's Reporting plugin API, ``_plugins/_reports``).

A definition is stored in the metastore (kind ``report_definition``) with the user who wrote
it; an enabled ``CronSchedule`` or ``IntervalSchedule`` definition is one durable scheduler
job (``reports-definition.<id>``) in the scheduler's ``reports`` pool, so a run that fell due
while the node was down (even after ``kill -9``) runs once at the next start. A scheduled run
acts as the definition's owner, as a monitor's run does (alerting/service.py); an on-demand
run acts as its caller. Either way the searches go through the search service as that user
(their index permissions, document- and field-level security), never over HTTP.

A run searches each section over ``[timeFrom, now]``, renders text, HTML and CSV
(reports/render.py), sends the message to each channel of ``delivery.configIds`` (email gets
HTML, text and the CSV attached; the other channels the text) and records a report instance
(kind ``report_instance``) with its renderings (kind ``report_output``) for download. The
newest :data:`KEEP_INSTANCES` instances of each definition are kept.

Definitions are listed to every user allowed to list them, as OpenSearch's default
(``filterBy: NoFilter``) does: running one runs it with the runner's own permissions. A
generated report is different: it holds what the user it ran as could read, so with security
on it is shown only to that user, users sharing one of their backend roles and
``all_access`` users (its ``access``: ``User:<name>``, ``BERole:<role>``).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from loghaven.dashboards.objects import SavedObjects
from loghaven.engine.dates.date_math import parse_date_math
from loghaven.errors import IllegalArgument, LoghavenError
from loghaven.notify.message import Attachment, Message
from loghaven.notify.service import NotificationService
from loghaven.params import param_int
from loghaven.reports import pci_dss, render, sections
from loghaven.reports.definitions import SCHEDULED, invalid, job_schedule, parse_definition
from loghaven.scheduler import JOB, Scheduler
from loghaven.search.service import SearchService
from loghaven.security import context
from loghaven.security.api_keys import new_id
from loghaven.security.service import ADMIN_ROLE, SecurityService
from loghaven.security.subject import INTERNAL, Subject
from loghaven.storage.metastore import Metastore

log = logging.getLogger("loghaven.reports")

DEFINITION = "report_definition"
INSTANCE = "report_instance"
OUTPUT = "report_output"
JOB_PREFIX = "reports-definition."
POOL = "reports"
#: The action a report's searches run as (their index names resolve against it).
RUN_ACTION = "indices:data/read/search"
#: Instances kept per definition; older ones (and their renderings) are deleted.
KEEP_INSTANCES = 100
#: OpenSearch's ``PluginSettings.defaultItemsQueryCount``.
DEFAULT_MAX_ITEMS = 100
#: Where a report instance's renderings are downloaded.
DOWNLOAD_PATH = "/_plugins/_reports/instance/{}/_download"
#: Renderings a report instance can be downloaded as: media type and file extension.
DOWNLOADS = {"csv": ("text/csv; charset=utf-8", "csv"),
             "html": ("text/html; charset=utf-8", "html"),
             "txt": ("text/plain; charset=utf-8", "txt")}


def not_found(kind: str, id_: str) -> LoghavenError:
    return LoghavenError(f"{kind} {id_} not found", status=404, type="status_exception")


def denied(kind: str, id_: str) -> LoghavenError:
    return LoghavenError(f"Permission denied for {kind} {id_}", status=403,
                         type="status_exception")


class ReportsService:
    def __init__(self, metastore: Metastore, scheduler: Scheduler, security: SecurityService,
                 search: SearchService, saved: SavedObjects,
                 notifications: NotificationService, *, enabled: bool = True,
                 clock: Callable[[], float] = time.time) -> None:
        self.metastore = metastore
        self.scheduler = scheduler
        self.security = security
        self.search = search
        self.saved = saved
        self.notifications = notifications
        #: ``reports.enabled``: whether definitions run on their schedules (on demand works
        #: either way).
        self.enabled = enabled
        self._clock = clock
        self._lock = threading.Lock()
        scheduler.add_pool(POOL, 2)

    def start(self) -> None:
        """Schedule every enabled scheduled definition; forget jobs of deleted ones."""
        wanted = {}
        if self.enabled:
            wanted = {JOB_PREFIX + id_: record for id_, record in
                      self.metastore.list(DEFINITION).items() if _scheduled(record)}
        for name in self.metastore.list(JOB, JOB_PREFIX):
            if name not in wanted:
                self.scheduler.remove(name)
        for record in wanted.values():
            self._schedule(record["id"], record)

    # --- definitions ---------------------------------------------------------------------

    def create(self, body: Any, *, definition_id: str | None = None) -> dict[str, Any]:
        """``POST definition``: ``{"reportDefinition"}`` → ``{"reportDefinitionId"}``."""
        definition = parse_definition(body)
        self._check_references(definition)
        now = self._now_ms()
        id_ = definition_id or new_id()
        user = context.acting_user() if self.security.enabled else None
        record = {"id": id_, "createdTimeMs": now, "lastUpdatedTimeMs": now, "tenant": "",
                  "access": _access(user), "user": user, "reportDefinition": definition}
        with self._lock:
            if self.metastore.get(DEFINITION, id_) is not None:
                raise LoghavenError(f"Report Definition {id_} already exists", status=409,
                                    type="version_conflict_engine_exception")
            self.metastore.put(DEFINITION, id_, record)
        self._reschedule(id_, record)
        return {"reportDefinitionId": id_}

    def update(self, id_: str, body: Any) -> dict[str, Any]:
        """``PUT definition/{id}``: the whole ``reportDefinition`` replaced; the writer
        becomes its owner, as an updated monitor runs as whoever updated it."""
        definition = parse_definition(body)
        self._check_references(definition)
        user = context.acting_user() if self.security.enabled else None
        with self._lock:
            record = self._definition(id_)
            record.update(lastUpdatedTimeMs=self._now_ms(), reportDefinition=definition,
                          user=user, access=_access(user))
            self.metastore.put(DEFINITION, id_, record)
        self._reschedule(id_, record)
        return {"reportDefinitionId": id_}

    def get(self, id_: str) -> dict[str, Any]:
        return {"reportDefinitionDetails": _details(self._definition(id_))}

    def delete(self, id_: str) -> dict[str, Any]:
        with self._lock:
            self._definition(id_)
            self.metastore.delete(DEFINITION, id_)
        self.scheduler.remove(JOB_PREFIX + id_)
        return {"reportDefinitionId": id_}

    def list(self, params: Mapping[str, str]) -> dict[str, Any]:
        """``GET definitions?fromIndex=&maxItems=``, the last updated first."""
        records = sorted(self.metastore.list(DEFINITION).values(),
                         key=lambda r: (-r["lastUpdatedTimeMs"], r["id"]))
        start, size = _page(params)
        return {"totalHits": len(records), "totalHitRelation": "eq",
                "reportDefinitionDetailsList": [_details(r) for r in
                                                records[start:start + size]]}

    def exists(self, id_: str) -> bool:
        return self.metastore.get(DEFINITION, id_) is not None

    def _definition(self, id_: str) -> dict[str, Any]:
        record = self.metastore.get(DEFINITION, id_)
        if record is None:
            raise not_found("Report Definition", id_)
        return record

    def _check_references(self, definition: dict[str, Any]) -> None:
        source = definition.get("source")
        for number, section in enumerate(definition["sections"]):
            saved_id = section.get("savedSearchId")
            if saved_id is not None and not self.saved.exists("search", saved_id):
                field = "source.id" if source and source["id"] == saved_id else \
                    f"sections[{number}].savedSearchId"
                raise invalid(f"reportDefinition.{field}", f"saved search [{saved_id}] not found")
        for config_id in definition["delivery"]["configIds"]:
            if self.notifications.store.get(config_id) is None:
                raise invalid("reportDefinition.delivery.configIds",
                              f"channel [{config_id}] not found")

    def install_pack(self, name: str, body: dict[str, Any]) -> dict[str, Any]:
        """``POST packs/{name}/_install`` (Loghaven's): the pack's saved searches and report
        definition, each unless it exists."""
        if name != pci_dss.NAME:
            raise LoghavenError(f"report pack [{name}] not found; one of [{pci_dss.NAME}]",
                                status=404, type="resource_not_found_exception")
        created, existing = pci_dss.install_searches(self.saved)
        made = not self.exists(pci_dss.DEFINITION_ID)
        if made:
            self.create(pci_dss.definition(body), definition_id=pci_dss.DEFINITION_ID)
        return {"pack": name, "reportDefinitionId": pci_dss.DEFINITION_ID,
                "reportDefinition": "created" if made else "existing",
                "savedObjects": {"created": created, "existing": existing}}

    # --- runs ----------------------------------------------------------------------------

    def on_demand(self, id_: str) -> dict[str, Any]:
        """``POST on_demand/{id}``: generate (and deliver) the report now, as the caller."""
        record = self._definition(id_)
        now = context.current()
        subject = now.subject if now is not None else INTERNAL
        return {"reportInstance": self._generate(record, subject)}

    def _reschedule(self, id_: str, record: dict[str, Any]) -> None:
        if self.enabled and _scheduled(record):
            self.scheduler.remove(JOB_PREFIX + id_)  # a changed definition starts afresh
            self._schedule(id_, record)
        else:
            self.scheduler.remove(JOB_PREFIX + id_)

    def _schedule(self, id_: str, record: dict[str, Any]) -> None:
        schedule = job_schedule(record["reportDefinition"]["trigger"]["schedule"])

        def run(stopping: threading.Event) -> None:
            current = self.metastore.get(DEFINITION, id_)
            if current is not None and _scheduled(current):
                self._generate(current, self.security.owner_subject(current.get("user")))

        self.scheduler.add(JOB_PREFIX + id_, run, schedule, durable=True, pool=POOL)

    def _generate(self, record: dict[str, Any], subject: Subject) -> dict[str, Any]:
        """Search, render, deliver and record one report."""
        definition = record["reportDefinition"]
        fmt = definition["format"]
        end = self._now_ms()
        begin = parse_date_math(fmt["timeFrom"], end)
        found: list[sections.Found] = []
        error = None
        try:
            with context.acting(subject, RUN_ACTION):
                for section in definition["sections"]:
                    query = sections.resolve(section, self.saved)
                    found.append(sections.run(section, query, self.search, begin_ms=begin,
                                              end_ms=end,
                                              size=max(fmt["limit"], fmt["topEvents"])))
        except LoghavenError as failure:  # a missing saved search, a refused index
            error = f"{failure.type}: {failure.reason}"
            log.warning("report [%s] failed: %s", record["id"], error)
        zone = definition["trigger"].get("schedule", {}).get("cron", {}).get("timezone", "UTC")
        title = render.heading(definition["name"], end, zone)
        period = f"{fmt['periodLabel']}: '{fmt['timeFrom']}'"
        options = {"header": fmt.get("header", ""), "footer": fmt.get("footer", "")}
        if error:  # the channels hear of it: a report that stops coming is missed late
            text = render.failure_text(title, period, error)
            page = render.failure_html(title, period, error)
        else:
            text = render.text(title, period, found, fmt["topEvents"], **options)
            page = render.to_html(title, period, found, fmt["topEvents"], **options)
        table = render.to_csv(found, fmt["limit"])
        statuses = self._deliver(definition, title, text, page, table, end)
        status, status_text = _status(error, statuses)
        id_ = new_id()
        instance = {"id": id_, "lastUpdatedTimeMs": self._now_ms(), "createdTimeMs": end,
                    "beginTimeMs": begin, "endTimeMs": end, "tenant": record["tenant"],
                    "access": _access_of(subject), "reportDefinitionDetails": _details(record),
                    "status": status, "statusText": status_text,
                    "inContextDownloadUrlPath": f"{DOWNLOAD_PATH.format(id_)}?format=csv",
                    "sections": [{"title": f.title, "total": f.total} for f in found],
                    "delivery": statuses}
        self.metastore.put_many([(OUTPUT, id_, {"txt": text, "html": page, "csv": table}),
                                 (INSTANCE, id_, instance), *self._expired(record["id"])])
        return instance

    def _deliver(self, definition: dict[str, Any], title: str, text: str, page: str,
                 table: str, at_ms: int) -> list[dict[str, Any]]:
        delivery = definition["delivery"]
        if delivery["textDescription"]:
            text = f"{delivery['textDescription']}\n\n{text}"
        stamp = time.strftime("%Y-%m-%dT%H%M%SZ", time.gmtime(at_ms / 1000))
        message = Message(delivery["title"] or title, text, page,
                          (Attachment(f"{_file_stem(definition['name'])}_{stamp}.csv",
                                      "text/csv", table.encode()),))
        return [self.notifications.send(config_id, message).to_status()
                for config_id in delivery["configIds"]]

    def _expired(self, definition_id: str) -> list[tuple[str, str, None]]:
        mine = sorted((i for i in self.metastore.list(INSTANCE).values()
                       if i["reportDefinitionDetails"]["id"] == definition_id),
                      key=lambda i: i["createdTimeMs"], reverse=True)
        return [item for old in mine[KEEP_INSTANCES - 1:]
                for item in ((INSTANCE, old["id"], None), (OUTPUT, old["id"], None))]

    # --- instances -----------------------------------------------------------------------

    def instances(self, params: Mapping[str, str]) -> dict[str, Any]:
        """``GET instances?fromIndex=&maxItems=``, the newest first."""
        found = sorted((i for i in self.metastore.list(INSTANCE).values() if _visible(i)),
                       key=lambda i: (-i["createdTimeMs"], i["id"]))
        start, size = _page(params)
        return {"totalHits": len(found), "totalHitRelation": "eq",
                "reportInstanceList": found[start:start + size]}

    def instance(self, id_: str) -> dict[str, Any]:
        return {"reportInstance": self._instance(id_)}

    def download(self, id_: str, fmt: str) -> tuple[str, str, str]:
        """Loghaven's ``instance/{id}/_download?format=csv|html|txt``: the content, its media
        type and a file name."""
        if fmt not in DOWNLOADS:
            raise IllegalArgument(f"[format] [{fmt}] is not one of [csv, html, txt]")
        instance = self._instance(id_)
        output = self.metastore.get(OUTPUT, id_) or {}
        media, extension = DOWNLOADS[fmt]
        name = _file_stem(instance["reportDefinitionDetails"]["reportDefinition"]["name"])
        return output.get(fmt, ""), media, f"{name}_{id_}.{extension}"

    def _instance(self, id_: str) -> dict[str, Any]:
        instance = self.metastore.get(INSTANCE, id_)
        if instance is None:
            raise not_found("Report Instance", id_)
        if not _visible(instance):
            raise denied("Report Instance", id_)
        return instance

    def _now_ms(self) -> int:
        return int(self._clock() * 1000)


def _status(error: str | None, statuses: list[dict[str, Any]]) -> tuple[str, str]:
    """The instance's ``status`` and ``statusText``: ``Failed`` with the reasons when a
    section could not run or a channel refused the message."""
    failed = [f"{s['config_id']}: {s['delivery_status']['status_text']}" for s in statuses
              if not s["delivery_status"]["status_code"].startswith("2")]
    reasons = [reason for reason in (error, *failed) if reason]
    return ("Failed", "; ".join(reasons)) if reasons else ("Success", "Success")


def _file_stem(name: str) -> str:
    """A definition's name as a file name: ``Logging-Compliance-Report``."""
    return "".join(c if c.isalnum() else "-" for c in name).strip("-")


def _scheduled(record: dict[str, Any]) -> bool:
    definition = record["reportDefinition"]
    return definition["isEnabled"] and definition["trigger"]["triggerType"] in SCHEDULED


def _visible(record: dict[str, Any]) -> bool:
    """Whether the caller may see a report: the user it ran as, a user sharing one of their
    backend roles, an ``all_access`` user, the node itself; anyone when it ran as the node
    (security off)."""
    now = context.current()
    access = record["access"]
    if now is None or now.subject is INTERNAL or not access \
            or ADMIN_ROLE in now.subject.roles:
        return True
    subject = now.subject
    return f"User:{subject.name}" in access \
        or any(f"BERole:{role}" in access for role in subject.backend_roles)


def _access(user: dict[str, Any] | None) -> list[str]:
    """OpenSearch's ``access`` list: the user and their backend roles."""
    if not user:
        return []
    return [f"User:{user['name']}", *(f"BERole:{role}" for role in user["backend_roles"])]


def _access_of(subject: Subject) -> list[str]:
    if subject is INTERNAL:
        return []
    return _access({"name": subject.name, "backend_roles": subject.backend_roles})


def _details(record: dict[str, Any]) -> dict[str, Any]:
    return {key: record[key] for key in ("id", "lastUpdatedTimeMs", "createdTimeMs", "tenant",
                                         "access", "reportDefinition")}


def _page(params: Mapping[str, str]) -> tuple[int, int]:
    return (max(0, param_int(params, "fromIndex", 0)),
            max(0, param_int(params, "maxItems", DEFAULT_MAX_ITEMS)))
