// Index management → Snapshots → Snapshot policies, as OpenSearch's snapshot management: every
// policy (GET _plugins/_sm/policies) with its repository, indices, cron schedule, retention and
// what its last run did (GET _plugins/_sm/policies/<names>/_explain); created with a cron
// schedule and a retention (POST _plugins/_sm/policies/<name>), started, stopped, deleted.

import { api, call, h } from "../lib.js";
import { clipped, when } from "../alerting/format.js";
import { attempt, enc, field, notice, page, shown } from "../widgets.js";
import { ask, listTable } from "./format.js";
import { repositories } from "./repositories.js";
import { snapshotsNav } from "./snapshots.js";

const SM = "/_plugins/_sm/policies";

export async function renderSmPolicies(container) {
  await shown(container, () => draw(container));
}

// {name: explanation} for `names` (none when explain refuses: the table shows dashes).
async function explanations(names) {
  if (!names.length) return {};
  const answer = await api("GET", `${SM}/${names.map(enc).join(",")}/_explain`);
  if (answer.status !== 200) return {};
  return Object.fromEntries((JSON.parse(answer.text).policies || []).map((p) => [p.name, p]));
}

const cronText = (schedule) => (schedule?.cron ? `${schedule.cron.expression} (${schedule.cron.timezone || "UTC"})` : "—");

function retentionText(deletion) {
  const condition = deletion?.condition;
  if (!condition) return "kept until deleted";
  const parts = [];
  if (condition.max_age) parts.push(`older than ${condition.max_age}`);
  if (condition.max_count) parts.push(`beyond ${condition.max_count}`);
  const keep = condition.min_count ? `; keeps at least ${condition.min_count}` : "";
  return parts.length ? `deletes ${parts.join(" or ")}${keep}` : `kept${keep}`;
}

// The last creation (and deletion) run: its status, when, and its message.
function lastRun(explained) {
  const runs = ["creation", "deletion"].map((kind) => [kind, explained?.[kind]?.latest_execution]).filter(([, run]) => run);
  if (!runs.length) return h("span", { class: "muted" }, explained ? "not run yet" : "—");
  return runs.map(([kind, run]) => h("div", { class: "run", "data-kind": kind },
    h("span", { class: `tag run-${String(run.status || "").toLowerCase()}` }, `${kind} ${String(run.status || "?").toLowerCase()}`), " ",
    when(run.end_time || run.start_time), " ",
    clipped(run.info?.message || run.info?.cause || "", 100)));
}

