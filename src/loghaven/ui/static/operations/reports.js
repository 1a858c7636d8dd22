// Operations → Reports: scheduled reports through OpenSearch's Reporting plugin API
// (_plugins/_reports/definition(s), on_demand/<id>, instance(s)): the report definitions with
// their source, time window, schedule and channels; a form that makes one from a saved
// search; the PCI-DSS pack; "Run now"; and the generated reports with their downloads.

import { call, h } from "../lib.js";
import { configs } from "../alerting/channels.js";
import { formatTime } from "../discover/table.js";
import { findObjects } from "../savedobjects.js";
import { attempt, badge, enc, field, notice, table } from "../widgets.js";
import { emptyState, noSuchApi } from "./states.js";

const REPORTS = "/_plugins/_reports";
// The time windows a definition offers, as the plugin's ISO-8601 `format.duration`.
const WINDOWS = [["PT1H", "Last 1 hour"], ["P1D", "Last 1 day"], ["P7D", "Last 7 days"], ["P30D", "Last 30 days"]];
const STATUS_KIND = { Success: "on", Failed: "failed", Executing: "reserved", Scheduled: "" };

const windowLabel = (duration) => WINDOWS.find(([d]) => d === duration)?.[1] ?? duration ?? "—";

function trigger(definition) {
  const t = definition.trigger || {};
  if (t.triggerType === "CronBased") return `${t.schedule?.cron?.expression} (${t.schedule?.cron?.timezone || "UTC"})`;
  if (t.triggerType === "IntervalBased") return `every ${t.schedule?.interval?.period} ${String(t.schedule?.interval?.unit || "").toLowerCase()}`;
  return "On demand";
}

// The definition's source: its saved search's title when known, or what it names.
function sourceOf(definition, searches) {
  const source = definition.source || {};
  const title = searches.get(source.id);
  return [title ? h("a", { href: `#discover/${enc(source.id)}` }, title) : source.description || source.id || "—",
    h("div", { class: "muted" }, source.type || "")];
}

function definitionRows(list, searches, channels, onRun) {
  return list.map(({ id, lastUpdatedTimeMs, reportDefinition: d }) => h("tr", { "data-definition": id, "data-name": d.name },
    h("td", {}, h("strong", {}, d.name), d.isEnabled === false ? badge("disabled", "off") : null),
    h("td", {}, sourceOf(d, searches)),
    h("td", {}, windowLabel(d.format?.duration)),
    h("td", {}, trigger(d)),
    h("td", {}, (d.delivery?.configIds || []).map((c) => channels.get(c) || c).join(", ") || h("span", { class: "muted" }, "none")),
    h("td", {}, lastUpdatedTimeMs ? formatTime(lastUpdatedTimeMs) : "—"),
    h("td", { class: "actions" }, h("button", { type: "button", class: "small report-run", onclick: () => onRun(id, d.name) }, "Run now"))));
}

// The downloads an instance offers: a path on this server, as inContextDownloadUrlPath.
function downloads(instance) {
  const path = instance.inContextDownloadUrlPath;
  if (!path || !path.startsWith("/")) return h("span", { class: "muted" }, "—");
  return h("a", { href: path, download: "", class: "report-download" }, "Download");
}

function instanceRows(list) {
  return list.map((instance) => {
    const d = instance.reportDefinitionDetails?.reportDefinition || {};
    return h("tr", { "data-instance": instance.id, "data-status": instance.status },
      h("td", {}, formatTime(instance.createdTimeMs)),
      h("td", {}, d.name || instance.reportDefinitionDetails?.id || "—"),
      h("td", {}, instance.beginTimeMs ? `${formatTime(instance.beginTimeMs)} – ${formatTime(instance.endTimeMs)}` : "—"),
      h("td", {}, badge(instance.status || "—", STATUS_KIND[instance.status] || ""),
        instance.statusText ? h("div", { class: "muted clipped" }, instance.statusText) : null),
      h("td", {}, downloads(instance)));
  });
}

