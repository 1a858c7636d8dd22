"""The PCI-DSS pack: the seed's ten sample CloudTrail guidelines as saved searches, and the
daily "Logging Compliance Report" over them (``POST _plugins/_reports/packs/pci-dss/_install``).

The guidelines' queries are the built-in PCI-DSS dashboard's (dashboards/builtin/
pci_dss.ndjson, over the CloudTrail parser's fields): each guideline's saved search has the id
of the dashboard's panel for it and copies that panel's search source, so the dashboard and
the report count the same events. Two panels are saved searches already; the others are
visualizations, beside which a saved search of the same id is written.

Installing is idempotent: a saved search or the definition that exists (perhaps changed by a
user) is left as it is; one deleted comes back.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from loghaven.dashboards import builtin
from loghaven.dashboards.objects import SavedObjects, Write
from loghaven.errors import IllegalArgument

NAME = "pci-dss"
DEFINITION_ID = "loghaven-pci-dss-logging-compliance-report"
REPORT_NAME = "Logging Compliance Report"
#: The built-in ``cloudtrail-*`` index pattern the searches refer to.
INDEX_PATTERN = "loghaven-cloudtrail"
#: What the report's CSV and the saved searches show of each event.
COLUMNS = ["event.action", "event.provider", "user.name", "source.address", "cloud.region",
           "event.outcome", "error.code"]
#: Daily, as the seed's Lambda function runs (every 24 hours), at 06:00 UTC.
DEFAULT_TRIGGER = {"triggerType": "CronSchedule",
                   "schedule": {"cron": {"expression": "0 6 * * *", "timezone": "UTC"}}}


@dataclass(frozen=True)
class Guideline:
    heading: str         # the seed report's heading
    panel: str           # the built-in dashboard's object for it (and the saved search's id)
    found: str           # "- N API calls indicating ..."


#: In the seed report's order, with its headings.
GUIDELINES = (
    Guideline("All Failed login attempts", "loghaven-pci-dss-failed-console-logins",
              "API calls indicating failed console login attempts detected"),
    Guideline("All Commands, API action taken by AWS root user",
              "loghaven-pci-dss-root-user-actions",
              "API calls indicating actions taken by the AWS root user detected"),
    Guideline("Action related to RDS (configuration changes)", "loghaven-pci-dss-rds-changes",
              "API calls indicating RDS configuration changes detected"),
    Guideline("Action related to enabling/disabling/changing of CloudTrail CloudWatch logs",
              "loghaven-pci-dss-logging-changes",
              "API calls indicating alteration of log sources detected"),
    Guideline("All access to S3 bucket that stores the AWS logs",
              "loghaven-pci-dss-log-bucket-access",
              "API calls indicating access to the bucket that stores the AWS logs detected"),
    Guideline("Action related to VPCs (creation, deletion and changes)",
              "loghaven-pci-dss-vpc-changes",
              "API calls indicating creation, alteration or deletion of VPCs"),
    Guideline("Action related to changes to SGs/NACLs (creation, deletion and changes)",
              "loghaven-pci-dss-security-group-nacl-changes",
              "API calls indicating creation, alteration or deletion of security groups "
              "or network ACLs"),
    Guideline("Action related to changes to IAM roles, users, and groups (creation, deletion "
              "and changes)", "loghaven-pci-dss-iam-changes",
              "API calls indicating creation, alteration or deletion of IAM roles, users, "
              "and groups"),
    Guideline("Action related to changes to Route Tables (creation, deletion and changes)",
              "loghaven-pci-dss-route-table-changes",
              "API calls indicating creation, alteration or deletion of route tables"),
    Guideline("Action related to changes to Subnets (creation, deletion and changes)",
              "loghaven-pci-dss-subnet-changes",
              "API calls indicating creation, alteration or deletion of subnets"),
)


def saved_searches() -> list[Write]:
    """The ten saved searches, from the built-in dashboard's panels, and the index pattern
    they search (``cloudtrail-*``)."""
    objects = builtin.objects()
    panels = {o.id: o for o in objects if o.type in ("search", "visualization")}
    writes = [Write(o.type, o.id, o.attributes, o.references,
                    migration_version=o.migration_version)
              for o in objects if o.type == "index-pattern" and o.id == INDEX_PATTERN]
    for guideline in GUIDELINES:
        panel = panels[guideline.panel]
        attributes = {"title": panel.attributes["title"],
                      "description": panel.attributes.get("description", ""),
                      "columns": list(panel.attributes.get("columns") or COLUMNS),
                      "sort": [["@timestamp", "desc"]],
                      "kibanaSavedObjectMeta": panel.attributes["kibanaSavedObjectMeta"]}
        writes.append(Write("search", guideline.panel, attributes, list(panel.references)))
    return writes


def definition(body: dict[str, Any]) -> dict[str, Any]:
    """The report's definition; the install request may give its ``trigger``, its
    ``delivery`` (channels) and ``isEnabled``."""
    unknown = sorted(set(body) - {"trigger", "delivery", "isEnabled"})
    if unknown:
        raise IllegalArgument(f"[{unknown[0]}] is not a field of a pack install: give "
                              "trigger, delivery or isEnabled")
    return {"reportDefinition": {
        "name": REPORT_NAME,
        "isEnabled": body.get("isEnabled", True),
        "sections": [{"title": g.heading, "savedSearchId": g.panel, "matchText": g.found,
                      "emptyText": "No Alerts Found", "columns": COLUMNS}
                     for g in GUIDELINES],
        "format": {"duration": "P1D", "timeFrom": "now-1d",
                   "periodLabel": "Violations for time period", "fileFormat": "Csv",
                   "topEvents": 5},
        "trigger": body.get("trigger", DEFAULT_TRIGGER),
        "delivery": body.get("delivery", {"title": REPORT_NAME, "configIds": []})}}


def install_searches(saved: SavedObjects) -> tuple[list[str], list[str]]:
    """Write the saved objects that are missing: (created ids, existing ids)."""
    writes = saved_searches()
    missing = [w for w in writes if not saved.exists(w.type, w.id)]
    if missing:
        saved.write_many(missing)
    created = {w.id for w in missing}
    return [w.id for w in writes if w.id in created], \
        [w.id for w in writes if w.id not in created]
