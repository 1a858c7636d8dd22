// Operations → Reports: scheduled reports through OpenSearch's Reporting plugin API
// (_plugins/_reports/definition(s), on_demand/<id>, instance(s)): the report definitions with
// their sections (saved searches or queries), time window, schedule and channels; a form that
// makes one from a saved search; the PCI-DSS pack's install (Loghaven's packs/pci-dss/_install);
// "Run now"; and the generated reports with their counts and downloads (Loghaven's
// instance/<id>/_download?format=csv|html|txt).

import { call, h } from "../lib.js";
import { configs } from "../alerting/channels.js";
import { formatTime } from "../discover/table.js";
import { findObjects } from "../savedobjects.js";
import { attempt, badge, enc, field, notice, page, table } from "../widgets.js";
import { emptyState, noSuchApi } from "./states.js";

const REPORTS = "/_plugins/_reports";
// The time windows a definition offers: the plugin's ISO-8601 `format.duration`, its label
// and Loghaven's `format.timeFrom` (date math) for it.
const WINDOWS = [["PT1H", "Last 1 hour", "now-1h"], ["P1D", "Last 1 day", "now-1d"], ["P7D", "Last 7 days", "now-7d"], ["P30D", "Last 30 days", "now-30d"]];
const STATUS_KIND = { Success: "on", Failed: "failed", Executing: "reserved", Scheduled: "" };
const DOWNLOADS = [["csv", "CSV"], ["html", "HTML"], ["txt", "Text"]];
const PCI_PACK = "pci-dss";

const windowLabel = (duration) => WINDOWS.find(([d]) => d === duration)?.[1] ?? duration ?? "—";

function trigger(definition) {
  const t = definition.trigger || {};
  if (t.schedule?.cron) return `${t.schedule.cron.expression} (${t.schedule.cron.timezone || "UTC"})`;
  if (t.schedule?.interval) return `every ${t.schedule?.interval?.period} ${String(t.schedule?.interval?.unit || "").toLowerCase()}`;
  return "On demand";
}

// What the report searches: its sections (a saved search, linked to Discover, or a query over
// an index pattern), else its OpenSearch `source`.
function sourceOf(definition, searches) {
  const sections = definition.sections || [];
  const shown = sections.slice(0, 3).map((section) => h("li", {}, section.savedSearchId
    ? h("a", { href: `#discover/${enc(section.savedSearchId)}` }, searches.get(section.savedSearchId) || section.title)
    : `${section.title} (${section.indexPattern})`));
  if (sections.length > 3) shown.push(h("li", { class: "muted" }, `and ${sections.length - 3} more`));
  if (shown.length) return h("ul", { class: "plain" }, shown);
  const source = definition.source || {};
  return [searches.get(source.id) || source.description || source.id || "—", h("div", { class: "muted" }, source.type || "")];
}

function definitionRows(list, searches, channels, onRun, status, reload) {
  return list.map(({ id, lastUpdatedTimeMs, reportDefinition: d }) => h("tr", { "data-definition": id, "data-name": d.name },
    h("td", {}, h("strong", {}, d.name), d.isEnabled === false ? badge("disabled", "off") : null),
    h("td", {}, sourceOf(d, searches)),
    h("td", {}, windowLabel(d.format?.duration), d.format?.timeFrom ? h("div", { class: "muted" }, `from ${d.format.timeFrom}`) : null),
    h("td", {}, trigger(d)),
    h("td", {}, (d.delivery?.configIds || []).map((c) => channels.get(c) || c).join(", ") || h("span", { class: "muted" }, "none")),
    h("td", {}, lastUpdatedTimeMs ? formatTime(lastUpdatedTimeMs) : "—"),
    h("td", { class: "actions" }, h("button", { type: "button", class: "small report-run", onclick: () => onRun(id, d.name) }, "Run now"),
      h("button", { type: "button", class: "danger small report-delete", onclick: () => attempt(status, async () => {
        if (!confirm(`Delete the report definition ${d.name}? Its generated reports stay listed.`)) return;
        await call("DELETE", `${REPORTS}/definition/${enc(id)}`);
        await reload(notice(`Deleted the report definition ${d.name}.`, "success"));
      }) }, "Delete"))));
}

// The report as CSV, HTML and text, when the server keeps them (its download path is this
// server's own, not OpenSearch Dashboards').
function downloads(instance) {
  if (!String(instance.inContextDownloadUrlPath || "").startsWith(`${REPORTS}/instance/`)) return h("span", { class: "muted" }, "—");
  return DOWNLOADS.map(([format, label]) => h("a", { href: `${REPORTS}/instance/${enc(instance.id)}/_download?format=${format}`,
    download: "", class: "button secondary small report-download", "data-format": format }, label));
}

// "3 sections, 12 events; sent to 1 channel"
function contents(instance) {
  const sections = instance.sections || [];
  const events = sections.reduce((n, s) => n + (s.total || 0), 0);
  const sent = (instance.delivery || []).length;
  if (!sections.length && !sent) return null;
  return h("div", { class: "muted report-contents" },
    `${sections.length} section${sections.length === 1 ? "" : "s"}, ${events.toLocaleString("en")} event${events === 1 ? "" : "s"}` +
    (sent ? `; sent to ${sent} channel${sent === 1 ? "" : "s"}` : ""));
}