async function draw(container, message = null) {
  const [listed, repos] = await Promise.all([call("GET", SM), repositories()]);
  const found = (listed.policies || []).map((p) => ({ ...p, policy: p.sm_policy || {} }));
  const explained = await explanations(found.map((p) => p.policy.name));
  const status = h("div", { class: "status", id: "sm-status", "aria-live": "polite" }, message);
  const act = (what, method, path) => attempt(status, async () => {
    await call(method, path);
    await draw(container, notice(what, "success"));
  });
  const rows = found.map(({ policy }) => {
    const name = policy.name;
    const running = explained[name]?.enabled ?? policy.enabled;
    const next = explained[name]?.creation?.trigger?.time;
    return h("tr", { "data-policy": name },
      h("td", { class: "name" }, h("strong", {}, name), policy.description ? h("div", { class: "muted" }, policy.description) : null),
      h("td", { class: "repository" }, policy.snapshot_config?.repository || "—"),
      h("td", { class: "indices" }, [].concat(policy.snapshot_config?.indices || "*").join(", ")),
      h("td", { class: "schedule" }, h("code", {}, cronText(policy.creation?.schedule)), next ? h("div", { class: "muted" }, "next ", when(next)) : null),
      h("td", { class: "retention" }, retentionText(policy.deletion)),
      h("td", { class: "enabled" }, h("span", { class: `tag ${running ? "on" : "off"}` }, running ? "running" : "stopped")),
      h("td", { class: "last" }, lastRun(explained[name])),
      h("td", { class: "actions" },
        running ? h("button", { type: "button", class: "secondary small", "data-action": "stop", "aria-label": `Stop ${name}`,
          onclick: () => act(`Stopped ${name}: it takes and deletes no snapshot until started.`, "POST", `${SM}/${enc(name)}/_stop`) }, "Stop")
          : h("button", { type: "button", class: "secondary small", "data-action": "start", "aria-label": `Start ${name}`,
            onclick: () => act(`Started ${name}.`, "POST", `${SM}/${enc(name)}/_start`) }, "Start"),
        h("button", { type: "button", class: "danger small", "data-action": "delete", "aria-label": `Delete ${name}`,
          onclick: async () => {
            if (!(await ask(`Delete the snapshot policy ${name}?`, h("p", {}, "The snapshots it took are kept."), "Delete", { danger: true }))) return;
            await act(`Deleted ${name}.`, "DELETE", `${SM}/${enc(name)}`);
          } }, "Delete")));
  });
  const listing = listTable("sm-table", ["Policy", "Repository", "Indices", "Schedule", "Retention", "Status", "Last run", ""], rows,
    "No snapshot policy yet: create one below to take snapshots on a schedule.");

  const names = Object.keys(repos).sort();
  const input = (id, attrs = {}) => h("input", { id, autocomplete: "off", spellcheck: "false", ...attrs });
  const name = input("sm-name", { required: true, placeholder: "daily-snapshots" });
  const description = input("sm-description", { placeholder: "Every index, each day at 08:00 UTC" });
  const repository = h("select", { id: "sm-repository", required: true }, names.map((n) => h("option", { value: n }, n)));
  const indices = input("sm-indices", { value: "*" });
  const cron = input("sm-cron", { value: "0 8 * * *", required: true });
  const timezone = input("sm-timezone", { value: "UTC" });
  const maxAge = input("sm-max-age", { placeholder: "7d" });
  const maxCount = input("sm-max-count", { type: "number", min: 1, placeholder: "21" });
  const minCount = input("sm-min-count", { type: "number", min: 1, placeholder: "7" });
  const create = () => attempt(status, async () => {
    const chosen = name.value.trim();
    if (!chosen) throw new Error("Give the policy a name.");
    const body = {
      description: description.value.trim() || undefined,
      creation: { schedule: { cron: { expression: cron.value.trim(), timezone: timezone.value.trim() || "UTC" } } },
      snapshot_config: { repository: repository.value, indices: indices.value.trim() || "*" },
    };
    const condition = {};
    if (maxAge.value.trim()) condition.max_age = maxAge.value.trim();
    if (maxCount.value) condition.max_count = Number(maxCount.value);
    if (minCount.value) condition.min_count = Number(minCount.value);
    if (Object.keys(condition).length) body.deletion = { condition };
    await call("POST", `${SM}/${enc(chosen)}`, body);
    await draw(container, notice(`Created ${chosen}: its first snapshot is taken at the next time its schedule gives.`, "success"));
  });
  page(container, snapshotsNav("policies"),
    status, listing,
    names.length ? h("form", { class: "form", id: "sm-form", onsubmit: (event) => { event.preventDefault(); create(); } },
      h("h3", {}, "Create a snapshot policy"),
      field("Name", name), field("Description (optional)", description),
      field("Repository", repository), field("Indices", indices, "Comma-separated names or patterns; * is every index."),
      h("div", { class: "row" }, field("Schedule (cron)", cron, "minute hour day-of-month month day-of-week: 0 8 * * * is 08:00 each day."),
        field("Time zone", timezone)),
      h("fieldset", { class: "retention" }, h("legend", {}, "Retention (optional)"),
        h("div", { class: "row" }, field("Delete after", maxAge, "e.g. 7d, 12h"), field("Keep at most", maxCount), field("Keep at least", minCount))),
      h("div", { class: "buttons" }, h("button", { type: "submit", id: "sm-submit" }, "Create policy")))
      : notice("Add a repository first (Repositories): a policy takes its snapshots into one.", "info"));
}