// The form that makes a definition from a saved search (the plugin's SavedSearch source).
function createForm(searches, channels, status, after) {
  const name = h("input", { id: "report-name", name: "name", required: true, placeholder: "Daily failed logins" });
  const search = h("select", { id: "report-source", name: "source", required: true },
    [...searches].map(([id, title]) => h("option", { value: id }, title)));
  const duration = h("select", { id: "report-window", name: "duration" }, WINDOWS.map(([d, label]) => h("option", { value: d, selected: d === "P1D" }, label)));
  const schedule = h("select", { id: "report-trigger", name: "trigger" }, h("option", { value: "OnDemand" }, "On demand"), h("option", { value: "CronBased" }, "On a cron schedule"));
  const cron = h("input", { id: "report-cron", name: "cron", value: "0 8 * * *" });
  const timezone = h("input", { id: "report-timezone", name: "timezone", value: "UTC" });
  const cronRow = h("div", { class: "row", hidden: true }, field("Cron expression", cron, "minute hour day month weekday"), field("Time zone", timezone));
  schedule.addEventListener("change", () => { cronRow.hidden = schedule.value !== "CronBased"; });
  const deliver = h("select", { id: "report-channels", name: "channels", multiple: true }, [...channels].map(([id, label]) => h("option", { value: id }, label)));
  const submit = (event) => attempt(status, async () => {
    event.preventDefault();
    const triggerType = schedule.value;
    const reportDefinition = {
      name: name.value.trim(), isEnabled: true,
      source: { type: "SavedSearch", id: search.value, description: searches.get(search.value), origin: location.origin },
      format: { duration: duration.value, fileFormat: "Csv" },
      trigger: triggerType === "CronBased" ? { triggerType, schedule: { cron: { expression: cron.value.trim(), timezone: timezone.value.trim() || "UTC" } } } : { triggerType },
      delivery: { configIds: [...deliver.selectedOptions].map((o) => o.value), title: name.value.trim(), textDescription: "", htmlDescription: "" },
    };
    const answer = await call("POST", `${REPORTS}/definition`, { reportDefinition });
    await after(notice(`Created the report definition ${reportDefinition.name} (${answer.reportDefinitionId}).`, "success"));
  });
  if (!searches.size) {
    return emptyState("reports-no-searches", "No saved searches to report on yet.",
      "Save a search in Discover (Save), then come back to make a report of it; or install the PCI-DSS pack.");
  }
  return h("form", { class: "form", id: "report-form", onsubmit: submit }, h("h3", {}, "Create a report definition"),
    field("Name", name), field("Saved search", search), field("Time window", duration, "The report covers this much time before it is made."),
    field("Trigger", schedule), cronRow,
    field("Deliver to channels", deliver, channels.size ? "Email channels get the report as HTML and text with a CSV attachment." : "No channels yet: add one in Notifications → Channels."),
    h("div", { class: "buttons" }, h("button", { type: "submit", id: "report-create" }, "Create")));
}

async function savedSearches() {
  const found = await findObjects("search", { perPage: 1000 });
  return new Map(found.saved_objects.map((o) => [o.id, o.attributes.title]));
}

async function channelNames() {
  try {
    return new Map((await configs()).map(({ config_id: id, config }) => [id, config.name]));
  } catch {
    return new Map();  // no right to read the channels: definitions name them by id
  }
}

// #operations/reports
export async function renderReports(container, _args, _params, done = null) {
  let definitions;
  try {
    definitions = await call("GET", `${REPORTS}/definitions?fromIndex=0&maxItems=1000`);
  } catch (error) {
    if (!noSuchApi(error)) throw error;
    container.replaceChildren(emptyState("reports-empty", "This server has no reports API (_plugins/_reports).",
      "Scheduled reports come with a Loghaven version that has the Reporting plugin's API; meanwhile, save searches in Discover and share their links."));
    return;
  }
  const [instances, searches, channels] = await Promise.all([
    call("GET", `${REPORTS}/instances?fromIndex=0&maxItems=1000`), savedSearches(), channelNames()]);
  const status = h("div", { class: "status", id: "reports-status", "aria-live": "polite" });
  const reload = (message) => renderReports(container, [], {}, message);
  const run = (id, name) => attempt(status, async () => {
    const answer = await call("POST", `${REPORTS}/on_demand/${enc(id)}`, {});
    const instance = answer.reportInstance || {};
    await reload(notice(`Generated ${name}: ${instance.status || "done"}${instance.statusText ? ` (${instance.statusText})` : ""}.`, instance.status === "Failed" ? "error" : "success"));
  });
  const definitionList = definitions.reportDefinitionDetailsList || [];
  const instanceList = (instances.reportInstanceList || []).sort((a, b) => (b.createdTimeMs || 0) - (a.createdTimeMs || 0));
  container.replaceChildren(
    h("p", { class: "hint" }, "Reports of saved searches over a time window, sent to notification channels on a schedule or made on demand."),
    status, done,
    h("h3", {}, "Report definitions"),
    definitionList.length
      ? h("div", { class: "table-scroll", id: "report-definitions" }, table(["Name", "Source", "Time window", "Trigger", "Channels", "Last updated", ""], definitionRows(definitionList, searches, channels, run)))
      : emptyState("reports-empty", "No report definitions yet: create one from a saved search below.",
        "The PCI-DSS pack's saved searches appear among the saved searches once installed (the PCI-DSS dashboard in Dashboards uses them)."),
    h("h3", {}, "Generated reports"),
    instanceList.length
      ? h("div", { class: "table-scroll", id: "report-instances" }, table(["Created", "Definition", "Time window", "Status", "Download"], instanceRows(instanceList)))
      : emptyState("reports-instances-empty", "No reports generated yet: choose Run now on a definition, or wait for its schedule."),
    createForm(searches, channels, status, reload));
}