function instanceRows(list) {
  return list.map((instance) => {
    const d = instance.reportDefinitionDetails?.reportDefinition || {};
    return h("tr", { "data-instance": instance.id, "data-status": instance.status },
      h("td", {}, formatTime(instance.createdTimeMs)),
      h("td", {}, d.name || instance.reportDefinitionDetails?.id || "—", contents(instance)),
      h("td", {}, instance.beginTimeMs ? `${formatTime(instance.beginTimeMs)} – ${formatTime(instance.endTimeMs)}` : "—"),
      h("td", {}, badge(instance.status || "—", STATUS_KIND[instance.status] || ""),
        instance.statusText && instance.statusText !== instance.status ? h("div", { class: "muted clipped" }, instance.statusText) : null),
      h("td", {}, downloads(instance)));
  });
}

// The form that makes a definition from a saved search (the plugin's SavedSearch source).
function createForm(searches, channels, status, after) {
  const name = h("input", { id: "report-name", name: "name", required: true, placeholder: "Daily failed logins" });
  const search = h("select", { id: "report-source", name: "source", required: true },
    [...searches].map(([id, title]) => h("option", { value: id }, title)));
  const duration = h("select", { id: "report-window", name: "duration" }, WINDOWS.map(([d, label]) => h("option", { value: d, selected: d === "P1D" }, label)));
  const schedule = h("select", { id: "report-trigger", name: "trigger" }, h("option", { value: "OnDemand" }, "On demand"), h("option", { value: "CronSchedule" }, "On a cron schedule"));
  const cron = h("input", { id: "report-cron", name: "cron", value: "0 8 * * *" });
  const timezone = h("input", { id: "report-timezone", name: "timezone", value: "UTC" });
  const cronRow = h("div", { hidden: true }, h("div", { class: "row" }, field("Cron expression", cron, "minute hour day month weekday"), field("Time zone", timezone)));
  schedule.addEventListener("change", () => { cronRow.hidden = schedule.value !== "CronSchedule"; });
  const deliver = h("select", { id: "report-channels", name: "channels", multiple: true }, [...channels].map(([id, label]) => h("option", { value: id }, label)));
  const submit = (event) => attempt(status, async () => {
    event.preventDefault();
    const triggerType = schedule.value;
    const reportDefinition = {
      name: name.value.trim(), isEnabled: true,
      source: { type: "SavedSearch", id: search.value, description: searches.get(search.value), origin: location.origin },
      format: { duration: duration.value, timeFrom: WINDOWS.find(([d]) => d === duration.value)[2], fileFormat: "Csv" },
      trigger: triggerType === "CronSchedule" ? { triggerType, schedule: { cron: { expression: cron.value.trim(), timezone: timezone.value.trim() || "UTC" } } } : { triggerType },
      delivery: { configIds: [...deliver.selectedOptions].map((o) => o.value), title: name.value.trim(), textDescription: "", htmlDescription: "" },
    };
    const answer = await call("POST", `${REPORTS}/definition`, { reportDefinition });
    await after(notice(`Created the report definition ${reportDefinition.name} (${answer.reportDefinitionId}).`, "success"));
  });
  if (!searches.size) {
    return emptyState("reports-no-searches", "No saved searches to report on yet.",
      "Save a search in Discover (Save), then come back to make a report of it; or install the PCI-DSS pack above.");
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
    page(container, emptyState("reports-empty", "This server has no reports API (_plugins/_reports).",
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
    const why = instance.statusText && instance.statusText !== instance.status ? ` (${instance.statusText})` : "";
    await reload(notice(`Generated ${name}: ${instance.status || "done"}${why}.`, instance.status === "Failed" ? "error" : "success"));
  });
  const install = h("button", { type: "button", class: "secondary", id: "reports-install-pci", onclick: () => attempt(status, async () => {
    const answer = await call("POST", `${REPORTS}/packs/${PCI_PACK}/_install`, {});
    const objects = answer.savedObjects || {};
    await reload(notice(`PCI-DSS pack: the report definition ${answer.reportDefinition === "created" ? "was created" : "was there already"}; ` +
      `${(objects.created || []).length} saved searches created, ${(objects.existing || []).length} there already.`, "success"));
  }) }, "Install the PCI-DSS pack");
  const definitionList = definitions.reportDefinitionDetailsList || [];
  const instanceList = (instances.reportInstanceList || []).sort((a, b) => (b.createdTimeMs || 0) - (a.createdTimeMs || 0));
  page(container,
    h("div", { class: "toolbar" }, h("p", { class: "hint grow" }, "Reports of saved searches over a time window, sent to notification channels on a schedule or made on demand."), install),
    status, done,
    h("h3", {}, "Report definitions"),
    definitionList.length
      ? h("div", { class: "table-scroll", id: "report-definitions" }, table(["Name", "Searches", "Time window", "Trigger", "Channels", "Last updated", ""], definitionRows(definitionList, searches, channels, run, status, reload)))
      : emptyState("reports-empty", "No report definitions yet: create one from a saved search below, or install the PCI-DSS pack.",
        "The pack adds the ten PCI-DSS CloudTrail guidelines as saved searches and a daily Logging Compliance Report over them."),
    h("h3", {}, "Generated reports"),
    instanceList.length
      ? h("div", { class: "table-scroll", id: "report-instances" }, table(["Created", "Definition", "Time window", "Status", "Download"], instanceRows(instanceList)))
      : emptyState("reports-instances-empty", "No reports generated yet: choose Run now on a definition, or wait for its schedule."),
    createForm(searches, channels, status, reload));
}
